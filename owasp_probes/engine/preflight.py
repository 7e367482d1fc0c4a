"""Auth preflight: the server answers, each tenant's credentials work, tenants are distinct identities, and which
operations really refuse anonymous callers (a spec that forgets `security` is noted, and not believed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from secscan.errors import TargetUnreachable, UsageError
from secscan_probes.engine.context import fill_path, gather
from secscan_probes.engine.http import ApiClient, Exchange
from secscan_probes.engine.schema import canonical
from secscan_probes.engine.spec import ApiSpec, Operation
from secscan_probes.engine.tenants import Tenants

IDENTITY_NAMES = ("me", "whoami", "self", "myself", "current", "profile", "account", "session", "userinfo",
                  "current_user", "currentuser", "user")
MAX_CANDIDATES = 4  # operations tried to verify the tenants' credentials
MAX_SURVEY = 40  # anonymous GETs to learn which operations the spec forgot to secure
REFUSED = (401, 403)


@dataclass(frozen=True, slots=True)
class PreflightResult:
    operation: Operation | None  # the operation most tenants verified with (the probes' identity endpoint)
    is_identity: bool
    identities: dict[str, Any] = field(default_factory=dict)  # tenant -> identity body (identity ops only)
    secured: frozenset[str] = frozenset()  # paths whose GET refused anonymous callers
    verify: dict[str, Operation] = field(default_factory=dict)  # tenant -> a safe read that works for it


def _is_identity(op: Operation) -> bool:
    return op.path.rstrip("/").rsplit("/", 1)[-1].lower().replace("-", "_") in IDENTITY_NAMES


def candidates(spec: ApiSpec, secured: frozenset[str] = frozenset()) -> list[Operation]:
    """GETs without parameters that need no input and need credentials (declared, or `secured`: seen refusing
    anonymous callers although the spec calls them public): identity endpoints (/users/me, /whoami...) first,
    shortest path first. Only callable operations: unsafe ones (logout...) were taken out of `spec.operations`."""
    usable = [op for op in spec.operations if op.method == "GET" and not op.path_params
              and not any(p.required and p.location in ("query", "header", "cookie") for p in op.parameters)
              and (op.requires_auth or not op.security_declared or op.path in secured)]
    return sorted(usable, key=lambda op: (not _is_identity(op), not (op.requires_auth or op.path in secured),
                                          len(op.path), op.path))


def _unreachable(client: ApiClient, label: str, exchange: Exchange) -> TargetUnreachable:
    return TargetUnreachable(f"{client.base_url} is unreachable: {label}: {exchange.error}")


async def preflight(client: ApiClient, spec: ApiSpec, tenants: Tenants) -> PreflightResult:
    """Raise TargetUnreachable or UsageError (one line) unless every tenant is accepted and distinct.

    Each tenant verifies with the first candidate (identity endpoints first) that answers it 2xx, so tenants with
    different kinds of sessions (a bearer token, a cookie) can be scanned together."""
    secured = await survey(client, spec)
    tried = candidates(spec, secured)[:MAX_CANDIDATES]
    if not tried:
        probe = await client.request("GET", "/", template=None)
        if probe.status is None:
            raise _unreachable(client, "GET /", probe)
        client.note("warning", "no authenticated GET operation without parameters in the spec; tenant credentials "
                               "could not be verified before probing")
        return PreflightResult(None, False, {}, secured)
    answers: dict[str, dict[str, Exchange]] = {}
    for op in tried:
        replies = await gather(*(client.request("GET", op.path, tenant=t, template=op.path) for t in tenants))
        for tenant, reply in zip(tenants, replies, strict=True):
            if reply.status is None:
                raise _unreachable(client, op.label, reply)
            answers.setdefault(tenant.name, {})[op.label] = reply
        if all(any(r.ok for r in answers[t.name].values()) for t in tenants):
            break
    verify = _verification(client, tenants, tried, answers)
    best = max(tried, key=lambda op: sum(1 for o in verify.values() if o == op))
    main = best if best in verify.values() else None
    if main is not None:
        await _anonymous_check(client, main)
    identities = {name: answers[name][op.label].data for name, op in verify.items() if op == main} \
        if main is not None and _is_identity(main) else {}
    if main is not None:
        _check_distinct(client, main, identities, _is_identity(main), len(tenants.tenants))
    return PreflightResult(main, main is not None and _is_identity(main), identities, secured, verify)


def _verification(client: ApiClient, tenants: Tenants, tried: list[Operation],
                  answers: dict[str, dict[str, Exchange]]) -> dict[str, Operation]:
    """tenant -> the first candidate that answered it 2xx; a tenant refused 401 by every candidate is rejected,
    one refused otherwise (403...) goes on unverified, with a warning."""
    verify: dict[str, Operation] = {}
    for tenant in tenants:
        seen = answers.get(tenant.name, {})
        ok = next((op for op in tried if op.label in seen and seen[op.label].ok), None)
        if ok is not None:
            verify[tenant.name] = ok
            continue
        refusals = [f"{label} ({reply.status})" for label, reply in seen.items()]
        if refusals and all(reply.status == 401 for reply in seen.values()):
            raise UsageError(f"tenant {tenant.name}: credentials rejected by {', '.join(refusals)}")
        client.note("warning", f"tenant {tenant.name}: no candidate operation accepted its credentials "
                               f"({', '.join(refusals)}); it is used unverified and its session is not watched")
    return verify


async def survey(client: ApiClient, spec: ApiSpec) -> frozenset[str]:
    """Anonymous GETs on operations that declare no security, or declare themselves public: a 401/403 means the
    spec is wrong about them. Each one is noted; probes then use the tenants' credentials there."""
    ops = [op for op in spec.operations if op.method == "GET" and not op.requires_auth][:MAX_SURVEY]
    replies = await gather(*(client.request("GET", fill_path(op.path, spec.example(op).path), template=op.path)
                             for op in ops))
    secured = {op.path for op, reply in zip(ops, replies, strict=True) if reply.status in REFUSED}
    for op, reply in zip(ops, replies, strict=True):
        if reply.status in REFUSED:
            declared = "declares security: [] (public)" if op.security_declared else "declares no security"
            client.note("note", f"spec defect: {op.label} {declared} but answers {reply.status} without "
                                "credentials; probed with the tenants' credentials")
    return frozenset(secured)


async def _anonymous_check(client: ApiClient, op: Operation) -> None:
    reply = await client.request("GET", op.path, template=op.path)
    if reply.ok:
        client.note("warning", f"{op.label} answers {reply.status} without credentials; the auth preflight "
                               "cannot prove that the tenants' credentials matter")


def _check_distinct(client: ApiClient, op: Operation, identities: dict[str, Any], is_identity: bool,
                    count: int) -> None:
    if not is_identity:
        if count > 1:
            client.note("note", f"the spec has no identity endpoint (/me, /whoami...); tenants were checked "
                                f"with {op.label} but could not be proven to be distinct identities")
        return
    seen: dict[str, str] = {}
    for name, body in identities.items():
        key = canonical(body)
        if key in seen:
            raise UsageError(f"tenants {seen[key]} and {name} are the same identity (identical {op.label})")
        seen[key] = name
