"""Shared pieces of the BOLA probe: cross-tenant attempts, id helpers and the finding they produce."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from secscan.models import Severity
from secscan_probes.engine.context import ApiFinding, ProbeContext, ProbeRule
from secscan_probes.engine.discovery import own_values
from secscan_probes.engine.evidence import EvidenceStep
from secscan_probes.engine.http import Exchange
from secscan_probes.engine.resources import Resource
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Tenant

PER_OWNER = 2
BOLA = ProbeRule(
    "bola", "Broken object level authorization", Severity.HIGH, 639,
    "A tenant can read, change or delete an object owned by another tenant by putting its id in the request "
    "(OWASP API1:2023, CWE-639). Check the caller's ownership of the object on every operation.")


@dataclass(frozen=True, slots=True)
class Attempt:
    """One cross-tenant try: `attacker` uses `op` on `resource`, which `owner` owns."""

    op: Operation
    resource: Resource
    owner: Tenant
    attacker: Tenant

    @property
    def roles(self) -> tuple[str, str]:
        return (self.owner.role, self.attacker.role)

    @property
    def base_key(self) -> tuple[str, tuple[str, str], str]:
        """Identity of the owner's baseline request for this attempt."""
        return (self.op.label, self.resource.key, self.owner.name)


def attempts(ctx: ProbeContext, param: str, ops: list[Operation], per_owner: int = PER_OWNER,
             origins: tuple[str, ...] | None = None) -> list[Attempt]:
    """Owner x object x foreign non-admin tenant x operation; public objects are left out."""
    found: list[Attempt] = []
    for owner in ctx.tenants:
        objects = [r for r in ctx.resources.of(param, owner.name)
                   if not ctx.is_public(param, r.value) and (origins is None or r.origin in origins)]
        for resource in objects[:per_owner]:
            for attacker in ctx.others(owner):
                if not attacker.is_admin:  # an admin reading others' objects is legitimate
                    found.extend(Attempt(op, resource, owner, attacker) for op in ops)
    return found


def values_for(ctx: ProbeContext, owner: Tenant, resource: Resource) -> dict[str, Any]:
    """Path values: the owner's parents (nested paths) and the object itself."""
    return {**own_values(ctx, owner), resource.param: resource.value}


def missing_id(op: Operation, param: str) -> Any:
    """A value for `param` that names no object."""
    parameter = op.param(param)
    schema = parameter.schema if parameter else {}
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    if schema.get("type") == "integer":
        return 2_000_000_000 - secrets.randbelow(1_000_000)
    return f"secscan-missing-{secrets.token_hex(4)}"


def body_of(exchange: Exchange) -> Any:
    return exchange.data if exchange.data is not None else exchange.text


def finding(a: Attempt, how: str, attack: Exchange, evidence: tuple[EvidenceStep, ...]) -> ApiFinding:
    r = a.resource
    verb = {"GET": "read", "DELETE": "deleted"}.get(a.op.method, "modified")
    message = (f"{a.attacker.name} ({a.attacker.role}) {verb} {a.owner.name}'s object {r.param}={r.value} "
               f"through {a.op.label}: {how}")
    return BOLA.finding(op=a.op, url=attack.url, message=message, evidence=evidence, tenants=(a.owner, a.attacker),
                        parameter=r.param, severity=Severity.HIGH if a.op.method == "GET" else Severity.CRITICAL)
