"""API5:2023 broken function level authorization: operations the spec reserves for administrators ("Admin only",
an `admin` tag, an `/admin/` path) called by a regular tenant.

Reads: a regular tenant gets the admin view (anonymous callers are refused, and an admin tenant, when there is one,
gets the same data). Writes: a PATCH of one property of an existing object, confirmed by read-back, then restored
and the restore verified. Creating, replacing and deleting are never tried."""

from __future__ import annotations

import re
import secrets
from typing import Any

from secscan.models import Severity
from secscan_probes.engine.bodies import object_of, read_op_for
from secscan_probes.engine.context import ApiFinding, ProbeContext, ProbeRule, steps
from secscan_probes.engine.discovery import path_values
from secscan_probes.engine.registry import probe
from secscan_probes.engine.schema import IDENTITY_FIELD, properties, similarity, type_of
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Tenant

BFLA = ProbeRule(
    "bfla", "Administrator function open to regular users", Severity.HIGH, 285,
    "An operation the API documents as reserved for administrators works for a regular tenant. Check the caller's "
    "role on every privileged operation, server-side (OWASP API5:2023, CWE-285).")
ADMIN_ONLY = re.compile(r"admin(istrator)?s?[- ]only|\(admin\)|only (for |by )?admin(istrator)?s?|"
                        r"requires? (an? )?admin(istrator)?|restricted to admin(istrator)?s?|staff only", re.IGNORECASE)
REFUSED = (401, 403)


def admin_ops(ctx: ProbeContext) -> list[Operation]:
    return [op for op in ctx.spec.operations
            if op.method in ("GET", "PATCH") and ("/admin/" in f"{op.path}/" or "admin" in (t.lower() for t in op.tags)
                                                  or ADMIN_ONLY.search(f"{op.summary} {op.description}"))]


@probe("bfla", owasp="API5:2023", title="Broken function level authorization")
async def bfla(ctx: ProbeContext) -> list[ApiFinding]:
    user = next((t for t in ctx.tenants if not t.is_admin), None)
    admin = next((t for t in ctx.tenants if t.is_admin), None)
    found: list[ApiFinding] = []
    for op in admin_ops(ctx) if user is not None else []:
        assert user is not None
        values = await path_values(ctx, op, user)
        if values is None:
            ctx.client.note("note", f"bfla: {op.label} not tested: no value for {', '.join(op.path_params)}")
            continue
        item = await (_read(ctx, op, values, user, admin) if op.method == "GET" else _write(ctx, op, values, user))
        found += [item] if item else []
    return found


async def _read(ctx: ProbeContext, op: Operation, values: dict[str, Any], user: Tenant,
                admin: Tenant | None) -> ApiFinding | None:
    mine = await ctx.call(user, op, values)
    if not mine.ok or not mine.text.strip() or mine.data in ({}, [], None):
        return None
    anonymous = await ctx.call(None, op, values)
    if anonymous.status not in REFUSED:
        return None  # public (or broken for everyone): not a function-level question
    theirs = await ctx.call(admin, op, values) if admin is not None else None
    if theirs is not None and not (theirs.ok and similarity(mine.data, theirs.data) >= 0.9):
        return None
    compared = f"; the admin tenant {admin.name} gets the same data" if admin is not None else ""
    message = (f"{op.label} is reserved for administrators but answered {mine.status} with data to {user.name} "
               f"({user.role}); anonymous callers get {anonymous.status}{compared}")
    return BFLA.finding(op=op, url=mine.url, message=message, tenants=(user,),
                        evidence=steps(("regular tenant", mine), ("anonymous", anonymous), ("admin", theirs)))


async def _write(ctx: ProbeContext, op: Operation, values: dict[str, Any], user: Tenant) -> ApiFinding | None:
    read = read_op_for(ctx, op)
    if read is None:
        return None
    before = await ctx.call(user if ctx.needs_auth(read) else None, read, values)
    current = object_of(before.data) if before.ok else None
    chosen = _field(op, current or {})
    if chosen is None:
        return None
    field, original, changed = chosen
    attack = await ctx.call(user, op, values, body={field: changed})
    after = await ctx.call(user if ctx.needs_auth(read) else None, read, values)
    if not (attack.ok and (object_of(after.data) or {}).get(field) == changed):
        return None
    await ctx.call(user, op, values, body={field: original})
    check = await ctx.call(user if ctx.needs_auth(read) else None, read, values)
    restored = (object_of(check.data) or {}).get(field) == original
    if not restored:
        ctx.client.note("warning", f"bfla: could not restore '{field}' through {op.label}; set it back by hand")
    message = (f"{op.label} is reserved for administrators but {user.name} ({user.role}) changed '{field}' "
               f"({attack.status}), as the read-back shows ({'restored and verified' if restored else 'NOT restored'})")
    return BFLA.finding(op=op, url=attack.url, message=message, tenants=(user,), parameter=field,
                        evidence=steps(("before", before), ("attack", attack), ("read-back", after)))


def _field(op: Operation, current: dict[str, Any]) -> tuple[str, Any, Any] | None:
    """A writable string or number property present on the object: (name, current value, a distinct new value)."""
    for name, schema in properties(op.body_schema).items():
        value = current.get(name)
        if IDENTITY_FIELD.match(name) or schema.get("readOnly") or "enum" in schema:
            continue
        kind = type_of(schema)
        if kind == "string" and isinstance(value, str) and not any(k in schema for k in ("format", "pattern")):
            return name, value, f"secscan-{secrets.token_hex(4)}"
        if kind in ("number", "integer") and isinstance(value, (int, float)) and not isinstance(value, bool):
            return name, value, value + (1 if kind == "integer" else 0.37)
    return None
