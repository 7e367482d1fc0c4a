"""Username enumeration on login operations: wrong password for a real user vs an unknown user, twice each."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from secscan_probes.engine.bodies import object_of
from secscan_probes.engine.context import ApiFinding, ProbeContext, steps
from secscan_probes.engine.http import Exchange
from secscan_probes.engine.schema import properties, similarity
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Tenant
from secscan_probes.probes.auth.common import USER_ENUMERATION

LOGIN_WORDS = re.compile(r"log[_-]?in|sign[_-]?in|token|auth", re.IGNORECASE)
USER_FIELD = re.compile(r"^(user|user_?name|login|e_?mail|email_?address|account|handle)$", re.IGNORECASE)
PASSWORD_FIELD = re.compile(r"^(password|passwd|pass|pwd|passphrase)$", re.IGNORECASE)
EMAIL_FIELD = re.compile(r"mail", re.IGNORECASE)
INCONCLUSIVE = (None, 429)


@dataclass(frozen=True, slots=True)
class LoginOp:
    """A POST that looks like a login: its name and a username-like plus a password-like body field."""

    op: Operation
    user_field: str
    password_field: str


def login_ops(ctx: ProbeContext) -> list[LoginOp]:
    """POSTs whose path or operationId says login/signin/token/auth and whose body has user + password fields."""
    found = []
    for op in ctx.operations("POST"):
        if not LOGIN_WORDS.search(f"{op.path} {op.operation_id or ''}"):
            continue
        names = list(properties(op.body_schema))
        user = next((n for n in names if USER_FIELD.match(n)), None)
        password = next((n for n in names if PASSWORD_FIELD.match(n)), None)
        if user and password:
            found.append(LoginOp(op, user, password))
    return found


def existing_name(ctx: ProbeContext, tenant: Tenant, field: str) -> str:
    """The tenant's login name for `field`: from its credentials, its identity's email/username, else its
    tenants.yaml name."""
    identity = ctx.identities.get(tenant.name)
    identity = object_of(identity) if isinstance(identity, Mapping) else {}
    identity = {**(identity or {}), **tenant.credentials}
    wanted = ("email", "mail", "e_mail") if EMAIL_FIELD.search(field) else (field, "username", "user_name", "login")
    for key in wanted:
        value = identity.get(key)
        if isinstance(value, str) and value:
            return value
    return tenant.name


def normalised(reply: Exchange, names: tuple[str, ...]) -> str:
    """The reply body with the usernames replaced by a placeholder (so an echoed name is no difference)."""
    text = reply.text
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, "<user>")
    return text


TOKEN_KEY = re.compile(r"(^|_)(access_?)?token$|^jwt$|^auth_?token$|^session(_?id)?$", re.IGNORECASE)
SLOWER = 0.15  # seconds: an existing account's wrong password must be consistently this much slower (and 3x)


def logged_in(reply: Exchange) -> bool:
    """A reply that hands out a session (a token in the body): the login succeeded, whatever the status says."""
    data: dict[str, Any] = reply.data if isinstance(reply.data, dict) else {}
    nested = data.get("data")
    inner: dict[str, Any] = nested if isinstance(nested, dict) else {}
    return any(TOKEN_KEY.search(str(k)) and isinstance(v, str) and v for k, v in (*data.items(), *inner.items()))


def verdict(known: list[Exchange], unknown: list[Exchange], names: tuple[str, ...]) -> str | None:
    """How the two cases differ, if they do consistently; None when equal, flaky, throttled or successful. Real
    APIs often answer failures with `200 {"status": "fail", ...}`: a 2xx counts as a failure unless it carries a
    token."""
    replies = (*known, *unknown)
    if {r.status for r in replies} & set(INCONCLUSIVE) or any(logged_in(r) for r in replies):
        return None
    if len({r.status for r in known}) > 1 or len({r.status for r in unknown}) > 1:
        return None
    if known[0].status != unknown[0].status:
        return (f"an existing user with a wrong password gets {known[0].status}, an unknown user gets "
                f"{unknown[0].status}")
    bodies = [normalised(r, names) for r in replies]
    if bodies[0] == bodies[1] and bodies[2] == bodies[3] and bodies[0] != bodies[2]:
        ratio = similarity(bodies[0], bodies[2])
        return (f"both get {known[0].status} but the bodies differ (similarity {ratio:.2f} once the usernames are "
                f"replaced by a placeholder)")
    slow, fast = min(r.elapsed for r in known), max(r.elapsed for r in unknown)
    if slow - fast > SLOWER and slow > 3 * fast:
        return (f"both get {known[0].status} with the same body, but an existing user's answer takes "
                f"{slow:.2f} s or more against {fast:.2f} s at most for an unknown user")
    return None  # volatile bodies (or identical ones and equal timing) prove nothing


async def enumeration(ctx: ProbeContext, actor: Tenant) -> list[ApiFinding]:
    """Four requests per login operation: (real user, wrong password) x2 and (unknown user, same password) x2.
    Each real account takes part in one login operation only (two wrong passwords), so no lockout threshold
    (often 5 failures) is ever approached: the next operation uses the next tenant."""
    found = []
    accounts = sorted(ctx.tenants, key=lambda t: (t.is_admin, t.name != actor.name))
    for login, account in zip(login_ops(ctx), accounts, strict=False):
        example = ctx.spec.example(login.op).body
        base = dict(example) if isinstance(example, dict) else {}
        real = existing_name(ctx, account, login.user_field)
        ghost = f"secscan-nouser-{secrets.token_hex(4)}" + ("@example.invalid" if "@" in real else "")
        password = f"secscan-wrong-{secrets.token_hex(6)}"
        bodies = [{**base, login.user_field: name, login.password_field: password}
                  for name in (real, real, ghost, ghost)]
        replies = await asyncio.gather(*(ctx.call(None, login.op, {}, body=body) for body in bodies))
        how = verdict(replies[:2], replies[2:], (real, ghost))
        if any(r.status in INCONCLUSIVE for r in replies):
            ctx.client.note("note", f"user enumeration check on {login.op.label} inconclusive (throttled or no answer)")
        if how is None:
            continue
        message = (f"{login.op.label} tells accounts apart: {how} (each case sent twice with the same results; "
                   f"{login.user_field} of tenant {account.name} vs a random unknown one)")
        evidence = steps(("existing user, wrong password", replies[0]), ("unknown user", replies[2]),
                         ("existing user, repeated", replies[1]), ("unknown user, repeated", replies[3]))
        found.append(USER_ENUMERATION.finding(op=login.op, url=replies[0].url, message=message, evidence=evidence,
                                              tenants=(account,), parameter=login.user_field))
    return found
