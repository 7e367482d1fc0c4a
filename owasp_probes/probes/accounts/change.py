"""Another tenant's password or e-mail changed through an operation that names the account (BOLA on the account).

Only with login recipes: the victim must be able to prove the change (log in with the new password, or read its
own e-mail) and to undo it. Every change is restored by the victim and the restore proven; when it cannot be,
the run says so loudly."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from secscan.models import Severity
from secscan_probes.engine.bodies import object_of
from secscan_probes.engine.context import ApiFinding, ProbeContext, ProbeRule, steps
from secscan_probes.engine.http import Exchange
from secscan_probes.engine.schema import properties, required
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Tenant
from secscan_probes.engine.throwaway import last_login, read_as, throwaway

CHANGE = ProbeRule(
    "foreign-credential-change", "Another account's password or e-mail can be changed", Severity.CRITICAL, 639,
    "An operation that names an account by its id or name lets a different tenant set that account's password or "
    "e-mail address: an account takeover. Check that the caller is the account (and require the current "
    "password) before changing credentials (OWASP API1:2023, CWE-639).")
PASSWORD = re.compile(r"^(new_?)?(pass(word|wd)?|pwd)$", re.IGNORECASE)
CONFIRM = re.compile(r"^(pass(word)?_?(confirm(ation)?|2|again|repeat)|confirm_?(new_?)?pass(word)?)$", re.IGNORECASE)
CURRENT = re.compile(r"^(old|current|existing)_?pass(word|wd)?$", re.IGNORECASE)
EMAIL = re.compile(r"^(new_?)?e_?mail(_?address)?$", re.IGNORECASE)
NAME_PARAM = re.compile(r"user_?name|login|handle|^name$|account", re.IGNORECASE)
ID_PARAM = re.compile(r"(user|account)_?id$|^uid$|^id$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ChangeOp:
    op: Operation
    kind: str  # password | email
    field: str
    confirm: tuple[str, ...]


def change_ops(ctx: ProbeContext) -> list[ChangeOp]:
    """Writes on one account (a path parameter) whose body sets a password or an e-mail, and that do not ask for
    the current password (an attacker does not know it: such an operation is not this flaw)."""
    found = []
    for op in ctx.spec.operations:
        names = list(properties(op.body_schema))
        if op.method not in ("PUT", "PATCH", "POST") or not op.path_params or any(CURRENT.match(n) for n in names):
            continue
        words = f"{op.path} {op.operation_id or ''}".lower()
        password = next((n for n in names if PASSWORD.match(n)), None)
        email = next((n for n in names if EMAIL.match(n)), None)
        if password and re.search(r"pass(word|wd)?", words):
            found.append(ChangeOp(op, "password", password, tuple(n for n in names if CONFIRM.match(n))))
        elif email and re.search(r"e-?mail", words):
            found.append(ChangeOp(op, "email", email, ()))
    return found


def account_value(ctx: ProbeContext, victim: Tenant, op: Operation) -> dict[str, Any] | None:
    """Path values naming the victim's account: its user name, or its id from its identity."""
    identity = object_of(ctx.identities.get(victim.name)) or {}
    values = {}
    for param in op.path_params:
        if NAME_PARAM.search(param):
            value = victim.credentials.get("username") or identity.get("username") or identity.get("name")
        elif ID_PARAM.search(param):
            value = identity.get("id") or identity.get("user_id")
        elif "mail" in param.lower():
            value = victim.credentials.get("email") or identity.get("email")
        else:
            value = None
        if value is None:
            return None
        values[param] = value
    return values


async def credential_change_findings(ctx: ProbeContext) -> list[ApiFinding]:
    ops = change_ops(ctx)
    able = [t for t in ctx.tenants if t.login is not None and t.credentials and not t.is_admin]
    if ops and len(able) < 2:
        ctx.client.note("note", f"credential-change: {', '.join(c.op.label for c in ops)} not tested: it needs two "
                                "non-admin tenants with login recipes and credentials")
        return []
    found = []
    for change in ops:
        victim, attacker = able[0], able[1]
        values = account_value(ctx, victim, change.op)
        if values is None:
            ctx.client.note("note", f"credential-change: {change.op.label} not tested: no value for "
                                    f"{', '.join(change.op.path_params)} of {victim.name}")
            continue
        if change.kind == "password":
            item = await _password(ctx, change, victim, attacker, values)
        else:
            item = await _email(ctx, change, victim, attacker, values)
        found += [item] if item else []
    return found


