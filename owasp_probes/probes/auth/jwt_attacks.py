"""JWT checks of the auth probe: alg none, signature not verified, expired token, weak HMAC key cracked offline."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import Any

from secscan_probes.engine.context import ApiFinding, ProbeContext, ProbeRule, steps
from secscan_probes.engine.http import Exchange
from secscan_probes.engine.schema import similarity
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Tenant
from secscan_probes.probes.auth.common import (
    ALG_NONE,
    EXPIRED,
    SIGNATURE,
    SIMILAR,
    WEAK_SECRET,
    Credential,
    Target,
    credential_of,
    labels,
    same_data,
    send_as,
    send_op,
)
from secscan_probes.probes.auth.jwt_tools import (
    HS_DIGESTS,
    NONE_VARIANTS,
    Jwt,
    crack_hs,
    decode,
    expired_copy,
    forge_none,
    identity_claim,
    load_wordlist,
    looks_like_jwt,
    resign_random,
    sign_hs,
    strip_signature,
    with_claims,
)

NONE_NAMES = dict(zip(NONE_VARIANTS, ("alg_none", "alg_none_title", "alg_none_upper", "alg_none_mixed"), strict=True))
SIGNATURE_CHECKS = ("stripped", "random key")


@dataclass(frozen=True, slots=True)
class Forgery:
    """The actor's decoded token and, when the offline crack succeeded, its HMAC key (memory only, never shown)."""

    actor: Tenant
    cred: Credential
    jwt: Jwt = field(repr=False)
    key: str | None = field(default=None, repr=False)

    def mint(self, ctx: ProbeContext, token: str, variant: str, who: Tenant | None = None) -> str:
        """Register a forged token as a secret (curl shows $SECSCAN_FORGED_<TENANT>_<VARIANT>) and return it."""
        ctx.client.add_secret(token, f"forged_{(who or self.actor).name}_{variant}")
        return token


@dataclass(frozen=True, slots=True)
class Victim:
    """Another tenant whose identity claim a forged token takes over, and its real identity reply (evidence)."""

    tenant: Tenant
    claim: str
    value: Any
    reply: Exchange | None


def analyse(ctx: ProbeContext, actor: Tenant, cred: Credential | None) -> Forgery | None:
    """Decode the actor's JWT and crack an HS* key against the bundled wordlist (no request per guess)."""
    if cred is None or not looks_like_jwt(cred.token):
        return None
    jwt = decode(cred.token)
    key = crack_hs(jwt, load_wordlist()) if jwt.alg in HS_DIGESTS else None
    if key is not None:
        ctx.client.add_secret(key, "jwt_key")
    return Forgery(actor, cred, jwt, key)


def victim_for(ctx: ProbeContext, forgery: Forgery) -> Victim | None:
    """A tenant (non-admins first) with a JWT whose identity claim differs from the actor's, on an identity op."""
    mine = identity_claim(forgery.jwt.claims)
    op = ctx.identity_op
    if mine is None or op is None or forgery.actor.name not in ctx.identities:
        return None
    for other in sorted(ctx.others(forgery.actor), key=lambda t: t.is_admin):
        cred = credential_of(ctx.client.session(other))
        if cred is None or not looks_like_jwt(cred.token) or other.name not in ctx.identities:
            continue
        value = decode(cred.token).claims.get(mine[0])
        if value not in (None, "", mine[1]):
            reply = next((e for e in ctx.client.exchanges if e.tenant == other.name and e.template == op.path
                          and e.ok), None)
            return Victim(other, mine[0], value, reply)
    return None


def impersonated(ctx: ProbeContext, forgery: Forgery, victim: Victim, reply: Exchange | None) -> bool:
    """The forged reply is the victim's identity body (closer to it than to the actor's)."""
    if reply is None or not reply.ok:
        return False
    to_victim = similarity(reply.data, ctx.identities[victim.tenant.name])
    return to_victim >= SIMILAR and to_victim > similarity(reply.data, ctx.identities[forgery.actor.name])


