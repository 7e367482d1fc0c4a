"""Excessive and sensitive data exposure, without writing anything.

- excessive-data: a response carries secret-looking properties its schema does not declare (any response the run
  received as a tenant, plus a GET of each of the actor's own objects).
- sensitive-data-exposure: a secret value (password hash, token, key, SSN, card number: declared or not) reaches
  someone other than its owner: an anonymous caller, or another tenant receiving the same value the owner sees.
Names and locations are reported, never values.
"""

from __future__ import annotations

from collections.abc import Iterable

from secscan_probes.engine.bodies import object_of
from secscan_probes.engine.context import ApiFinding, ProbeContext, gather, steps
from secscan_probes.engine.discovery import path_values
from secscan_probes.engine.http import Exchange
from secscan_probes.engine.schema import item_schema, properties
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Tenant
from secscan_probes.probes.property_authz.common import EXPOSURE, SECRETS, actor_of
from secscan_probes.probes.property_authz.values import SENSITIVE, secrets_in

LOGIN_WORDS = ("login", "signin", "sign-in", "token", "oauth", "session", "auth")


async def exposure_findings(ctx: ProbeContext) -> list[ApiFinding]:
    actor = actor_of(ctx)
    pending = [op for op in ctx.spec.operations if op.method == "GET"]
    answered: list[tuple[Operation, Exchange]] = []
    for _ in range(2):  # a second round fills ids only the first round's lists revealed (/reviews/{review_id})
        filled = await gather(*(path_values(ctx, op, actor) for op in pending))
        reads = [(op, values) for op, values in zip(pending, filled, strict=True) if values is not None]
        replies = await gather(*(ctx.call(actor, op, values) for op, values in reads))
        answered += [(op, reply) for (op, _), reply in zip(reads, replies, strict=True)]
        pending = [op for op, values in zip(pending, filled, strict=True) if values is None]
    found = _excessive(ctx, ctx.client.exchanges)
    found += await _reaching_others(ctx, actor, answered)
    found += _anonymous(ctx, ctx.client.exchanges, {f.path for f in found if f.rule is SECRETS})
    return found


# --- undeclared secrets in responses to tenants ----------------------------------------------------------------


def _excessive(ctx: ProbeContext, exchanges: Iterable[Exchange]) -> list[ApiFinding]:
    seen: dict[str, ApiFinding] = {}
    for exchange in exchanges:
        op = _op_of(ctx, exchange)
        if op is None or op.label in seen or not exchange.genuine or exchange.tenant not in ctx.tenants.names:
            continue
        names = undeclared_sensitive(exchange, op)
        if names:
            tenant = ctx.tenants.by_name(exchange.tenant)
            message = (f"{op.label} returns sensitive properties the response schema does not declare: "
                       f"{', '.join(names)} (values withheld)")
            seen[op.label] = EXPOSURE.finding(op=op, url=exchange.url, message=message,
                                              evidence=steps(("response", exchange)), tenants=(tenant,),
                                              parameter=",".join(names))
    return list(seen.values())


def undeclared_sensitive(reply: Exchange, op: Operation) -> list[str]:
    """Sensitive-sounding keys with values in a JSON object (or list of objects, or an envelope) that the
    documented schema lacks."""
    if not reply.ok or reply.data is None or reply.status is None:
        return []
    schema = item_schema(op.responses.get(str(reply.status)) or op.success_schema())
    declared = set(properties(schema))
    inner = object_of(reply.data)
    envelope = inner is not None and inner is not reply.data
    if envelope:
        declared |= set(properties(item_schema(properties(schema).get("data", {}))))
    if not declared:
        return []  # free-form or undocumented: nothing to compare with
    data = inner if envelope else reply.data
    rows = data if isinstance(data, list) else [data]
    keys = {k for row in rows if isinstance(row, dict) for k, v in row.items() if v not in (None, "", [], {})}
    return sorted(k for k in keys - declared if SENSITIVE.search(k))


# --- secrets reaching someone else ------------------------------------------------------------------------------


async def _reaching_others(ctx: ProbeContext, actor: Tenant,
                           reads: list[tuple[Operation, Exchange]]) -> list[ApiFinding]:
    """Every GET whose answer to the actor holds secrets is asked again anonymously and as another tenant."""
    other = next((t for t in ctx.others(actor) if not t.is_admin), None)
    holding = [(op, reply) for op, reply in reads if reply.ok and list(secrets_in(reply.data))]
    found = []
    for op, reply in holding:
        path = reply.url.removeprefix(ctx.base_url)
        anonymous = await ctx.client.request("GET", path, template=op.path)
        item = _anonymous_finding(op, anonymous, reply)
        if item is None and other is not None:
            item = await _cross_tenant(ctx, op, path, actor, other, reply)
        found += [item] if item else []
    return found


async def _cross_tenant(ctx: ProbeContext, op: Operation, path: str, actor: Tenant, other: Tenant,
                        own: Exchange) -> ApiFinding | None:
    theirs = await ctx.client.request("GET", path, tenant=other, template=op.path)
    if not theirs.ok:
        return None
    mine = dict(secrets_in(own.data))
    shared = sorted(where for where, value in secrets_in(theirs.data) if mine.get(where) == value)
    if not shared:
        return None
    message = (f"{op.label} gives {other.name} the same secret values that {actor.name} sees for its own data: "
               f"{', '.join(shared)} (values withheld)")
    return SECRETS.finding(op=op, url=theirs.url, message=message, tenants=(actor, other), parameter=",".join(shared),
                           evidence=steps(("owner", own), ("other tenant", theirs)))


def _anonymous_finding(op: Operation, reply: Exchange, own: Exchange | None = None) -> ApiFinding | None:
    if not reply.ok:
        return None
    where = sorted({w for w, _ in secrets_in(reply.data)})
    if not where:
        return None
    message = (f"{op.label} answers anonymous callers ({reply.status}) with secret values: {', '.join(where)} "
               "(values withheld)")
    pairs = (("tenant view", own), ("anonymous", reply)) if own is not None else (("anonymous", reply),)
    return SECRETS.finding(op=op, url=reply.url, message=message, evidence=steps(*pairs), parameter=",".join(where))


def _anonymous(ctx: ProbeContext, exchanges: Iterable[Exchange], done: set[str]) -> list[ApiFinding]:
    """Anonymous GETs the run already made (the preflight's survey, the auth probe...): any secret in them."""
    found: dict[str, ApiFinding] = {}
    for exchange in exchanges:
        op = _op_of(ctx, exchange)
        if op is None or exchange.genuine or exchange.method != "GET" or op.path in done or op.label in found:
            continue
        if exchange.credentials_sent or any(w in op.path.lower() for w in LOGIN_WORDS):
            continue
        item = _anonymous_finding(op, exchange)
        if item is not None:
            found[op.label] = item
    return list(found.values())


def _op_of(ctx: ProbeContext, exchange: Exchange) -> Operation | None:
    return ctx.spec.find(exchange.method, exchange.template) if exchange.template else None
