"""Shared pieces of the auth probe: where a tenant's credential sits, baselines, the same-data oracle, findings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from secscan.models import Severity
from secscan_probes.engine.context import ProbeContext, ProbeRule, fill_path
from secscan_probes.engine.discovery import own_values
from secscan_probes.engine.http import Exchange
from secscan_probes.engine.schema import similarity
from secscan_probes.engine.sessions import Session
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Tenant

SIMILAR = 0.9
_SCHEME = re.compile(r"^([A-Za-z]+\s+)(\S.*)$")
REBUILD = (" Evidence curls name forged tokens $SECSCAN_FORGED_<TENANT>_<VARIANT>; rebuild one from the tenant's "
           "token with `eval \"$(secscan forge SECSCAN_FORGED_<TENANT>_<VARIANT> --export)\"`.")
_IDENTITY_KEYS = re.compile(r"^(user_?name|login|email|e_?mail|handle|account)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Credential:
    """A tenant's primary credential: a header, cookie or query value (scheme like 'Bearer ' kept apart)."""

    location: str  # header | cookie | query
    name: str
    scheme: str
    token: str = field(repr=False)

    def carrying(self, token: str) -> dict[str, dict[str, str]]:
        """request() keyword arguments that carry `token`, and nothing else, in this credential's place."""
        if self.location == "header":
            return {"headers": {self.name: self.scheme + token}, "params": {}}
        if self.location == "cookie":
            return {"headers": {"Cookie": f"{self.name}={token}"}, "params": {}}
        return {"headers": {}, "params": {self.name: token}}


def credential_of(tenant: Session) -> Credential | None:
    """Authorization first, then any other header, cookie or query credential of the tenant's live session."""
    headers = sorted(tenant.headers.items(), key=lambda kv: kv[0].lower() != "authorization")
    for name, value in headers:
        match = _SCHEME.match(value)
        return Credential("header", name, match.group(1) if match else "", match.group(2) if match else value)
    for name, value in tenant.cookies.items():
        return Credential("cookie", name, "", value)
    for name, value in tenant.query.items():
        return Credential("query", name, "", value)
    return None


@dataclass(slots=True)
class Target:
    """One operation probed as `actor`: the filled path, required query values and the real (baseline) reply."""

    op: Operation
    path: str
    query: dict[str, Any]
    baseline: Exchange
    replies: dict[str, Exchange] = field(default_factory=dict)  # check name -> reply with tampered credentials


def body_of(exchange: Exchange) -> Any:
    return exchange.data if exchange.data is not None else exchange.text


def target_request(ctx: ProbeContext, actor: Tenant, op: Operation) -> tuple[str, dict[str, Any]] | None:
    """(path, query) for `op` on the actor's own objects; None when a path value or a header is missing."""
    mine = own_values(ctx, actor)
    if any(p not in mine for p in op.path_params):
        return None
    if any(p.required and p.location in ("header", "cookie") for p in op.parameters):
        return None
    needed = [p.name for p in op.parameters if p.required and p.location == "query"]
    example = ctx.spec.example(op).query if needed else {}
    if any(name not in example for name in needed):
        return None
    return fill_path(op.path, mine), {name: example[name] for name in needed}


async def send_op(ctx: ProbeContext, op: Operation, path: str, query: Mapping[str, Any], cred: Credential | None,
                  token: str | None) -> Exchange:
    """`op` with only `token` in the credential's place (no credentials at all when `token` is None)."""
    carried = cred.carrying(token) if cred is not None and token is not None else {"headers": {}, "params": {}}
    return await ctx.client.request(op.method, path, tenant=None, template=op.path,
                                    params={**query, **carried["params"]}, headers=carried["headers"])


async def send_as(ctx: ProbeContext, target: Target, cred: Credential | None, token: str | None) -> Exchange:
    """The target's request carrying `token` instead of the actor's credential."""
    return await send_op(ctx, target.op, target.path, target.query, cred, token)


def same_data(ctx: ProbeContext, actor: Tenant, reply: Exchange, baseline: Exchange) -> str | None:
    """Why `reply` carries the actor's data (canary, or >= 0.9 similar to the real reply); None if it does not."""
    if not reply.ok:
        return None
    canary = ctx.canaries.get(actor.name)
    if canary and canary in reply.text and canary in baseline.text:
        return f"it contains {actor.name}'s canary"
    ratio = similarity(body_of(reply), body_of(baseline))
    return f"its body matches the real reply (similarity {ratio:.2f})" if ratio >= SIMILAR else None


def private_marker(ctx: ProbeContext, actor: Tenant, baseline: Exchange) -> str | None:
    """Why the baseline is the actor's own data rather than something public: canary or identity value."""
    canary = ctx.canaries.get(actor.name)
    if canary and canary in baseline.text:
        return "canary"
    identity = ctx.identities.get(actor.name)
    if isinstance(identity, Mapping):
        for key, value in identity.items():
            if _IDENTITY_KEYS.match(str(key)) and isinstance(value, str) and len(value) >= 3 \
                    and value in baseline.text:
                return str(key)
    return None


def labels(ops: list[Operation]) -> str:
    return ", ".join(op.label for op in ops)


NO_CREDENTIALS = ProbeRule(
    "auth-no-credentials", "Operation answers without credentials", Severity.HIGH, 287,
    "An operation documented as requiring authentication returns a tenant's data to a request without any "
    "credentials (OWASP API2:2023, CWE-287). Enforce the authentication dependency on every route.")
MALFORMED = ProbeRule(
    "auth-malformed-token", "Malformed credentials accepted", Severity.HIGH, 287,
    "An operation rejects anonymous requests but returns a tenant's data for a garbage bearer token: the "
    "credential is checked for presence, not validity (OWASP API2:2023, CWE-287).")
ALG_NONE = ProbeRule(
    "jwt-alg-none", "JWT with alg none accepted", Severity.CRITICAL, 347,
    "Unsigned JWTs (alg none, any letter case) are accepted, so anyone can mint a token for any identity "
    "(OWASP API2:2023, CWE-347). Pin the accepted algorithms when verifying tokens." + REBUILD)
SIGNATURE = ProbeRule(
    "jwt-signature-not-verified", "JWT signature not verified", Severity.CRITICAL, 347,
    "JWTs whose signature is stripped or made with a random key are accepted: claims are decoded without "
    "verifying the signature, so any identity can be forged (OWASP API2:2023, CWE-347)." + REBUILD)
EXPIRED = ProbeRule(
    "jwt-expired-accepted", "Expired JWT accepted", Severity.MEDIUM, 613,
    "A correctly signed JWT whose exp lies in the past is accepted, so leaked or old tokens never stop "
    "working (OWASP API2:2023, CWE-613). Verify exp (and nbf) on every request." + REBUILD)
WEAK_SECRET = ProbeRule(
    "jwt-weak-secret", "JWT signed with a guessable secret", Severity.CRITICAL, 521,
    "The HMAC key that signs the API's JWTs is in a public wordlist of common secrets; it was recovered offline "
    "from one token, and with it any identity's token can be forged (OWASP API2:2023, CWE-521). Rotate to a "
    "random key of at least 256 bits kept in a secret store." + REBUILD)
USER_ENUMERATION = ProbeRule(
    "auth-user-enumeration", "Login reveals whether an account exists", Severity.MEDIUM, 204,
    "The login operation answers differently for an existing user with a wrong password and for an unknown "
    "user, so accounts can be enumerated before guessing passwords (OWASP API2:2023, CWE-204). Return one "
    "generic failure (same status and body) in both cases.")
