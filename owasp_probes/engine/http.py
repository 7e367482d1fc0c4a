"""The one async HTTP client: scope, budget, concurrency, rate limit, no redirects, redacted evidence."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import urljoin

import httpx

from secscan.redact import scrub_values
from secscan_probes.engine.evidence import EvidenceStep, curl_command, with_query
from secscan_probes.engine.health import TenantHealth
from secscan_probes.engine.scope import Scope, absolute
from secscan_probes.engine.tenants import Tenant, Tenants

log = logging.getLogger("secscan.api")
_NO_BODY = object()


class BudgetExhausted(Exception):
    """The global request budget is used up; probes stop and the run records it."""


class OutOfScope(Exception):
    """A request to anything but the base URL's scheme+host+port was refused."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request/response pair. `text`/`data` stay in memory for oracles; only `curl` is ever reported."""

    method: str
    url: str  # without credentials
    template: str | None
    tenant: str | None
    status: int | None
    headers: Mapping[str, str] = field(default_factory=dict)
    text: str = ""
    data: Any = None
    curl: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def step(self, name: str) -> EvidenceStep:
        return EvidenceStep(name, self.status, self.curl)


@dataclass(frozen=True, slots=True)
class ClientLimits:
    max_requests: int = 2000
    concurrency: int = 8
    rate: float | None = None
    timeout: float = 10.0


class ApiClient:
    """Use as `async with ApiClient(...) as client`; every request goes through `request`."""

    def __init__(self, base_url: str, tenants: Tenants, limits: ClientLimits = ClientLimits(),
                 on_request: Callable[[int], None] | None = None) -> None:
        self.base_url, self.tenants, self.limits = base_url.rstrip("/"), tenants, limits
        self.scope = Scope.of(self.base_url)
        self.secrets: dict[str, str] = dict(tenants.secrets)  # value -> $PLACEHOLDER, used by every output
        self.health = TenantHealth()
        self.exchanges: list[Exchange] = []
        self.notes: list[tuple[str, str]] = []  # (level, message), already redacted
        self.requests_made = 0
        self.budget_exhausted = False
        self._on_request = on_request
        self._semaphore = asyncio.Semaphore(max(1, limits.concurrency))
        self._rate_lock = asyncio.Lock()
        self._next_slot = 0.0
        jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))  # never carry cookies across tenants
        self._http = httpx.AsyncClient(timeout=limits.timeout, follow_redirects=False, cookies=httpx.Cookies(jar))

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._http.aclose()

    def note(self, level: str, message: str) -> None:
        """Record a run notification (redacted) once and log it."""
        text = scrub_values(message, self.secrets)
        if (level, text) not in self.notes:
            self.notes.append((level, text))
            log.log(logging.WARNING if level != "note" else logging.INFO, text)

    def add_secret(self, value: str, name: str) -> str:
        """Redact `value` as `$SECSCAN_<NAME>` in every later curl and note (e.g. a forged token); returns it."""
        placeholder = "$SECSCAN_" + re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")
        if value:
            self.secrets.setdefault(value, placeholder)
        return self.secrets.get(value, placeholder)

    async def request(self, method: str, target: str, *, tenant: Tenant | str | None = None,
                      template: str | None = None, params: Mapping[str, Any] | None = None,
                      json_body: Any = _NO_BODY, headers: Mapping[str, str] | None = None) -> Exchange:
        """Send one request as `tenant` (None = anonymous); raises OutOfScope or BudgetExhausted."""
        who = self.tenants.by_name(tenant) if isinstance(tenant, str) else tenant
        url = absolute(self.base_url, target)
        if not self.scope.allows(url):
            self.note("warning", f"refused out-of-scope request {method} {url} (scope is {self.scope.origin})")
            raise OutOfScope(url)
        prepared = self._prepare(method, url, who, params or {}, json_body, headers or {})
        await self._take_budget()
        async with self._semaphore:
            await self._pace()
            exchange = await self._send(prepared, template, who)
        self._after(exchange, who)
        return exchange

    def _prepare(self, method: str, url: str, who: Tenant | None, params: Mapping[str, Any], json_body: Any,
                 headers: Mapping[str, str]) -> dict[str, Any]:
        all_headers = {**(who.headers if who else {}), **headers}
        if who and who.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in who.cookies.items())
        content = None
        if json_body is not _NO_BODY:
            content = json.dumps(json_body, separators=(",", ":"))
            all_headers.setdefault("Content-Type", "application/json")
        full = with_query(url, {**params, **(who.query if who else {})})
        curl = curl_command(method, full, all_headers, content, self.secrets)
        shown = with_query(url, params)
        return {"method": method.upper(), "url": full, "shown": shown, "headers": all_headers, "content": content,
                "curl": curl}

    async def _take_budget(self) -> None:
        if self.requests_made >= self.limits.max_requests:
            if not self.budget_exhausted:
                self.budget_exhausted = True
                self.note("warning", f"request budget of {self.limits.max_requests} exhausted; results are incomplete")
            raise BudgetExhausted
        self.requests_made += 1
        if self._on_request:
            self._on_request(self.requests_made)

    async def _pace(self) -> None:
        if not self.limits.rate:
            return
        async with self._rate_lock:
            now = time.monotonic()
            wait = self._next_slot - now
            self._next_slot = max(now, self._next_slot) + 1.0 / self.limits.rate
        if wait > 0:
            await asyncio.sleep(wait)

    async def _send(self, p: dict[str, Any], template: str | None, who: Tenant | None) -> Exchange:
        name = who.name if who else None
        base = {"method": p["method"], "url": p["shown"], "template": template, "tenant": name, "curl": p["curl"]}
        try:
            reply = await self._http.request(p["method"], p["url"], headers=p["headers"], content=p["content"])
        except httpx.TimeoutException:
            return Exchange(**base, status=None, error=f"no response within {self.limits.timeout:g} s")
        except httpx.HTTPError as exc:
            return Exchange(**base, status=None, error=f"{type(exc).__name__}: {exc}".rstrip(": "))
        return Exchange(**base, status=reply.status_code, headers=dict(reply.headers), text=reply.text,
                        data=_json_or_none(reply))

    def _after(self, exchange: Exchange, who: Tenant | None) -> None:
        self.exchanges.append(exchange)
        if exchange.status is not None and 300 <= exchange.status < 400:
            self._check_redirect(exchange)
        if who is not None:
            warning = self.health.observe(who.name, exchange)
            if warning:
                self.note("warning", warning)

    def _check_redirect(self, exchange: Exchange) -> None:
        location = exchange.headers.get("location")
        if not location:
            return
        target = urljoin(exchange.url, location)
        if not self.scope.allows(target):
            self.note("warning", f"{exchange.method} {exchange.url} redirected to {target}: out of scope, not followed")


def _json_or_none(reply: httpx.Response) -> Any:
    if "json" not in reply.headers.get("content-type", ""):
        return None
    try:
        return reply.json()
    except ValueError:
        return None
