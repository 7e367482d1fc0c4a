"""Auth preflight: the server answers, each tenant's credentials work, and tenants are distinct identities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from secscan.errors import TargetUnreachable, UsageError
from secscan_probes.engine.context import gather
from secscan_probes.engine.http import ApiClient, Exchange
from secscan_probes.engine.schema import canonical
from secscan_probes.engine.spec import ApiSpec, Operation
from secscan_probes.engine.tenants import Tenants

IDENTITY_NAMES = ("me", "whoami", "self", "myself", "current", "profile", "account", "session")


@dataclass(frozen=True, slots=True)
class PreflightResult:
    operation: Operation | None
    is_identity: bool
    identities: dict[str, Any] = field(default_factory=dict)  # tenant -> identity body (identity ops only)


def auth_operation(spec: ApiSpec) -> tuple[Operation | None, bool]:
    """A GET needing auth and no parameters; an identity endpoint (/users/me, /me, /whoami...) first."""
    usable = [op for op in spec.operations if op.method == "GET" and op.requires_auth and not op.path_params
              and not any(p.required and p.location in ("query", "header", "cookie") for p in op.parameters)]
    identity = [op for op in usable if op.path.rstrip("/").rsplit("/", 1)[-1].lower() in IDENTITY_NAMES]
    if identity:
        return min(identity, key=lambda o: len(o.path)), True
    return (min(usable, key=lambda o: len(o.path)), False) if usable else (None, False)


def _unreachable(client: ApiClient, label: str, exchange: Exchange) -> TargetUnreachable:
    return TargetUnreachable(f"{client.base_url} is unreachable: {label}: {exchange.error}")


async def preflight(client: ApiClient, spec: ApiSpec, tenants: Tenants) -> PreflightResult:
    """Raise TargetUnreachable or UsageError (one line) unless every tenant is accepted and distinct."""
    op, is_identity = auth_operation(spec)
    if op is None:
        probe = await client.request("GET", "/", template=None)
        if probe.status is None:
            raise _unreachable(client, "GET /", probe)
        client.note("warning", "no authenticated GET operation without parameters in the spec; "
                               "tenant credentials could not be verified before probing")
        return PreflightResult(None, False)
    replies = await gather(*(client.request("GET", op.path, tenant=t, template=op.path) for t in tenants))
    for tenant, reply in zip(tenants, replies, strict=True):
        if reply.status is None:
            raise _unreachable(client, op.label, reply)
        if not reply.ok:
            raise UsageError(f"tenant {tenant.name}: credentials rejected by {op.label} ({reply.status})")
    await _anonymous_check(client, op)
    identities = {t.name: r.data for t, r in zip(tenants, replies, strict=True)} if is_identity else {}
    _check_distinct(client, op, identities, is_identity, len(tenants.tenants))
    return PreflightResult(op, is_identity, identities)


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
