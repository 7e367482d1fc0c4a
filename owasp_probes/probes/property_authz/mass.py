"""Mass assignment: privilege-like, readOnly and response-only properties smuggled into a write, confirmed only when
the read-back shows them persisted. On the actor's existing objects (its profile) the write is a PATCH of ONE
property whose current value was read (so it can be put back), never an ownership id (the actor could lose the
object); it is restored and verified before the next. All candidates at once, and full bodies, go only to objects
secscan creates. Sign-up operations get a throwaway identity that logs in and reads its own profile."""

from __future__ import annotations

from typing import Any

from secscan_probes.engine.bodies import item_read_for, object_of, read_op_for, update_body
from secscan_probes.engine.context import ApiFinding, ProbeContext, steps
from secscan_probes.engine.discovery import deletable, id_from, new_object_body, own_values
from secscan_probes.engine.http import Exchange
from secscan_probes.engine.resources import Resource
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Tenant
from secscan_probes.probes.property_authz.common import MASS, actor_of
from secscan_probes.probes.property_authz.signup import signup_findings
from secscan_probes.probes.property_authz.values import candidate_properties, same, unique_value


async def mass_findings(ctx: ProbeContext) -> list[ApiFinding]:
    actor = actor_of(ctx)
    ops = [op for op in ctx.spec.operations if op.method in ("POST", "PUT", "PATCH") and ctx.needs_auth(op)
           and isinstance(op.body_schema, dict) and op.body_schema.get("type", "object") == "object"]
    found = []
    for op in ops:  # one at a time: two writes to the same profile must not mix their before/after views
        item = await _mass_one(ctx, op, actor)
        found += [item] if item else []
    return found + await signup_findings(ctx)


def _target(ctx: ProbeContext, op: Operation, actor: Tenant) -> tuple[Operation, str | None, Resource | None] | None:
    """(read-back operation, created object's parameter, an existing own object to compare with)."""
    if op.method == "POST":
        if not deletable(ctx, op):
            return None  # the object the attempt creates could never be removed
        param = next((p for p in ctx.resources.params() if item_read_for(ctx, op, p)), None)
        read = item_read_for(ctx, op, param) if param else None
        mine = ctx.resources.of(param, actor.name, limit=1) if param else []
        return (read, param, mine[0]) if read and mine else None
    read = read_op_for(ctx, op)
    return (read, None, None) if read else None


def _own_created(ctx: ProbeContext, op: Operation, actor: Tenant) -> dict[str, Any] | None:
    """Path values of an object secscan created for the actor that `op` addresses (None if there is none)."""
    for r in ctx.created:
        if r.owner == actor.name and op.path_params == (r.param,):
            return {r.param: r.value}
    return None


async def _mass_one(ctx: ProbeContext, op: Operation, actor: Tenant) -> ApiFinding | None:
    target = _target(ctx, op, actor)
    if target is None:
        return None
    read, param, existing = target
    values = own_values(ctx, actor)
    if op.method == "PUT":  # a full replacement: only of an object secscan created
        created = _own_created(ctx, op, actor)
        if created is None:
            return None
        values = {**values, **created}
    before = await ctx.call(actor, read, {**values, param: existing.value} if param and existing else values)
    current = object_of(before.data) if before.ok else None
    if current is None:
        return None
    injected = _injection(ctx, op, read, actor, current)
    base = _base_body(ctx, op, param, current, actor)
    if not injected or base is None:
        return None
    if not param and op.method == "PATCH":
        return await _patch_each(ctx, op, read, actor, values, current, before, injected)
    write = await ctx.call(actor, op, values, body={**base, **injected})
    after, values_after = await _read_back(ctx, op, read, param, actor, write, values)
    after_obj = object_of(after.data) if isinstance(after, Exchange) and after.ok else None
    persisted = [n for n, v in injected.items() if after_obj is not None and same(after_obj.get(n), v)
                 and not same(current.get(n), v)]
    if not write.ok or not persisted:
        return None
    restored = await _restore(ctx, op, read, actor, values, current, persisted) if not param else True
    message = (f"{op.label} stored undeclared/protected propert{'y' if len(persisted) == 1 else 'ies'} "
               f"{', '.join(sorted(persisted))} sent by {actor.name}; {read.label} returns the injected values"
               + ("" if param else f" ({'restored and verified afterwards' if restored else 'NOT restored'})"))
    evidence = steps(("baseline", before), ("attack", write), ("read-back", after))
    return MASS.finding(op=op, url=write.url, message=message, evidence=evidence, tenants=(actor,),
                        parameter=",".join(sorted(persisted)))


async def _patch_each(ctx: ProbeContext, op: Operation, read: Operation, actor: Tenant, values: dict[str, Any],
                      current: dict[str, Any], before: Exchange, injected: dict[str, Any]) -> ApiFinding | None:
    """An object secscan did not create: one known, non-ownership property per PATCH, each put back (and verified)
    before the next is tried. One finding lists every property that persisted."""
    kinds = candidate_properties(op.body_schema, read.success_schema())
    persisted: list[str] = []
    proof: tuple[Exchange, Exchange | None] | None = None
    for name, value in injected.items():
        if name not in current or kinds.get(name) == "id":
            continue  # an original we could not restore, or an ownership id (the actor could lose the object)
        write = await ctx.call(actor, op, values, body={name: value})
        after = await ctx.call(actor, read, values) if write.ok else None
        after_obj = object_of(after.data) if after is not None and after.ok else None
        changed = after_obj is not None and same(after_obj.get(name), value) and not same(current.get(name), value)
        if not write.ok:
            continue
        restored = await _restore(ctx, op, read, actor, values, current, [name])
        if not restored:
            break  # never go on writing to an object that could not be put back
        if changed:
            persisted.append(name)
            proof = proof or (write, after)
    if proof is None:
        return None
    write, after = proof
    message = (f"{op.label} stored undeclared/protected propert{'y' if len(persisted) == 1 else 'ies'} "
               f"{', '.join(sorted(persisted))} sent by {actor.name}, one PATCH each; {read.label} returns the "
               "injected values (each restored and verified afterwards)")
    evidence = steps(("baseline", before), ("attack", write), ("read-back", after))
    return MASS.finding(op=op, url=write.url, message=message, evidence=evidence, tenants=(actor,),
                        parameter=",".join(sorted(persisted)))


def _base_body(ctx: ProbeContext, op: Operation, param: str | None, current: dict[str, Any],
               actor: Tenant) -> dict[str, Any] | None:
    """A new object (our own values), our own created object's representation (PUT), or nothing but the injected
    properties (PATCH of an existing object)."""
    if param:
        return new_object_body(ctx, op, ctx.canaries[actor.name])
    if op.method == "PUT":
        return update_body(ctx, op, current)
    return {}


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


async def _restore(ctx: ProbeContext, op: Operation, read: Operation, actor: Tenant, values: dict[str, Any],
                   before: dict[str, Any], persisted: list[str]) -> bool:
    """Put the actor's own values of the injected properties back (a PATCH of just those), then verify."""
    body = {n: before.get(n) for n in persisted}
    if op.method == "PUT":
        base = update_body(ctx, op, before)
        body = {**(base or {}), **body}
    await ctx.call(actor, op, values, body=body)
    check = await ctx.call(actor, read, values)
    restored_obj = object_of(check.data) if check.ok else None
    ok = restored_obj is not None and all(same(restored_obj.get(n), before.get(n)) for n in persisted)
    if not ok:
        ctx.client.note("warning", f"mass-assignment: could not restore {', '.join(persisted)} of {actor.name} "
                                   f"through {op.label}; set them back by hand")
    return ok
