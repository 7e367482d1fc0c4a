"""Session not revoked at logout: log in once more for a throwaway session, log it out through the logout
operation (the only probe that calls one, and only with that throwaway session), then check whether it still
works. The tenant's own session is never logged out."""

from __future__ import annotations

import re

from secscan.models import Severity
from secscan_probes.engine.context import ApiFinding, ProbeContext, ProbeRule, steps
from secscan_probes.engine.evidence import EvidenceStep
from secscan_probes.engine.http import Exchange
from secscan_probes.engine.preflight import candidates
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Tenant
from secscan_probes.engine.throwaway import last_login, read_as, throwaway

NOT_REVOKED = ProbeRule(
    "session-not-revoked", "Session still valid after logout", Severity.MEDIUM, 613,
    "After the logout operation accepted a session, the same token or cookie still works, so a stolen or shared "
    "session cannot be ended by its owner. Revoke the session server-side at logout (OWASP API2:2023, CWE-613).")
LOGOUT = re.compile(r"log ?out|sign ?out|logoff", re.IGNORECASE)


def logout_ops(ctx: ProbeContext) -> list[Operation]:
    return [op for op in ctx.unsafe if LOGOUT.search(f"{op.path} {op.operation_id or ''} {op.summary}")]


async def logout_findings(ctx: ProbeContext) -> list[ApiFinding]:
    ops = logout_ops(ctx)
    kinds: dict[str, Tenant] = {}  # one tenant per login recipe: sessions of different kinds (token, cookie)
    for t in ctx.tenants:
        if t.login is not None and not t.is_admin:
            kinds.setdefault(f"{t.login.method} {t.login.path}", t)
    if ops and not kinds:
        ctx.client.note("note", f"logout: {', '.join(op.label for op in ops)} not tested: it needs a tenant with a "
                                "login recipe (the check logs out a throwaway session, never the tenant's own)")
        return []
    found: list[ApiFinding] = []
    for op in ops:
        for tenant in kinds.values():  # the first kind of session the logout operation accepts decides
            outcome = await _check(ctx, op, tenant)
            if isinstance(outcome, ApiFinding):
                found.append(outcome)
            if outcome is not False:
                break
        else:
            ctx.client.note("note", f"logout: {op.label} not tested: it accepted none of the tenants' kinds of session")
    return found


async def _check(ctx: ProbeContext, op: Operation, tenant: Tenant) -> ApiFinding | None | bool:
    """A finding, None (tested, revoked), or False (this kind of session does not fit the logout operation)."""
    assert tenant.login is not None
    async with throwaway(ctx, tenant.login, tenant.credentials, f"logout-check-{tenant.name}",
                         tenant.csrf) as session:
        if session is None:
            return False
        login = last_login(ctx, tenant.login)
        reads = []
        for read in candidates(ctx.spec, frozenset(ctx.observed_secured))[:4]:
            if (reply := await read_as(ctx, session, read)).ok:
                reads.append((read, reply))
                break
        if not reads:
            return False
        read, before = reads[0]
        out = await ctx.call(session, op, dict(ctx.spec.example(op).path), body=_body(ctx, op), allow_unsafe=True)
        if not out.ok:
            return False
        after = await read_as(ctx, session, read)
    if not after.ok:
        return None
    message = (f"{op.label} answered {out.status} to a fresh session of {tenant.name}, and {read.label} still "
               f"answers {after.status} with that session afterwards")
    return NOT_REVOKED.finding(op=op, url=out.url, message=message, tenants=(tenant,),
                               evidence=_evidence(login, before, out, after))


def _body(ctx: ProbeContext, op: Operation) -> object:
    return ctx.spec.example(op).body if op.body_schema is not None else None


def _evidence(login: Exchange | None, before: Exchange, out: Exchange, after: Exchange) -> tuple[EvidenceStep, ...]:
    return steps(("throwaway login", login), ("session works", before), ("logout", out),
                 ("session after logout", after))