def accepted(ctx: ProbeContext, forgery: Forgery, target: Target, check: str) -> str | None:
    reply = target.replies.get(check)
    return same_data(ctx, forgery.actor, reply, target.baseline) if reply is not None else None


async def _send_all(ctx: ProbeContext, cred: Credential, jobs: list[tuple[Target, str, str]]) -> None:
    replies = await asyncio.gather(*(send_as(ctx, target, cred, token) for target, _, token in jobs))
    for (target, check, _), reply in zip(jobs, replies, strict=True):
        target.replies[check] = reply


def _variant_tokens(ctx: ProbeContext, f: Forgery) -> dict[str, str]:
    """check name -> forged copy of the actor's token (same claims; expired only with the cracked key)."""
    tokens = {f"none:{v}": f.mint(ctx, forge_none(f.jwt, alg_variant=v), NONE_NAMES[v]) for v in NONE_VARIANTS}
    tokens["stripped"] = f.mint(ctx, strip_signature(f.jwt), "stripped")
    tokens["random key"] = f.mint(ctx, resign_random(f.jwt), "random_key")
    if f.key is not None:
        tokens["expired"] = f.mint(ctx, expired_copy(f.jwt, f.key), "expired")
    return tokens


def _impersonation_tokens(ctx: ProbeContext, f: Forgery, victim: Victim, none_variant: str | None,
                          signature: str | None) -> dict[str, str]:
    """rule id -> a token carrying the victim's identity claim, for each flaw seen so far."""
    claims = {**f.jwt.claims, victim.claim: victim.value}
    alg = f.jwt.alg if f.jwt.alg in HS_DIGESTS else "HS256"
    tokens: dict[str, str] = {}
    if none_variant:
        tokens[ALG_NONE.rule_id] = forge_none(f.jwt, claims, none_variant)
    if signature:
        signed = sign_hs(f.jwt.header, claims, secrets.token_bytes(32), alg)
        tokens[SIGNATURE.rule_id] = signed if signature == "random key" else signed.rsplit(".", 1)[0] + "."
    if f.key is not None:
        tokens[WEAK_SECRET.rule_id] = with_claims(f.jwt, f.key, **{victim.claim: victim.value})
    return {rule: f.mint(ctx, token, rule.split("-", 1)[1].replace("-", "_"), victim.tenant)
            for rule, token in tokens.items()}


async def probe_tokens(ctx: ProbeContext, f: Forgery, gated: list[Target],
                       victim: Victim | None) -> dict[str, Exchange]:
    """Send every variant (all alg-none spellings on the first operation only); returns impersonation replies."""
    tokens = _variant_tokens(ctx, f)
    first = [(gated[0], check, tok) for check, tok in tokens.items() if check.startswith("none:")] if gated else []
    rest = [(t, check, tok) for t in gated for check, tok in tokens.items() if not check.startswith("none:")]
    await _send_all(ctx, f.cred, first + rest)
    spelling = next((v for v in NONE_VARIANTS if gated and accepted(ctx, f, gated[0], f"none:{v}")), None)
    signature = next((c for c in SIGNATURE_CHECKS for t in gated if accepted(ctx, f, t, c)), None)
    chosen = f"none:{spelling or NONE_VARIANTS[0]}"
    jobs = [(t, chosen, tokens[chosen]) for t in gated[1:]]
    forged = _impersonation_tokens(ctx, f, victim, spelling, signature) if victim else {}
    op = ctx.identity_op
    sends = [send_op(ctx, op, op.path, {}, f.cred, tok) for tok in forged.values()] if op else []
    _, replies = await asyncio.gather(_send_all(ctx, f.cred, jobs), asyncio.gather(*sends))
    return dict(zip(forged, replies, strict=True))


