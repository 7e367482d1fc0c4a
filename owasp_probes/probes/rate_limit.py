"""API4:2023 probe: bounded bursts against authentication flows (no throttling) and unbounded page sizes."""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from secscan.models import Severity
from secscan_probes.engine.context import ApiFinding, ProbeContext, ProbeRule, steps
from secscan_probes.engine.discovery import ENVELOPES, creates_objects, own_values
from secscan_probes.engine.http import Exchange
from secscan_probes.engine.registry import probe
from secscan_probes.engine.schema import properties, type_of
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Tenant

MIN_BURST = 20  # fewer than this (small remaining budget) proves nothing: skipped with a note
HUGE_PAGE = 100_000
UNDECLARED_MAX = 100  # without a declared maximum, more items than this counts as unbounded
SENSITIVE_WORDS = {"login", "logon", "signin", "token", "auth", "authenticate", "oauth", "password", "passwd",
                   "reset", "forgot", "otp", "totp", "verify", "verification", "mfa", "2fa"}
PAGE_PARAMS = {"limit", "pagesize", "perpage", "size", "count"}
LIMIT_HEADER = re.compile(r"^(?:retry-after$|(?:x-)?rate-?limit)", re.IGNORECASE)
LOCKOUT = re.compile(r"locked|lockout|too many|try again later|temporarily (?:blocked|disabled)|captcha|slow down",
                     re.IGNORECASE)
# The request never reached the flow being protected (refused or disabled, or its body rejected).
USELESS = {403, 405, 415, 422}

NO_LIMIT = ProbeRule(
    "no-rate-limit", "No rate limiting on an authentication flow", Severity.MEDIUM, 307,
    "A burst of requests to a login, token, password-reset or OTP operation was answered without any throttling "
    "(no 429/503, no Retry-After or RateLimit headers, no lockout), which allows credential stuffing and code "
    "brute force. Limit attempts per client and per account (OWASP API4:2023, CWE-307).")
UNBOUNDED = ProbeRule(
    "unbounded-page-size", "Unbounded page size", Severity.MEDIUM, 770,
    "A list operation returned more items than its documented maximum page size when asked for a huge page, so "
    "one request can make the server read and serialise the whole collection. Enforce the maximum server-side "
    "(OWASP API4:2023, CWE-770).")


@dataclass(frozen=True, slots=True)
class Burst:
    """The replies to one burst and how long it took."""

    replies: tuple[Exchange, ...]
    seconds: float

    @property
    def statuses(self) -> dict[int | None, int]:
        counts = Counter(r.status for r in self.replies)
        return dict(sorted(counts.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)))

    @property
    def rate(self) -> float:
        return len(self.replies) / max(self.seconds, 1e-3)

    def summary(self) -> str:
        return (f"{len(self.replies)} requests in {self.seconds:.1f} s ({self.rate:.1f} req/s), "
                f"statuses {self.statuses}")

    def throttling(self) -> list[str]:
        """Every sign of a limiter: throttling statuses, limit headers, a status change, lockout wording."""
        seen = [f"{code} for {self.statuses[code]} of {len(self.replies)} requests" for code in (429, 503)
                if code in self.statuses]
        headers = sorted({h for r in self.replies for h in r.headers if LIMIT_HEADER.search(h)})
        seen += [f"headers {', '.join(headers)}"] if headers else []
        seen += [f"status changed during the burst {self.statuses}"] if len(self.statuses) > 1 and not seen else []
        first = self.replies[0].text if self.replies else ""
        if any(LOCKOUT.search(r.text) and not LOCKOUT.search(first) for r in self.replies[1:]):
            seen.append("lockout wording appeared")
        return seen


@probe("rate-limit", owasp="API4:2023", runs_last=True,
       title="Unrestricted resource consumption (rate limits, page size)")
async def rate_limit(ctx: ProbeContext) -> list[ApiFinding]:
    """Page sizes first (cheap), then one burst per authentication flow, then one on an authenticated read."""
    found = [f for op in _page_ops(ctx) if (f := await _page_size(ctx, op))]
    for op in _sensitive_ops(ctx):
        item = await _burst_flow(ctx, op)
        found += [item] if item else []
    await _burst_read(ctx)
    return found  # the engine notes how many requests to which operations (per-probe tally)


