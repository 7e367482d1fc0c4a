"""API3:2023 broken object property level authorization: mass assignment (confirmed by read-back, restored) and
excessive data / sensitive data exposure (names only, never values)."""

from __future__ import annotations

from secscan_probes.engine.context import ApiFinding, ProbeContext
from secscan_probes.engine.registry import probe
from secscan_probes.probes.property_authz.exposure import exposure_findings
from secscan_probes.probes.property_authz.mass import mass_findings


@probe("mass-assignment", owasp="API3:2023", title="Mass assignment")
async def mass_assignment(ctx: ProbeContext) -> list[ApiFinding]:
    return await mass_findings(ctx)


@probe("excessive-data", owasp="API3:2023", title="Excessive and sensitive data exposure")
async def excessive_data(ctx: ProbeContext) -> list[ApiFinding]:
    return await exposure_findings(ctx)
