"""Resource discovery: which objects exist and who owns them (tenants.yaml `owns`, creation, lists, identity)."""

from __future__ import annotations

import re
from typing import Any

from secscan_probes.engine.context import ProbeContext, gather
from secscan_probes.engine.http import Exchange
from secscan_probes.engine.preflight import IDENTITY_NAMES
from secscan_probes.engine.resources import Resource
from secscan_probes.engine.schema import free_text_field
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Tenant

ENVELOPES = ("items", "data", "results", "content", "records", "objects")


def collection_of(path: str, param: str) -> str:
    """/books/{book_id}/export, book_id -> /books."""
    return path.split("{" + param + "}", 1)[0].rstrip("/")


def consumer_params(ctx: ProbeContext) -> list[str]:
    """Path parameters of authenticated operations, parents (shallower) first."""
    depth: dict[str, int] = {}
    for op in ctx.spec.operations:
        if op.requires_auth:
            for param in op.path_params:
                depth.setdefault(param, op.path.split("{" + param + "}")[0].count("{"))
    return sorted(depth, key=lambda p: (depth[p], p))


def producers_for(ctx: ProbeContext, param: str) -> list[Operation]:
    prefixes = {collection_of(op.path, param) for op in ctx.operations(param=param)}
    return [op for op in ctx.operations("POST") if op.path in prefixes and op.requires_auth
            and isinstance(op.body_schema, dict) and op.body_schema.get("type", "object") == "object"]


def listers_for(ctx: ProbeContext, param: str) -> list[Operation]:
    """GET /books (list) and GET /users/me (identity-like) feed book_id and user_id."""
    prefixes = {collection_of(op.path, param) for op in ctx.operations(param=param)}
    found = []
    for op in ctx.operations("GET"):
        head, _, tail = op.path.rpartition("/")
        if op.requires_auth and (op.path in prefixes or (head in prefixes and tail and "{" not in tail)):
            found.append(op)
    return found


def candidate_keys(param: str) -> list[str]:
    """RESTler-style name inference: book_id <- book_id | id; book_title <- book_title | title; bookId <- id."""
    keys = [param]
    if "_" in param:
        keys.append(param.split("_", 1)[1])
    camel = re.findall(r"[A-Z][a-z0-9]*", param)
    if camel:
        keys.append(camel[-1].lower())
    if param.lower().endswith("id"):
        keys.append("id")
    return list(dict.fromkeys(keys))


def values_from(data: Any, param: str) -> list[Any]:
    """Values for `param` in a response body: an object, a list of objects, or an envelope around a list."""
    if isinstance(data, list):
        return [v for item in data for v in values_from(item, param)[:1]]
    if not isinstance(data, dict):
        return []
    for key in candidate_keys(param):
        if isinstance(data.get(key), (str, int)) and not isinstance(data.get(key), bool):
            return [data[key]]
    for key in ENVELOPES:
        if isinstance(data.get(key), list):
            return values_from(data[key], param)
    return []


def own_values(ctx: ProbeContext, tenant: Tenant) -> dict[str, Any]:
    """The first object of each parameter owned by `tenant` (fills parent parameters of nested paths)."""
    return {param: found[0].value for param in ctx.resources.params()
            if (found := ctx.resources.of(param, tenant.name, limit=1))}


def new_object_body(ctx: ProbeContext, op: Operation, canary: str) -> dict[str, Any] | None:
    """A schemathesis-generated valid body for a producer with the canary in its free-text field."""
    example = ctx.spec.example(op).body
    if not isinstance(example, dict):
        return None
    field = free_text_field(op.body_schema, len(canary))
    return {**example, field: canary} if field else dict(example)


def id_from(exchange: Exchange, op: Operation, param: str) -> Any:
    """The created object's id: an OpenAPI link, the body (name inference) or the Location header."""
    for link in op.links:
        expr = link.parameters.get(param, "")
        if expr.startswith("$response.body#/") and isinstance(exchange.data, dict):
            value = exchange.data.get(expr.split("#/", 1)[1].split("/")[0])
            if value is not None:
                return value
    found = values_from(exchange.data, param)
    if found:
        return found[0]
    location = exchange.headers.get("location", "")
    prefix = collection_of(op.path + "/{" + param + "}", param)
    match = re.search(re.escape(prefix) + r"/([^/?#]+)$", location)
    return match.group(1) if match else None


async def create_object(ctx: ProbeContext, tenant: Tenant, op: Operation, param: str) -> Resource | None:
    """Create one object as `tenant` through producer `op`; it is recorded for cleanup."""
    canary = ctx.canaries[tenant.name]
    body = new_object_body(ctx, op, canary)
    if body is None:
        return None
    exchange = await ctx.call(tenant, op, own_values(ctx, tenant), body=body)
    value = id_from(exchange, op, param) if exchange.ok else None
    if value is None:
        return None
    resource = Resource(param, value, tenant.name, "created", canary, op.label)
    ctx.created.append(resource)
    ctx.resources.add(resource)
    return resource


async def _list_as(ctx: ProbeContext, tenant: Tenant, op: Operation, param: str) -> None:
    identity = op.path.rsplit("/", 1)[-1].lower() in IDENTITY_NAMES
    if identity and ctx.identity_op is not None and op.path == ctx.identity_op.path:
        data = ctx.identities.get(tenant.name)
    else:
        data = (await ctx.call(tenant, op, own_values(ctx, tenant))).data
    origin = "identity" if identity else ("listed-by-admin" if tenant.is_admin else "listed")
    for value in values_from(data, param):
        ctx.resources.add(Resource(param, value, tenant.name, origin))


async def discover_resources(ctx: ProbeContext) -> None:
    """Fill `ctx.resources`: declared (`owns`), created with a canary, listed and identity objects."""
    for param in consumer_params(ctx):
        for tenant in ctx.tenants:
            for value in tenant.owns.get(param, ()):
                ctx.resources.add(Resource(param, value, tenant.name, "owns"))
        jobs = [create_object(ctx, t, op, param) for op in producers_for(ctx, param) for t in ctx.tenants]
        jobs += [_list_as(ctx, t, op, param) for op in listers_for(ctx, param) for t in ctx.tenants]
        await gather(*jobs)