# --- targets ----------------------------------------------------------------------------------------------------------
def words_of(text: str) -> set[str]:
    """Lower-case words of a path or operationId (camelCase and separators split), plus their joined pairs."""
    parts = [w.lower() for w in re.findall(r"[A-Za-z][a-z]*|[A-Z]+(?![a-z])|\d+[a-z]*", text)]
    return set(parts) | {a + b for a, b in itertools.pairwise(parts)}


def is_sensitive(op: Operation) -> bool:
    return bool(words_of(op.path + " " + (op.operation_id or "")) & SENSITIVE_WORDS)


def _sensitive_ops(ctx: ProbeContext) -> list[Operation]:
    """Public login/token/reset/OTP operations; authenticated ones (password change) are never burst, nor are
    sign-ups and other operations that create something (a burst that got through would leave 50 accounts)."""
    return [op for op in ctx.spec.operations
            if op.method in ("GET", "POST") and not op.requires_auth and op.path not in ctx.observed_secured
            and not op.path_params and is_sensitive(op) and not creates_objects(ctx, op)]


def fake_value(name: str, schema: Any) -> str | None:
    """A value that names no real account: unknown address/user, wrong password. None: keep the example."""
    if "pattern" in schema or "enum" in schema:
        return None
    tag, lowered = secrets.token_hex(4), name.lower()
    if "mail" in lowered or schema.get("format") == "email":
        value = f"secscan-{tag}@example.invalid"
    elif any(w in lowered for w in ("user", "login", "name", "account", "identifier", "phone")):
        value = f"secscan-{tag}"
    elif any(w in lowered for w in ("pass", "secret", "pwd")):
        value = f"Secscan-{tag}-wrong"
    else:
        return None
    return value if len(value) <= int(schema.get("maxLength", len(value))) else None


def harmless(values: Any, schema: Any) -> Any:
    """The schemathesis example with every account-like string replaced by an unknown/wrong one."""
    if not isinstance(values, dict):
        return values
    props = properties(schema) if schema is not None else {}
    fakes = {name: fake_value(name, sub) for name, sub in props.items() if type_of(sub) == "string"}
    return {**values, **{k: v for k, v in fakes.items() if v is not None}}


def _query_schema(op: Operation) -> dict[str, Any]:
    return {"properties": {p.name: p.schema for p in op.parameters if p.location == "query"}}


# --- bursts -----------------------------------------------------------------------------------------------------------
def _burst_size(ctx: ProbeContext) -> int:
    """The burst, within what is left of the budget after the session checks that follow every probe."""
    left = ctx.client.limits.max_requests - ctx.client.requests_made - len(ctx.tenants.tenants)
    return min(ctx.options.burst, left)


async def _burst(ctx: ProbeContext, tenant: Tenant | None, op: Operation, body: Any, query: dict[str, Any],
                 count: int) -> Burst:
    values = own_values(ctx, tenant) if tenant else {}
    started = time.monotonic()
    replies = await asyncio.gather(*(ctx.call(tenant, op, values, body=body, query=query or None)
                                     for _ in range(count)))
    return Burst(tuple(replies), time.monotonic() - started)


async def _measure(ctx: ProbeContext, tenant: Tenant | None, op: Operation) -> Burst | None:
    count = _burst_size(ctx)
    if count < MIN_BURST:
        ctx.client.note("warning", f"rate-limit: {op.label} not burst: only {max(count, 0)} requests left in the "
                                   f"budget (at least {MIN_BURST} needed)")
        return None
    example = ctx.spec.example(op)
    body = harmless(example.body, op.body_schema) if op.body_schema is not None else None
    required = {p.name for p in op.parameters if p.location == "query" and p.required}
    query = dict(example.query) if tenant is None else {k: v for k, v in example.query.items() if k in required}
    return await _burst(ctx, tenant, op, body, harmless(query, _query_schema(op)), count)


