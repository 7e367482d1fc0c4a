"""API3:2023 BOPLA: mass assignment (confirmed by read-back) and excessive data exposure (names, never values)."""

from __future__ import annotations

from typing import Any

from secscan.models import Severity
from secscan_probes.engine.bodies import item_read_for, read_op_for, update_body
from secscan_probes.engine.context import ApiFinding, ProbeContext, ProbeRule, gather, steps
from secscan_probes.engine.discovery import id_from, new_object_body, own_values
from secscan_probes.engine.http import Exchange
from secscan_probes.engine.registry import probe
from secscan_probes.engine.resources import Resource
from secscan_probes.engine.schema import item_schema, properties
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Tenant
from secscan_probes.probes.property_authz.values import SENSITIVE, candidate_properties, same, unique_value

MASS = ProbeRule(
    "mass-assignment", "Mass assignment of protected properties", Severity.HIGH, 915,
    "The API stores properties the client is not allowed to set (privilege, ownership, balance...). "
    "Bind only the documented writable properties (OWASP API3:2023, CWE-915).")
EXPOSURE = ProbeRule(
    "excessive-data", "Excessive data exposure", Severity.HIGH, 213,
    "Responses carry sensitive properties that the response schema does not document "
    "(password hashes, tokens, secrets). Serialise responses through an explicit schema (OWASP API3:2023).")


def actor_of(ctx: ProbeContext) -> Tenant:
    """The tenant that acts on its own objects: the first non-admin one."""
    return next((t for t in ctx.tenants if not t.is_admin), ctx.tenants.tenants[0])


@probe("mass-assignment", owasp="API3:2023", title="Mass assignment")
async def mass_assignment(ctx: ProbeContext) -> list[ApiFinding]:
    actor = actor_of(ctx)
    ops = [op for op in ctx.spec.operations if op.method in ("POST", "PUT", "PATCH") and op.requires_auth
           and isinstance(op.body_schema, dict) and op.body_schema.get("type", "object") == "object"]
    results = await gather(*(_mass_one(ctx, op, actor) for op in ops))
    return [item for item in results if item]


def _target(ctx: ProbeContext, op: Operation, actor: Tenant) -> tuple[Operation, str | None, Resource | None] | None:
    """(read-back operation, created object's parameter, an existing own object to compare with)."""
    if op.method == "POST":
        param = next((p for p in ctx.resources.params() if item_read_for(ctx, op, p)), None)
        read = item_read_for(ctx, op, param) if param else None
        mine = ctx.resources.of(param, actor.name, limit=1) if param else []
        return (read, param, mine[0]) if read and mine else None
    read = read_op_for(ctx, op)
    return (read, None, None) if read else None


async def _mass_one(ctx: ProbeContext, op: Operation, actor: Tenant) -> ApiFinding | None:
    target = _target(ctx, op, actor)
    if target is None:
        return None
    read, param, existing = target
    values = own_values(ctx, actor)
    before = await ctx.call(actor, read, {**values, param: existing.value} if param and existing else values)
    if not before.ok or not isinstance(before.data, dict):
        return None
    injected = _injection(ctx, op, read, actor, before.data)
    base = new_object_body(ctx, op, ctx.canaries[actor.name]) if param else update_body(ctx, op, before.data)
    if not injected or base is None:
        return None
    write = await ctx.call(actor, op, values, body={**base, **injected})
    after, values_after = await _read_back(ctx, op, read, param, actor, write, values)
    persisted = [n for n, v in injected.items() if isinstance(after, Exchange) and after.ok
                 and isinstance(after.data, dict) and same(after.data.get(n), v) and not same(before.data.get(n), v)]
    if not write.ok or not persisted:
        return None
    if not param:  # put the actor's own values back
        await ctx.call(actor, op, values, body={**base, **{n: before.data.get(n) for n in persisted}})
    message = (f"{op.label} stored undeclared/protected propert{'y' if len(persisted) == 1 else 'ies'} "
               f"{', '.join(sorted(persisted))} sent by {actor.name}; {read.label} returns the injected values")
    evidence = steps(("baseline", before), ("attack", write), ("read-back", after))
    return MASS.finding(op=op, url=write.url, message=message, evidence=evidence, tenants=(actor,),
                        parameter=",".join(sorted(persisted)))