def _body(ctx: ProbeContext, change: ChangeOp, value: str) -> dict[str, Any]:
    example = ctx.spec.example(change.op).body
    gaps = {n: example[n] for n in required(change.op.body_schema) if isinstance(example, dict) and n in example}
    return {**gaps, change.field: value, **{n: value for n in change.confirm}}


async def _password(ctx: ProbeContext, change: ChangeOp, victim: Tenant, attacker: Tenant,
                    values: dict[str, Any]) -> ApiFinding | None:
    assert victim.login is not None
    new = f"Secscan-{secrets.token_hex(6)}-Aa1!"
    ctx.client.add_secret(new, "changed_password")
    original = victim.credentials.get("password", "")
    attack = await ctx.call(attacker, change.op, values, body=_body(ctx, change, new))
    if not attack.ok:
        return None
    async with throwaway(ctx, victim.login, {**victim.credentials, "password": new}, "victim-new-password") as proof:
        if proof is None:
            return None  # the attacker's password does not open the account: not (or not really) changed
        proof_login = last_login(ctx, victim.login)
        restored = await _restore_password(ctx, change, proof, values, original, victim)
    message = (f"{attacker.name} set {victim.name}'s password through {change.op.label} ({attack.status}), and "
               f"{victim.name}'s login then accepted the attacker's password; "
               + ("the victim put its own password back, and its login with it works again" if restored else
                  f"RESTORING {victim.name.upper()}'S PASSWORD FAILED: reset it by hand"))
    return CHANGE.finding(op=change.op, url=attack.url, message=message, tenants=(victim, attacker),
                          parameter=change.field, evidence=steps(("attack", attack), ("login with the attacker's "
                                                                                       "password", proof_login)))


async def _restore_password(ctx: ProbeContext, change: ChangeOp, as_victim: Tenant, values: dict[str, Any],
                            original: str, victim: Tenant) -> bool:
    assert victim.login is not None
    reply = await ctx.call(as_victim, change.op, values, body=_body(ctx, change, original))
    if not reply.ok:
        ctx.client.note("error", f"credential-change: {victim.name}'s password was changed by the test and setting "
                                 f"it back through {change.op.label} failed ({reply.status}); reset it by hand")
        return False
    async with throwaway(ctx, victim.login, victim.credentials, "victim-restored") as again:
        if again is None:
            ctx.client.note("error", f"credential-change: {victim.name} cannot log in with its own password after "
                                     "the restore; reset it by hand")
        return again is not None


async def _email(ctx: ProbeContext, change: ChangeOp, victim: Tenant, attacker: Tenant,
                 values: dict[str, Any]) -> ApiFinding | None:
    identity_op = ctx.identity_op
    if identity_op is None:
        return None
    before = await read_as(ctx, victim, identity_op)
    original = (object_of(before.data) or {}).get("email")
    if not isinstance(original, str):
        return None
    new = f"secscan-{secrets.token_hex(4)}@example.invalid"
    attack = await ctx.call(attacker, change.op, values, body=_body(ctx, change, new))
    after = await read_as(ctx, victim, identity_op)
    if not (attack.ok and (object_of(after.data) or {}).get("email") == new):
        return None
    restored = await _restore_email(ctx, change, victim, values, original, identity_op)
    message = (f"{attacker.name} set {victim.name}'s e-mail address through {change.op.label} ({attack.status}); "
               f"{victim.name}'s own {identity_op.label} then showed the attacker's address; "
               + ("the victim put its own address back" if restored else
                  f"RESTORING {victim.name.upper()}'S E-MAIL FAILED: set it back by hand"))
    return CHANGE.finding(op=change.op, url=attack.url, message=message, tenants=(victim, attacker),
                          parameter=change.field, evidence=steps(("victim before", before), ("attack", attack),
                                                                 ("victim after", after)))


async def _restore_email(ctx: ProbeContext, change: ChangeOp, victim: Tenant, values: dict[str, Any], original: str,
                         identity_op: Operation) -> bool:
    await ctx.call(victim, change.op, values, body=_body(ctx, change, original))
    check: Exchange = await read_as(ctx, victim, identity_op)
    ok = (object_of(check.data) or {}).get("email") == original
    if not ok:
        ctx.client.note("error", f"credential-change: {victim.name}'s e-mail was changed by the test and could not be "
                                 "set back; set it back by hand")
    return ok
