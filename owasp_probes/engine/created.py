"""What secscan created on the target: every successful POST that made an object (an id in the reply for a
collection with an item route, a Location header, or a 201), so that the cleanup can delete it again as its
owner and the summary can count what is left.

Only objects that are certainly new are deleted: an id declared in tenants.yaml (`owns`, `public`) or seen in a
reply of that collection (list or item) before the POST is never deleted, whatever the status said (APIs that
upsert answer 200, some even 201, with an object that already existed, and it is not secscan's to delete).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from secscan_probes.engine.context import ProbeContext
from secscan_probes.engine.discovery import creates_objects, delete_op, item_param, values_from
from secscan_probes.engine.http import Exchange
from secscan_probes.engine.spec import Operation


@dataclass(frozen=True, slots=True)
class CreatedObject:
    operation: str  # the creating operation's label
    owner: str | None  # the tenant that created it (None: anonymous)
    param: str | None  # the path parameter that names it, when an item route exists
    value: Any  # its id ("?" when the reply named none)
    delete: Operation | None  # the DELETE that removes it, when the spec has one
    parents: Mapping[str, str] = field(default_factory=dict)  # path parameters of the collection it was made in
    fresh: bool = True  # certainly made by secscan (an id never declared or seen before)

    def as_properties(self) -> dict[str, Any]:
        return {"operation": self.operation, "owner": self.owner, "param": self.param, "value": str(self.value)}

    @property
    def delete_params(self) -> dict[str, Any]:
        return {**self.parents, self.param: self.value} if self.param else dict(self.parents)


def _id_of(exchange: Exchange, op: Operation, param: str | None) -> Any:
    if param is not None:
        found = values_from(exchange.data, param)
        if found:
            return found[0]
    location = exchange.headers.get("location", "")
    match = re.search(re.escape(op.path.rstrip("/")) + r"/([^/?#]+)/?$", location)
    return match.group(1) if match else None


def _name_in(body: Any) -> str | None:
    if isinstance(body, dict):
        for key in ("username", "user_name", "login", "email", "name"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
    return None


def path_values(template: str, url: str) -> dict[str, str]:
    """The path parameters a request used: /buckets/{bucket_id}/collections against .../buckets/b1/collections."""
    names = re.findall(r"\{([^}]+)\}", template)
    pattern = re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(template.rstrip("/"))) + "/?$"
    match = re.search(pattern, urlsplit(url).path)
    return {n: unquote(v) for n, v in zip(names, match.groups(), strict=True)} if match else {}


def _seen_before(ctx: ProbeContext, earlier: Sequence[Exchange], op: Operation, param: str | None,
                 value: Any) -> bool:
    """Whether `value` was already an object of this collection before the POST that returned it."""
    key = param or "id"
    declared = (v for t in ctx.tenants.tenants for v in (*t.owns.get(key, ()), *t.public.get(key, ())))
    if str(value) in map(str, declared):
        return True
    routes = {op.path, f"{op.path.rstrip('/')}/{{{param}}}"} if param else {op.path}
    return any(e.template in routes and e.data is not None and value in values_from(e.data, key) for e in earlier)


def created_objects(ctx: ProbeContext) -> list[CreatedObject]:
    """Every successful POST that created something, once per (operation, id), in the order they were made."""
    found: dict[tuple[str, str], CreatedObject] = {}
    exchanges = ctx.client.exchanges
    for index, exchange in enumerate(exchanges):
        op = ctx.spec.find("POST", exchange.template) if exchange.method == "POST" and exchange.template else None
        if op is None or not exchange.ok:
            continue
        param = item_param(ctx, op)
        value = _id_of(exchange, op, param)
        if value is None and exchange.status != 201 and not creates_objects(ctx, op):
            continue
        if value is None:  # made, but not named by the reply: a sign-up names its account in the request
            name = _name_in(exchange.body_sent)
            found[(op.label, name or f"?{index}")] = CreatedObject(op.label, exchange.tenant, param, name or "?", None)
            continue
        done_before = [e for e in exchanges[:index] if e.sent_at + e.elapsed < exchange.sent_at]
        fresh = not _seen_before(ctx, done_before, op, param, value)
        found.setdefault((op.label, str(value)), CreatedObject(
            op.label, exchange.tenant, param, value, delete_op(ctx, param, op.path),
            path_values(op.path, exchange.url), fresh))
    return list(found.values())
