"""BOLA writes: cross-tenant updates confirmed by the owner's read-back (then restored), and deletes of
sacrificial objects secscan created (only with --allow-destructive)."""

from __future__ import annotations

import secrets
from collections import defaultdict
from typing import Any

from secscan_probes.engine.bodies import object_of, read_op_for, update_body
from secscan_probes.engine.context import ApiFinding, ProbeContext, gather, steps
from secscan_probes.engine.discovery import create_object, producers_for
from secscan_probes.engine.schema import free_text_field
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Tenant
from secscan_probes.probes.bola.common import Attempt, attempts, finding, values_for

MARKER_LEN = len("secscan-bola-00000000")
GONE = (404, 410)


async def update_matrix(ctx: ProbeContext, param: str, ops: list[Operation]) -> list[ApiFinding]:
    """One object per owner (secscan-created ones first); attackers take turns on it, one at a time. Objects
    secscan did not create are only tried with a PATCH of the one property under test."""
    patches = [op for op in ops if op.method == "PATCH"]
    tries = attempts(ctx, param, ops, per_owner=1, origins=("created",)) or attempts(ctx, param, patches, per_owner=1)
    per_object: dict[tuple[str, tuple[str, str], str], list[Attempt]] = defaultdict(list)
    for a in tries:
        per_object[a.base_key].append(a)
    results = await gather(*(_update_in_turn(ctx, group) for group in per_object.values()))
    return [item for group in results for item in group]


async def _update_in_turn(ctx: ProbeContext, group: list[Attempt]) -> list[ApiFinding]:
    found: list[ApiFinding] = []
    for a in group:
        if any(f.roles == a.roles for f in found):
            continue  # this (owner role, attacker role) pair is already proven on this object
        item = await try_update(ctx, a)
        found += [item] if item else []
    return found


async def try_update(ctx: ProbeContext, a: Attempt) -> ApiFinding | None:
    """Attacker writes a unique marker; confirmed when the owner's own read-back shows it; then restored by the
    owner and the restore verified. On an object secscan did not create, only that one property is written."""
    read = read_op_for(ctx, a.op)
    field = free_text_field(a.op.body_schema, MARKER_LEN)
    if read is None or field is None:
        return None
    values = values_for(ctx, a.owner, a.resource)
    baseline = await ctx.call(a.owner, read, values)
    current = object_of(baseline.data) if baseline.ok else None
    original = _restore_body(ctx, a, current, field)
    if original is None:
        return None
    marker = f"secscan-bola-{secrets.token_hex(4)}"
    attack = await ctx.call(a.attacker, a.op, values, body={**original, field: marker})
    readback = await ctx.call(a.owner, read, values)
    if not (attack.ok and marker in readback.text):
        return None
    restore = await ctx.call(a.owner, a.op, values, body=original)
    check = await ctx.call(a.owner, read, values)
    restored = restore.ok and marker not in check.text
    if not restored:
        ctx.client.note("warning", f"bola: could not restore '{field}' of {a.owner.name}'s {a.resource.param}="
                                   f"{a.resource.value} after the test ({restore.status}); set it back by hand")
    how = (f"the owner's read-back shows the attacker's marker in '{field}' "
           f"({'restored and verified afterwards' if restored else 'NOT restored'})")
    return finding(a, how, attack, steps(("owner baseline", baseline), ("attack", attack), ("read-back", readback)))


def _restore_body(ctx: ProbeContext, a: Attempt, current: dict[str, Any] | None, field: str) -> dict[str, Any] | None:
    """What puts the object back: our own full representation for objects secscan created; otherwise just the
    property under test (a PATCH), and only when it holds a string now."""
    if current is None:
        return None
    if a.resource.origin == "created":
        return update_body(ctx, a.op, current)
    value = current.get(field)
    return {field: value} if a.op.method == "PATCH" and isinstance(value, str) else None


async def delete_matrix(ctx: ProbeContext, param: str, ops: list[Operation]) -> list[ApiFinding]:
    """Per DELETE operation and (owner role, attacker role): delete a fresh sacrificial object of the owner."""
    producers = producers_for(ctx, param)
    if not producers:
        return []
    groups: dict[tuple[str, str, str], list[tuple[Operation, Tenant, Tenant]]] = defaultdict(list)
    for op in ops:
        for owner in ctx.tenants:
            for attacker in (t for t in ctx.others(owner) if not t.is_admin):
                groups[(op.label, owner.role, attacker.role)].append((op, owner, attacker))
    results = await gather(*(_delete_in_turn(ctx, producers[0], param, g[:2]) for g in groups.values()))
    return [item for item in results if item]


async def _delete_in_turn(ctx: ProbeContext, producer: Operation, param: str,
                          group: list[tuple[Operation, Tenant, Tenant]]) -> ApiFinding | None:
    for op, owner, attacker in group:
        item = await try_delete(ctx, producer, param, op, owner, attacker)
        if item:
            return item
    return None


async def try_delete(ctx: ProbeContext, producer: Operation, param: str, op: Operation, owner: Tenant,
                     attacker: Tenant) -> ApiFinding | None:
    """Confirmed when the attacker's DELETE is 2xx and the owner's read-back then answers 404/410."""
    read = read_op_for(ctx, op)
    victim = await create_object(ctx, owner, producer, param) if read else None
    if victim is None or read is None:
        return None
    values = values_for(ctx, owner, victim)
    baseline = await ctx.call(owner, read, values)
    if not baseline.ok:
        return None
    attack = await ctx.call(attacker, op, values)
    readback = await ctx.call(owner, read, values)
    if not (attack.ok and readback.status in GONE):
        return None
    how = f"a sacrificial object secscan created was deleted (owner's read-back: {readback.status})"
    evidence = steps(("owner baseline", baseline), ("attack", attack), ("read-back", readback))
    return finding(Attempt(op, victim, owner, attacker), how, attack, evidence)