def _injection(ctx: ProbeContext, op: Operation, read: Operation, actor: Tenant,
               current: dict[str, Any]) -> dict[str, Any]:
    peers = sorted(ctx.others(actor), key=lambda t: t.is_admin)  # an id a regular tenant can read back
    others = [body.get("id") for t in peers if isinstance(body := ctx.identities.get(t.name), dict) and body.get("id")]
    kinds = candidate_properties(op.body_schema, read.success_schema())
    chosen = {name: unique_value(kind, current.get(name), others) for name, kind in kinds.items()}
    return {name: value for name, value in chosen.items() if value is not None}


async def _read_back(ctx: ProbeContext, op: Operation, read: Operation, param: str | None, actor: Tenant,
                     write: Exchange, values: dict[str, Any]) -> tuple[Exchange | None, dict[str, Any]]:
    """Update: the same GET as the actor. Create: GET the new object, as the actor, else as another tenant."""
    if not write.ok:
        return None, values
    if not param:
        return await ctx.call(actor, read, values), values
    new_id = id_from(write, op, param)
    if new_id is None:
        return None, values
    created = Resource(param, new_id, actor.name, "created", ctx.canaries[actor.name], op.label)
    ctx.created.append(created)
    reply = None
    for reader in (actor, *ctx.others(actor)):
        reply = await ctx.call(reader, read, {**own_values(ctx, reader), param: new_id})
        if reply.ok:
            break
    return reply, {**values, param: new_id}


@probe("excessive-data", owasp="API3:2023", title="Excessive data exposure")
async def excessive_data(ctx: ProbeContext) -> list[ApiFinding]:
    actor = actor_of(ctx)
    mine = own_values(ctx, actor)
    ops = [op for op in ctx.spec.operations if all(p in mine for p in op.path_params)
           and (op.method == "GET" or (op.method in ("PUT", "PATCH") and read_op_for(ctx, op)))]
    results = await gather(*(_exposure_one(ctx, op, actor, mine) for op in ops))
    return [item for item in results if item]


async def _exposure_one(ctx: ProbeContext, op: Operation, actor: Tenant, mine: dict[str, Any]) -> ApiFinding | None:
    if op.method == "GET":
        reply = await ctx.call(actor, op, mine)
    else:  # an idempotent write: the current representation sent back unchanged
        current = await ctx.call(actor, read_op_for(ctx, op), mine)  # type: ignore[arg-type]
        body = update_body(ctx, op, current.data) if current.ok else None
        if body is None:
            return None
        reply = await ctx.call(actor, op, mine, body=body)
    names = undeclared_sensitive(reply, op)
    if not names:
        return None
    message = (f"{op.label} returns sensitive properties the response schema does not declare: "
               f"{', '.join(names)} (values withheld)")
    return EXPOSURE.finding(op=op, url=reply.url, message=message, evidence=steps(("response", reply)),
                            tenants=(actor,), parameter=",".join(sorted(names)))


def undeclared_sensitive(reply: Exchange, op: Operation) -> list[str]:
    """Sensitive-sounding keys of a JSON object (or list of objects) that the documented schema lacks."""
    if not reply.ok or reply.data is None or reply.status is None:
        return []
    schema = item_schema(op.responses.get(str(reply.status)) or op.success_schema())
    declared = set(properties(schema))
    if not declared:
        return []  # free-form or undocumented: nothing to compare with
    rows = reply.data if isinstance(reply.data, list) else [reply.data]
    keys = {k for row in rows if isinstance(row, dict) for k in row}
    return sorted(k for k in keys - declared if SENSITIVE.search(k))
