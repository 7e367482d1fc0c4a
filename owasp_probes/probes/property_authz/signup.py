"""Mass assignment at sign-up: register a throwaway identity with undeclared privilege-like properties, log in as
it with a tenant's login recipe, and read its own identity: confirmed when the privilege stuck."""

from __future__ import annotations

import dataclasses
import re
import secrets
from typing import Any

from secscan_probes.engine.bodies import object_of
from secscan_probes.engine.context import ApiFinding, ProbeContext, steps
from secscan_probes.engine.http import Exchange
from secscan_probes.engine.schema import properties
from secscan_probes.engine.sessions import LoginFailed, Session
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Login, Tenant
from secscan_probes.probes.property_authz.common import MASS
from secscan_probes.probes.property_authz.values import same

SIGNUP = re.compile(r"regist|sign ?up|create ?(an? )?account|create ?user|enrol", re.IGNORECASE)
USER_FIELD = re.compile(r"^(user_?name|login|handle|name)$", re.IGNORECASE)
EMAIL_FIELD = re.compile(r"^e_?mail(_?address)?$", re.IGNORECASE)
PASSWORD_FIELD = re.compile(r"^(pass(word|wd)?|pwd|passphrase)$", re.IGNORECASE)
CONFIRM_FIELD = re.compile(r"^(pass(word)?_?(confirm(ation)?|2|again|repeat)|confirm_?pass(word)?)$", re.IGNORECASE)
PRIVILEGES: dict[str, Any] = {"role": "admin", "roles": ["admin"], "is_admin": True, "isAdmin": True, "admin": True,
                              "is_superuser": True, "is_staff": True, "permissions": ["admin"], "verified": True,
                              "email_verified": True}


def signup_ops(ctx: ProbeContext) -> list[Operation]:
    """Public POSTs that create an account: sign-up words and a user-like (or e-mail) plus a password field."""
    found = []
    for op in ctx.operations("POST"):
        names = list(properties(op.body_schema))
        words = f"{op.path} {op.operation_id or ''} {op.summary}"
        if ctx.needs_auth(op) or not SIGNUP.search(words) or not any(PASSWORD_FIELD.match(n) for n in names):
            continue
        if any(USER_FIELD.match(n) or EMAIL_FIELD.match(n) for n in names):
            found.append(op)
    return found


def _recipe(ctx: ProbeContext) -> Login | None:
    return next((t.login for t in ctx.tenants if t.login is not None and t.credentials), None)


async def signup_findings(ctx: ProbeContext) -> list[ApiFinding]:
    ops = signup_ops(ctx)
    recipe = _recipe(ctx)
    if not ops:
        return []
    if recipe is None or ctx.identity_op is None:
        why = "no tenant has a login recipe" if recipe is None else "the spec has no identity endpoint to read"
        ctx.client.note("note", f"mass-assignment: sign-up {ops[0].label} not tested: {why}")
        return []
    item = await _signup(ctx, ops[0], recipe, ctx.identity_op)
    return [item] if item else []


async def _signup(ctx: ProbeContext, op: Operation, recipe: Login, identity_op: Operation) -> ApiFinding | None:
    tag = secrets.token_hex(4)
    account = {"username": f"secscan{tag}", "email": f"secscan-{tag}@example.invalid",
               "password": f"Secscan-{secrets.token_hex(6)}-Aa1!"}
    ctx.client.add_secret(account["password"], "signup_password")
    body = {**_account_body(ctx, op, account), **PRIVILEGES}
    reply = await ctx.call(None, op, {}, body=body)
    ctx.client.note("note", f"mass-assignment: sign-up check registered the throwaway account {account['username']} "
                            f"through {op.label} ({reply.status})")
    if not reply.ok or _failed(reply):
        return None
    read, login_reply = await _as_new_account(ctx, recipe, account, identity_op)
    identity = object_of(read.data) if read is not None and read.ok else None
    if identity is None:
        return None
    stuck = sorted(name for name, value in PRIVILEGES.items() if name in identity and same(identity[name], value))
    if not stuck:
        return None
    message = (f"{op.label} accepted undeclared privilege properties at sign-up: the new account "
               f"{account['username']} logged in and its own {identity_op.label} shows "
               f"{', '.join(f'{n}={identity[n]!r}' for n in stuck)} (the throwaway account stays on the target)")
    evidence = steps(("sign-up", reply), ("login as the new account", login_reply), ("read-back", read))
    return MASS.finding(op=op, url=reply.url, message=message, evidence=evidence, parameter=",".join(stuck))


def _account_body(ctx: ProbeContext, op: Operation, account: dict[str, str]) -> dict[str, Any]:
    example = ctx.spec.example(op).body
    body = dict(example) if isinstance(example, dict) else {}
    for name in properties(op.body_schema):
        if PASSWORD_FIELD.match(name) or CONFIRM_FIELD.match(name):
            body[name] = account["password"]
        elif EMAIL_FIELD.match(name):
            body[name] = account["email"]
        elif USER_FIELD.match(name):
            body[name] = account["username"]
    return body


def _failed(reply: Exchange) -> bool:
    """`200 {"status": "fail"}`: a refusal dressed as success."""
    data = reply.data if isinstance(reply.data, dict) else {}
    return str(data.get("status", "")).lower() in ("fail", "failed", "error") or data.get("success") is False


async def _as_new_account(ctx: ProbeContext, recipe: Login, account: dict[str, str],
                          identity_op: Operation) -> tuple[Exchange | None, Exchange | None]:
    """Log in as the throwaway account with a tenant's recipe and read its identity; its session is dropped after."""
    name = f"secscan-signup-{account['username']}"
    tenant = Tenant(name=name, credentials=account, login=dataclasses.replace(recipe))
    session = Session.of(tenant)
    ctx.client.sessions[name] = session
    try:
        await session.login(ctx.client)
        read = await ctx.client.request("GET", identity_op.path, tenant=tenant, template=identity_op.path)
    except LoginFailed as exc:
        ctx.client.note("note", f"mass-assignment: could not log in as the new account ({exc})")
        return None, None
    finally:
        del ctx.client.sessions[name]
    login_reply = next((e for e in reversed(ctx.client.exchanges) if e.template is None and e.method == recipe.method
                        and e.url.endswith(recipe.path)), None)
    return read, login_reply