def flaw_finding(ctx: ProbeContext, f: Forgery, rule: ProbeRule, gated: list[Target], checks: list[str], what: str,
                 victim: Victim | None, forged: Exchange | None) -> ApiFinding | None:
    """One finding per flaw, at the first affected operation, naming every affected operation."""
    affected = [t for t in gated if any(accepted(ctx, f, t, c) for c in checks)]
    if not affected:
        return None
    first = affected[0]
    check = next(c for c in checks if accepted(ctx, f, first, c))
    attack, control = first.replies[check], first.replies["anonymous"]
    message = (f"{what} ({_readable(check)}) is accepted on {len(affected)} of {len(gated)} operations that "
               f"reject anonymous and malformed credentials: {labels([t.op for t in affected])}. On "
               f"{first.op.label} the forged request answered {attack.status} and "
               f"{accepted(ctx, f, first, check)}; without credentials: {control.status}.")
    message += _impersonation_note(ctx, f, victim, forged)
    evidence = steps(("baseline", first.baseline), ("attack", attack), ("control", control),
                     ("impersonation", forged if victim and impersonated(ctx, f, victim, forged) else None))
    return rule.finding(op=first.op, url=attack.url, message=message, evidence=evidence, tenants=(f.actor,),
                        parameter=f.cred.name)


def _readable(check: str) -> str:
    if check.startswith("none:"):
        return f"header alg '{check[5:]}', empty signature"
    return {"stripped": "signature removed", "random key": "signed with a random key",
            "expired": "exp one hour ago"}.get(check, check)


def _impersonation_note(ctx: ProbeContext, f: Forgery, victim: Victim | None, forged: Exchange | None,
                        forgery: str = "the same forgery") -> str:
    if victim is None or forged is None or ctx.identity_op is None:
        return ""
    who = f"{victim.tenant.name}'s {victim.claim}"
    if impersonated(ctx, f, victim, forged):
        return (f" Impact confirmed: {forgery} carrying {who} made {ctx.identity_op.label} answer "
                f"{forged.status} with {victim.tenant.name}'s identity.")
    return f" {forgery.capitalize()} carrying {who} was not resolved to {victim.tenant.name} ({forged.status})."


def weak_key_finding(ctx: ProbeContext, f: Forgery, where: Operation, victim: Victim | None,
                     forged: Exchange | None) -> ApiFinding:
    """The key itself is a finding (the HMAC reproduces the signature); the forged identity shows the impact."""
    message = (f"The {f.jwt.alg} key that signs {f.actor.name}'s token is in secscan's bundled wordlist of common "
               f"JWT secrets: it was recovered offline from the token (no request per guess); the key is withheld "
               f"from this report.")
    impact = _impersonation_note(ctx, f, victim, forged, "a token signed with the recovered key")
    message += impact or " Impact not demonstrated: no identity operation or no second tenant with a JWT."
    evidence = steps(("victim baseline", victim.reply if victim else None), ("impersonation", forged))
    return WEAK_SECRET.finding(op=where, url=ctx.url(where.path), message=message, evidence=evidence,
                               tenants=(f.actor,), parameter=f.cred.name)


async def jwt_findings(ctx: ProbeContext, f: Forgery, gated: list[Target], key_location: Operation | None
                       ) -> list[ApiFinding]:
    """alg none, signature not verified, expired accepted (key known) and the weak key itself."""
    victim = victim_for(ctx, f)
    forged = await probe_tokens(ctx, f, gated, victim)
    spellings = [f"none:{v}" for v in NONE_VARIANTS]
    found = [
        flaw_finding(ctx, f, ALG_NONE, gated, spellings, "An unsigned copy of the token with alg none", victim,
                     forged.get(ALG_NONE.rule_id)),
        flaw_finding(ctx, f, SIGNATURE, gated, list(SIGNATURE_CHECKS), "A copy of the token with a bad signature",
                     victim, forged.get(SIGNATURE.rule_id)),
        flaw_finding(ctx, f, EXPIRED, gated, ["expired"], "A correctly signed copy of the token that expired an "
                     "hour ago", None, None),
    ]
    if f.key is not None:
        where = key_location or (gated[0].op if gated else ctx.identity_op)
        if where is not None:
            found.append(weak_key_finding(ctx, f, where, victim, forged.get(WEAK_SECRET.rule_id)))
    return [item for item in found if item is not None]

