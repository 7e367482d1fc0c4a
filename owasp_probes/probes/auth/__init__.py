"""API2:2023 broken authentication: no/malformed credentials, JWT tampering and weak keys, user enumeration."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from secscan_probes.engine.context import ApiFinding, ProbeContext, steps
from secscan_probes.engine.http import Exchange
from secscan_probes.engine.registry import probe
from secscan_probes.engine.schema import similarity
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Tenant
from secscan_probes.probes.auth.common import (
    MALFORMED,
    NO_CREDENTIALS,
    SIMILAR,
    Credential,
    Target,
    body_of,
    credential_of,
    private_marker,
    same_data,
    send_as,
    target_request,
)
from secscan_probes.probes.auth.enumeration import enumeration, login_ops
from secscan_probes.probes.auth.jwt_attacks import analyse, jwt_findings
from secscan_probes.probes.auth.jwt_tools import looks_like_jwt

REFUSED = (401, 403, 404)


@probe("auth", owasp="API2:2023", title="Broken authentication")
async def auth(ctx: ProbeContext) -> list[ApiFinding]:
    """Every authenticated GET replayed without, with garbage and with tampered credentials; logins compared."""
    actor = actor_of(ctx)
    cred = credential_of(ctx.client.session(actor))
    forgery = analyse(ctx, actor, cred)  # offline: decode and crack before any forged request is sent
    targets = await baselines(ctx, actor, candidate_ops(ctx))
    found, gated = await credential_checks(ctx, actor, cred, targets)
    if forgery is not None:
        logins = login_ops(ctx)
        found += await jwt_findings(ctx, forgery, gated, logins[0].op if logins else None)
    found += await enumeration(ctx, actor)
    return found


def actor_of(ctx: ProbeContext) -> Tenant:
    """The tenant whose credentials are replayed: a non-admin with a JWT first, then any non-admin."""
    def rank(t: Tenant) -> tuple[bool, bool]:
        cred = credential_of(ctx.client.session(t))
        return (t.is_admin, not (cred is not None and looks_like_jwt(cred.token)))

    return min(ctx.tenants, key=rank)  # min() keeps file order among equals


def candidate_ops(ctx: ProbeContext) -> list[Operation]:
    """Reads that declare security, the preflight's operation, and reads with no security declared at all."""
    undeclared = "security" not in ctx.spec.raw
    raw_paths: Any = ctx.spec.raw.get("paths") or {}
    ops = []
    for op in ctx.operations("GET"):
        raw_op = (raw_paths.get(op.path) or {}).get("get") or {}
        silent = undeclared and isinstance(raw_op, dict) and "security" not in raw_op
        if op.requires_auth or op == ctx.identity_op or silent:
            ops.append(op)
    return ops


async def baselines(ctx: ProbeContext, actor: Tenant, ops: list[Operation]) -> list[Target]:
    """The real request as the actor on its own objects; only 2xx baselines are probed further."""
    requests = [(op, req) for op in ops if (req := target_request(ctx, actor, op)) is not None]
    replies = await asyncio.gather(*(ctx.client.request(op.method, path, tenant=actor, template=op.path, params=q)
                                     for op, (path, q) in requests))
    return [Target(op, path, q, reply) for (op, (path, q)), reply in zip(requests, replies, strict=True) if reply.ok]


async def credential_checks(ctx: ProbeContext, actor: Tenant, cred: Credential | None,
                            targets: list[Target]) -> tuple[list[ApiFinding], list[Target]]:
    """No credentials and a garbage token on every target; returns findings and the targets that resisted both."""
    garbage = f"secscan-invalid-{secrets.token_hex(12)}"
    checks = [("anonymous", None)] + ([("malformed", garbage)] if cred is not None else [])
    jobs = [(t, name, token) for t in targets for name, token in checks]
    replies = await asyncio.gather(*(send_as(ctx, t, cred, token) for t, _, token in jobs))
    for (target, name, _), reply in zip(jobs, replies, strict=True):
        target.replies[name] = reply
    found: list[ApiFinding] = []
    gated: list[Target] = []
    for target in targets:
        item = await judge_credentials(ctx, actor, cred, target)
        if item is not None:
            found.append(item)
        elif not same_data(ctx, actor, target.replies["anonymous"], target.baseline):
            gated.append(target)
    return found, gated


async def judge_credentials(ctx: ProbeContext, actor: Tenant, cred: Credential | None,
                            target: Target) -> ApiFinding | None:
    """auth-no-credentials (declared-secure operations, private data only), else auth-malformed-token."""
    anonymous, base = target.replies["anonymous"], target.baseline
    how = same_data(ctx, actor, anonymous, base)
    if how is not None:
        if not target.op.requires_auth:
            return None  # the spec never said it needs credentials: public by design as far as we know
        why, control = await private_proof(ctx, actor, target)
        if why is None:
            return None
        message = (f"{target.op.label} declares security but answered {anonymous.status} without any credentials, "
                   f"and {how}; the real request as {actor.name} answered {base.status} and is private ({why})")
        evidence = steps(("baseline", base), ("attack", anonymous), ("control", control))
        return NO_CREDENTIALS.finding(op=target.op, url=anonymous.url, message=message, evidence=evidence,
                                      tenants=(actor,))
    malformed = target.replies.get("malformed")
    how = same_data(ctx, actor, malformed, base) if malformed is not None and cred is not None else None
    if how is None or malformed is None or cred is None:
        return None
    message = (f"{target.op.label} rejects anonymous requests ({anonymous.status}) but answered {malformed.status} "
               f"to {cred.name} carrying random garbage instead of {actor.name}'s credential, and {how}")
    evidence = steps(("baseline", base), ("attack", malformed), ("control", anonymous))
    return MALFORMED.finding(op=target.op, url=malformed.url, message=message, evidence=evidence, tenants=(actor,),
                             parameter=cred.name)


async def private_proof(ctx: ProbeContext, actor: Tenant, target: Target) -> tuple[str | None, Exchange | None]:
    """Why the baseline is the actor's own data: its canary or identity, else another tenant sees something else."""
    marker = private_marker(ctx, actor, target.baseline)
    if marker is not None:
        return f"it holds {actor.name}'s {marker}", None
    other = next((t for t in sorted(ctx.others(actor), key=lambda t: t.is_admin)), None)
    if other is None:
        return None, None
    reply = await ctx.client.request(target.op.method, target.path, tenant=other, template=target.op.path,
                                     params=target.query)
    if reply.status in REFUSED:
        return f"tenant {other.name} is refused the same request ({reply.status})", reply
    if reply.ok and similarity(body_of(reply), body_of(target.baseline)) < SIMILAR:
        return f"tenant {other.name} gets different data from the same request", reply
    return None, reply
