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

NAME_PARAM = re.compile(r"^(user_?name|login|handle)$", re.IGNORECASE)
ENVELOPES = ("data", "items", "results", "result", "content", "records", "objects", "item", "object", "record",
             "payload", "response")


def collection_of(path: str, param: str) -> str:
    """/books/{book_id}/export, book_id -> /books."""
    return path.split("{" + param + "}", 1)[0].rstrip("/")


def consumer_params(ctx: ProbeContext) -> list[str]:
    """Path parameters of authenticated operations, parents (shallower) first."""
    depth: dict[str, int] = {}
    for op in ctx.spec.operations:
        if ctx.needs_auth(op):
            for param in op.path_params:
                depth.setdefault(param, op.path.split("{" + param + "}")[0].count("{"))
    return sorted(depth, key=lambda p: (depth[p], p))


def producers_for(ctx: ProbeContext, param: str) -> list[Operation]:
    """POSTs that create a `param` object secscan can delete again (a DELETE on the item route): objects nobody
    can remove are never created (BOLA then uses the tenants' existing objects)."""
    prefixes = {collection_of(op.path, param) for op in ctx.operations(param=param)}
    return [op for op in ctx.operations("POST") if op.path in prefixes and ctx.needs_auth(op)
            and isinstance(op.body_schema, dict) and op.body_schema.get("type", "object") == "object"
            and deletable(ctx, op)]


SESSION_WORDS = re.compile(r"log ?in|sign ?in|token|auth|session|search|query|verify|validate|check|render|"
                           r"preview|export|import|ping|calc|lookup", re.IGNORECASE)
SIGNUP_WORDS = re.compile(r"regist|sign ?up|create ?(an? )?account|enrol", re.IGNORECASE)


def creates_objects(ctx: ProbeContext, op: Operation) -> bool:
    """A POST that creates something each time it succeeds (201 documented, a collection with an item route, or a
    sign-up), unlike searches, logins and other computations."""
    if op.method != "POST":
        return False
    if SIGNUP_WORDS.search(f"{op.path} {op.operation_id or ''} {op.summary}"):
        return True  # /auth/register: a sign-up under an auth prefix still creates an account
    if SESSION_WORDS.search(op.path):
        return False
    return "201" in op.responses or item_param(ctx, op) is not None


UPDATE_WORDS = re.compile(r"\b(save|update|change|edit|modify|set|rename|replace)\b|settings|preferences|profile|"
                          r"account", re.IGNORECASE)


def updates_in_place(ctx: ProbeContext, op: Operation) -> bool:
    """A POST that overwrites stored state instead of creating something (`POST /web/account` "Save account
    settings", `POST /settings`): its path, operationId or summary says it saves or changes, or the same path is
    readable with GET. Searches, logins and other computations (SESSION_WORDS) are not."""
    if op.method != "POST" or creates_objects(ctx, op) or SESSION_WORDS.search(op.path):
        return False
    if UPDATE_WORDS.search(f"{op.path} {op.operation_id or ''} {op.summary}"):
        return True
    return any(o.method == "GET" and o.path == op.path for o in ctx.spec.all_operations)


def deletable(ctx: ProbeContext, op: Operation) -> bool:
    """Whether what `op` creates can be deleted again by its owner (a DELETE on the item route)."""
    param = item_param(ctx, op)
    return delete_op(ctx, param, op.path) is not None


def item_param(ctx: ProbeContext, producer: Operation) -> str | None:
    """POST /books -> book_id when the spec has /books/{book_id}."""
    for op in ctx.spec.all_operations:
        head, _, tail = op.path.rpartition("/")
        if head == producer.path.rstrip("/") and tail.startswith("{") and tail.endswith("}"):
            return tail[1:-1]
    return None


def delete_op(ctx: ProbeContext, param: str | None, collection: str) -> Operation | None:
    if param is None:
        return None
    return next((op for op in ctx.operations("DELETE", param)
                 if collection_of(op.path, param) == collection.rstrip("/")), None)



def listers_for(ctx: ProbeContext, param: str) -> list[Operation]:
    """GET /books (list) and GET /users/me (identity-like) feed book_id and user_id."""
    prefixes = {collection_of(op.path, param) for op in ctx.operations(param=param)}
    found = []
    for op in ctx.operations("GET"):
        head, _, tail = op.path.rpartition("/")
        if ctx.needs_auth(op) and (op.path in prefixes or (head in prefixes and tail and "{" not in tail)):
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
    for key in ENVELOPES:  # {"data": [...]}, {"data": {...}} (JSON:API data.id), {"result": {...}}
        if isinstance(data.get(key), (list, dict)):
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
    """Create one object as `tenant` through producer `op` (recorded; the cleanup deletes it at the end)."""
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


async def path_values(ctx: ProbeContext, op: Operation, tenant: Tenant | None) -> dict[str, Any] | None:
    """Values for every path parameter of `op`: the tenant's own objects first, then any object discovered, then
    the first id its collection lists (GET /products for /products/{product_id}); None when one is missing."""
    values = own_values(ctx, tenant) if tenant is not None else {}
    for param in op.path_params:
        if param in values:
            continue
        if tenant is not None and NAME_PARAM.search(param) and tenant.credentials.get("username"):
            values[param] = tenant.credentials["username"]
            continue
        known = ctx.resources.of(param, limit=1)
        if known:
            values[param] = known[0].value
            continue
        found = seen_values(ctx, param)
        lister = ctx.spec.callable("GET", collection_of(op.path, param))
        if not found and lister is not None and not lister.path_params:
            reply = await ctx.call(tenant if ctx.needs_auth(lister) else None, lister, {})
            found = values_from(reply.data, param) if reply.ok else []
        if not found:
            return None
        values[param] = found[0]
    return {p: values[p] for p in op.path_params}


def seen_values(ctx: ProbeContext, param: str) -> list[Any]:
    """Ids for `param` in replies already received from a collection of that resource (review_id from any
    .../reviews list), most recent first."""
    stem = re.sub(r"[_-]?id$", "", param, flags=re.IGNORECASE).lower()
    if not stem:
        return []
    for exchange in reversed(ctx.client.exchanges):
        last = (exchange.template or "").rstrip("/").rsplit("/", 1)[-1].lower()
        if exchange.ok and last in (stem, f"{stem}s", f"{stem}es"):
            found = values_from(exchange.data, param)
            if found:
                return found
    return []


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
