"""What the injection probe attacks: string inputs of an operation and a request sender that swaps one of them."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from secscan_probes.engine.context import ProbeContext
from secscan_probes.engine.discovery import id_from, producers_for
from secscan_probes.engine.http import Exchange
from secscan_probes.engine.resources import Resource
from secscan_probes.engine.schema import IDENTITY_FIELD, properties, type_of, variants
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Tenant

MAX_INPUTS = 8  # per operation: keeps the request count bounded on wide bodies
MAX_DEPTH = 4
READ_ONLY = ("GET", "HEAD", "OPTIONS")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Input:
    """One string input: a query or path parameter, or a (nested) JSON body field."""

    location: str  # query | path | body
    key: tuple[str | int, ...]  # (name,) for parameters; the path inside the body for body fields

    @property
    def name(self) -> str:
        return ".".join("[]" if isinstance(k, int) else k for k in self.key).replace(".[]", "[]")

    @property
    def label(self) -> str:
        kind = {"query": "query parameter", "path": "path parameter", "body": "body field"}[self.location]
        return f"{kind} {self.name}"


@dataclass(slots=True)
class Target:
    """One operation under test: who sends it, the schemathesis example it starts from, its string inputs."""

    op: Operation
    tenant: Tenant | None
    path_values: dict[str, Any]
    query: dict[str, Any]
    body: Any
    inputs: list[Input]
    baseline: Exchange | None = None
    throttled: bool = False
    created_param: str | None = None  # a producer: objects it creates are recorded in ctx.created
    sent: int = 0
    restore_body: Any = None  # PUT/PATCH targets: the representation written back afterwards

    @property
    def read_only(self) -> bool:
        return self.op.method in READ_ONLY

    def example_value(self, inp: Input) -> Any:
        source: Any = {"query": self.query, "path": self.path_values}.get(inp.location, self.body)
        for part in inp.key:
            if isinstance(part, int) and isinstance(source, list) and len(source) > part:
                source = source[part]
            elif isinstance(part, str) and isinstance(source, dict):
                source = source.get(part)
            else:
                return None
        return source


def string_params(op: Operation) -> list[Input]:
    return [Input(p.location, (p.name,)) for p in op.parameters
            if p.location in ("query", "path") and _is_string(p.schema)]


def _is_string(schema: Any) -> bool:
    plain = [v for v in variants(schema) if type_of(v) == "string"]
    return bool(plain) and not any("enum" in v or "const" in v for v in plain)


def body_fields(schema: Any, prefix: tuple[str | int, ...] = (), depth: int = 0) -> list[Input]:
    """String fields of a JSON body schema, nested objects and arrays included (depth-limited)."""
    if depth > MAX_DEPTH:
        return []
    found: list[Input] = []
    for name, sub in properties(schema).items():
        if sub.get("readOnly"):
            continue
        kind = type_of(sub)
        if kind == "string" and _is_string(sub):
            found.append(Input("body", (*prefix, name)))
        elif kind == "object":
            found += body_fields(sub, (*prefix, name), depth + 1)
        elif kind == "array":
            items: Mapping[str, Any] = next((v["items"] for v in variants(sub) if isinstance(v.get("items"), Mapping)),
                                            {})
            if type_of(items) == "string" and _is_string(items):
                found.append(Input("body", (*prefix, name, 0)))
            elif type_of(items) == "object":
                found += body_fields(items, (*prefix, name, 0), depth + 1)
    return found


def inputs_of(op: Operation) -> list[Input]:
    """String inputs of `op` (query/path parameters and body fields, whatever the body's media type). A write to
    an existing object never gets payloads in account fields: a user name or e-mail taken over by a payload
    would rename the account and end its session."""
    fields = body_fields(op.body_schema) if isinstance(op.body_schema, Mapping) else []
    if op.method in ("PUT", "PATCH"):
        fields = [f for f in fields if not any(isinstance(k, str) and IDENTITY_FIELD.match(k) for k in f.key)]
    return (string_params(op) + fields)[:MAX_INPUTS]


def with_value(body: Any, key: tuple[str | int, ...], value: Any) -> Any:
    """A deep copy of `body` with `value` at `key` (missing objects and lists are created)."""
    root = copy.deepcopy(body) if isinstance(body, (dict, list)) else {}
    node: Any = root
    for part, nxt in zip(key, (*key[1:], None), strict=True):
        if nxt is None:
            _put(node, part, value)
            break
        child = _get(node, part)
        if not isinstance(child, (dict, list)):
            child = [] if isinstance(nxt, int) else {}
            _put(node, part, child)
        node = child
    return root


def _get(node: Any, part: str | int) -> Any:
    if isinstance(node, list):
        return node[part] if isinstance(part, int) and len(node) > part else None
    return node.get(part) if isinstance(node, dict) else None


def _put(node: Any, part: str | int, value: Any) -> None:
    if isinstance(node, list) and isinstance(part, int):
        node.extend([None] * (part + 1 - len(node)))
        node[part] = value
    elif isinstance(node, dict):
        node[part] = value


async def send(ctx: ProbeContext, t: Target, inp: Input | None, value: Any) -> Exchange | None:
    """The example request with `inp` set to `value` (inp None: the example itself). None once throttled."""
    if t.throttled:
        return None
    path_values, query, body = dict(t.path_values), dict(t.query), t.body
    if inp is not None and inp.location == "path":
        path_values[inp.name] = value
    elif inp is not None and inp.location == "query":
        query[inp.name] = value
    elif inp is not None:
        body = with_value(t.body, inp.key, value)
    t.sent += 1
    return _observed(ctx, t, await ctx.call(t.tenant, t.op, path_values, body=body, query=query or None))


async def send_body(ctx: ProbeContext, t: Target, body: Any) -> Exchange | None:
    """The example request with a whole new JSON body (NoSQL variants that change several fields)."""
    if t.throttled:
        return None
    t.sent += 1
    return _observed(ctx, t, await ctx.call(t.tenant, t.op, dict(t.path_values), body=body,
                                            query=dict(t.query) or None))


def _observed(ctx: ProbeContext, t: Target, reply: Exchange) -> Exchange:
    """Note throttling; record objects a producer created (the cleanup deletes them at the end)."""
    if reply.status == 429:
        t.throttled = True
    elif reply.ok and t.created_param and t.tenant is not None:
        value = id_from(reply, t.op, t.created_param)
        if value is not None:
            ctx.created.append(Resource(t.created_param, value, t.tenant.name, "created", None, t.op.label))
    return reply


def produced_param(ctx: ProbeContext, op: Operation) -> str | None:
    """The path parameter whose objects `op` creates (POST /books -> book_id), if any."""
    if op.method != "POST":
        return None
    params = {p for other in ctx.spec.operations for p in other.path_params}
    return next((p for p in sorted(params) if op in producers_for(ctx, p)), None)


async def settle(jobs: Iterable[Awaitable[T]]) -> list[T]:
    """gather() that lets every job finish before re-raising the first exception (no orphaned requests)."""
    results = await asyncio.gather(*jobs, return_exceptions=True)
    for item in results:
        if isinstance(item, BaseException):
            raise item
    return results  # type: ignore[return-value]
