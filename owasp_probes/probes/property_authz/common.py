"""Shared by the property-level probes: who acts, and the rules they report."""

from __future__ import annotations

from secscan.models import Severity
from secscan_probes.engine.context import ProbeContext, ProbeRule
from secscan_probes.engine.tenants import Tenant

MASS = ProbeRule(
    "mass-assignment", "Mass assignment of protected properties", Severity.HIGH, 915,
    "The API stores properties the client is not allowed to set (privilege, ownership, balance...). "
    "Bind only the documented writable properties (OWASP API3:2023, CWE-915).")
EXPOSURE = ProbeRule(
    "excessive-data", "Excessive data exposure", Severity.HIGH, 213,
    "Responses carry sensitive properties that the response schema does not document "
    "(password hashes, tokens, secrets). Serialise responses through an explicit schema (OWASP API3:2023).")
SECRETS = ProbeRule(
    "sensitive-data-exposure", "Secrets reach someone other than their owner", Severity.CRITICAL, 200,
    "A password hash, token, API key, private key, SSN or card number of one account reaches another tenant or "
    "an anonymous caller (documented in the schema or not). Never serialise secrets; return them only to their "
    "owner when they must be shown at all (OWASP API3:2023, CWE-200).")


def actor_of(ctx: ProbeContext) -> Tenant:
    """The tenant that acts on its own objects: the first non-admin one."""
    return ctx.actor()