async def _burst_flow(ctx: ProbeContext, op: Operation) -> ApiFinding | None:
    """A finding only when a full burst inside the window met no throttling of any kind."""
    burst = await _measure(ctx, None, op)
    if burst is None:
        return None
    window = ctx.options.burst_window
    signs, codes = burst.throttling(), set(burst.statuses)
    if signs:
        ctx.client.note("note", f"rate-limit: {op.label} is throttled: {'; '.join(signs)} ({burst.summary()})")
        return None
    if None in codes or codes & USELESS or any(c >= 500 for c in codes if c is not None):
        ctx.client.note("note", f"rate-limit: {op.label} inconclusive: {burst.summary()} (errors or rejected bodies)")
        return None
    if burst.seconds > window:
        ctx.client.note("note", f"rate-limit: {op.label} inconclusive: the burst took {burst.seconds:.1f} s, longer "
                                f"than the {window:g} s window ({burst.summary()})")
        return None
    message = (f"{op.label} accepted a burst without throttling: {burst.summary()}, no 429, no rate-limit "
               "headers, no lockout")
    evidence = steps(("first of burst", burst.replies[0]), ("last of burst", burst.replies[-1]))
    return NO_LIMIT.finding(op=op, url=burst.replies[0].url, message=message, evidence=evidence)


async def _burst_read(ctx: ProbeContext) -> None:
    """One cheap authenticated read: reported as a note (a general limit is advice, not a finding here)."""
    op = ctx.identity_op
    tenant = next((t for t in ctx.tenants if not t.is_admin), None)
    if op is None or tenant is None:
        return
    burst = await _measure(ctx, tenant, op)
    if burst is None:
        return
    signs = burst.throttling()
    state = f"throttled ({'; '.join(signs)})" if signs else "not throttled"
    ctx.client.note("note", f"rate-limit: authenticated {op.label} as {tenant.name}: {burst.summary()}, {state}")


# --- page size --------------------------------------------------------------------------------------------------------
def page_param(op: Operation) -> Any:
    return next((p for p in op.parameters if p.location == "query" and type_of(p.schema) in ("integer", "number")
                 and re.sub(r"[^a-z]", "", p.name.lower()) in PAGE_PARAMS), None)


def _is_list(op: Operation) -> bool:
    schema = op.success_schema()
    if type_of(schema) == "array":
        return True
    return any(type_of(sub) == "array" for name, sub in properties(schema).items() if name in ENVELOPES)


def _page_ops(ctx: ProbeContext) -> list[Operation]:
    return [op for op in ctx.spec.operations if op.method == "GET" and page_param(op) and _is_list(op)]


def items_in(data: Any) -> int | None:
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict):
        return next((len(data[k]) for k in ENVELOPES if isinstance(data.get(k), list)), None)
    return None


async def _page_size(ctx: ProbeContext, op: Operation) -> ApiFinding | None:
    """Default page vs a huge page, as every tenant (the one owning most items decides)."""
    param = page_param(op)
    required = {p.name for p in op.parameters if p.required and p.location == "query"}
    query = {k: v for k, v in ctx.spec.example(op).query.items() if k in required}
    callers: list[Tenant | None] = list(ctx.tenants) if ctx.needs_auth(op) else [None]
    jobs = [ctx.call(t, op, own_values(ctx, t) if t else {}, query={**query, **extra} or None)
            for t in callers for extra in ({}, {param.name: HUGE_PAGE})]
    replies = await asyncio.gather(*jobs)
    pairs = [(t, replies[2 * i], replies[2 * i + 1]) for i, t in enumerate(callers)]
    best = max(pairs, key=lambda p: items_in(p[2].data) or 0 if p[2].ok else -1)
    return _judge_page(ctx, op, param, *best)


def _judge_page(ctx: ProbeContext, op: Operation, param: Any, tenant: Tenant | None, default: Exchange,
                huge: Exchange) -> ApiFinding | None:
    got, usual = items_in(huge.data) if huge.ok else None, items_in(default.data) or 0
    declared = param.schema.get("maximum")
    if got is None:
        return None
    bounded = got <= declared if declared is not None else (got <= UNDECLARED_MAX or usual >= got)
    if bounded:
        ctx.client.note("note", f"rate-limit: {op.label} accepted {param.name}={HUGE_PAGE} ({huge.status}) but "
                                f"returned only {got} items; no tenant owns enough items to tell")
        return None
    bound = f"declared maximum {declared}" if declared is not None else "no declared maximum"
    who = f" as {tenant.name}" if tenant else ""
    message = (f"{op.label} honoured {param.name}={HUGE_PAGE}{who}: {got} items in one page ({bound}; the "
               f"default page returned {usual})")
    return UNBOUNDED.finding(op=op, url=huge.url, message=message, evidence=steps(("default page", default),
                             ("huge page", huge)), tenants=(tenant,) if tenant else (), parameter=param.name)
