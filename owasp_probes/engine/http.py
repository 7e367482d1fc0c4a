"""The one async HTTP client: scope, budget, concurrency, rate, bounded replies, tenant sessions, redacted evidence.

Requests are built here, never by httpx's client: so no cookie a server sets ever rides along on another request.
Each tenant has its own session (credentials, cookie jar, CSRF token); anonymous and forged requests carry only
what the caller passes. Proxy variables in the environment are ignored (`--proxy` sets one explicitly).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx

from secscan.redact import Secrets, scrub_values
from secscan_probes.engine.evidence import EvidenceStep, curl_command, with_query
from secscan_probes.engine.health import TenantHealth
from secscan_probes.engine.scope import Scope, absolute
from secscan_probes.engine.sessions import Session
from secscan_probes.engine.tenants import Tenant, Tenants

log = logging.getLogger("secscan.api")
_NO_BODY = object()
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
CREDENTIAL_NAMES = re.compile(r"^(authorization|cookie|x-?api-?key|api-?key|x-?auth-?token|x-?access-?token|token|"
                              r"access_?token|api_?key|apikey|key|auth|x-?csrf-?token|x-?xsrf-?token)$", re.IGNORECASE)
DEFAULT_MAX_RESPONSE_BYTES = 10_000_000


class BudgetExhausted(Exception):
    """The global request budget is used up; probes stop and the run records it."""


class ShareExhausted(BudgetExhausted):
    """The running probe used up its share of the budget; it stops, the next probe gets its own share."""


class OutOfScope(Exception):
    """A request to anything but the base URL's scheme+host+port was refused."""


class UnsafeRequest(Exception):
    """A request to an operation classified unsafe (logout, reset...) by a caller that did not opt in."""


class _TooLarge(Exception):
    pass


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
    genuine: bool = False  # sent with the tenant's own, current credentials
    body_sent: Any = None  # the request body as sent (for created-object tracking), never reported
    set_cookies: Mapping[str, str] = field(default_factory=dict)  # cookies the reply set (never reported)
    credentials_sent: bool = False  # a tenant's credentials, or credential-like headers/params a probe passed
    elapsed: float = 0.0  # seconds from sending to the last byte
    sent_at: float = 0.0  # time.monotonic() when it was sent (replies complete out of order under concurrency)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def label(self) -> str:
        return f"{self.method} {self.template or self.url}"

    def step(self, name: str) -> EvidenceStep:
        return EvidenceStep(name, self.status, self.curl)


@dataclass(frozen=True, slots=True)
class ClientLimits:
    max_requests: int = 2000
    concurrency: int = 8
    rate: float | None = None
    timeout: float = 10.0  # per read, and the total deadline of one request
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    proxy: str | None = None


@dataclass(frozen=True, slots=True)
class _Prepared:
    method: str
    url: str
    shown: str
    headers: dict[str, str]
    content: bytes | None
    curl: str
    body: Any
    credentials: bool


class ApiClient:
    """Use as `async with ApiClient(...) as client`; every request goes through `request`."""

    def __init__(self, base_url: str, tenants: Tenants, limits: ClientLimits = ClientLimits(),
                 on_request: Callable[[int], None] | None = None,
                 unsafe: Callable[[str, str], bool] | None = None) -> None:
        self.base_url, self.tenants, self.limits = base_url.rstrip("/"), tenants, limits
        self.scope = Scope.of(self.base_url)
        self.secrets: Secrets = Secrets(tenants.secrets)  # value -> $PLACEHOLDER, used by every output
        self.sessions: dict[str, Session] = {t.name: Session.of(t) for t in tenants}
        self.health = TenantHealth()
        self.exchanges: list[Exchange] = []
        self.notes: list[tuple[str, str]] = []  # (level, message), already redacted
        self.requests_made = 0
        self.budget_exhausted = False
        self.cleaning_up = False  # the cleanup's DELETEs go beyond the budget: secscan's objects never stay
        self.cleanup_requests = 0
        self.share_limit: int | None = None  # requests_made at which the running probe's share ends
        self.share_hit = False
        self._on_request = on_request
        self._is_unsafe = unsafe or (lambda _method, _path: False)
        self.template_of: Callable[[str, str], str | None] = lambda _method, _path: None  # set by the engine
        self._semaphore = asyncio.Semaphore(max(1, limits.concurrency))
        self._rate_lock = asyncio.Lock()
        self._next_slot = 0.0
        # trust_env=False: HTTP(S)_PROXY/ALL_PROXY and .netrc in the environment never see the probes' credentials.
        self._http = httpx.AsyncClient(timeout=limits.timeout, follow_redirects=False, trust_env=False,
                                       proxy=limits.proxy)

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
        return self.secrets.add(value, "$SECSCAN_" + re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_"))

    def session(self, tenant: Tenant | str) -> Session:
        return self.sessions[tenant if isinstance(tenant, str) else tenant.name]

    async def request(self, method: str, target: str, *, tenant: Tenant | str | None = None,
                      template: str | None = None, params: Mapping[str, Any] | None = None,
                      json_body: Any = _NO_BODY, body: Any = _NO_BODY, media_type: str | None = None,
                      headers: Mapping[str, str] | None = None, allow_unsafe: bool = False) -> Exchange:
        """Send one request as `tenant` (None = anonymous: only `headers` and `params` are sent); raises
        OutOfScope, UnsafeRequest or BudgetExhausted. `body` is encoded as `media_type` (JSON by default)."""
        who = self.tenants.by_name(tenant) if isinstance(tenant, str) else tenant
        url = absolute(self.base_url, target)
        if not self.scope.allows(url):
            self.note("warning", f"refused out-of-scope request {method} {url} (scope is {self.scope.origin})")
            raise OutOfScope(url)
        if not allow_unsafe and self._is_unsafe(method.upper(), template or target):
            raise UnsafeRequest(f"{method} {template or target}")
        if json_body is not _NO_BODY:
            body, media_type = json_body, JSON
        session = self.sessions[who.name] if who is not None else None
        if session is not None:
            await session.refresh_if_expiring(self)
        prepared = self._prepare(method, url, session, params or {}, body, media_type, headers or {})
        await self._take_budget()
        async with self._semaphore:
            await self._pace()
            exchange = await self._send(prepared, template, session)
        self._after(exchange, session)
        return exchange

    async def raw(self, method: str, url: str, *, headers: Mapping[str, str] | None = None, body: Any = _NO_BODY,
                  media_type: str | None = None) -> Exchange:
        """An anonymous request outside the probes (a login recipe's endpoint): same scope, budget and evidence;
        counted under the spec's operation when it is one."""
        return await self.request(method, url, body=body, media_type=media_type, headers=headers, allow_unsafe=True,
                                  template=self.template_of(method.upper(), url))

    def _prepare(self, method: str, url: str, session: Session | None, params: Mapping[str, Any], body: Any,
                 media_type: str | None, headers: Mapping[str, str]) -> _Prepared:
        own_headers, cookies, query = session.credentials(method) if session is not None else ({}, {}, {})
        all_headers = {**own_headers, **headers}
        if cookies and not any(k.lower() == "cookie" for k in all_headers):
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        content, curl_body = None, None
        if body is not _NO_BODY:
            content, content_type, curl_body = encode_body(body, media_type)
            if not any(k.lower() == "content-type" for k in all_headers):
                all_headers["Content-Type"] = content_type
        full = with_query(url, {**params, **query})
        curl = curl_command(method, full, all_headers, curl_body, self.secrets)
        carried = session is not None or any(CREDENTIAL_NAMES.match(k) for k in (*headers, *params))
        return _Prepared(method.upper(), full, with_query(url, params), all_headers, content, curl,
                         None if body is _NO_BODY else body, carried)

    async def _take_budget(self) -> None:
        if self.requests_made >= self.limits.max_requests and not self.cleaning_up:
            if not self.budget_exhausted:
                self.budget_exhausted = True
                self.note("warning", f"request budget of {self.limits.max_requests} exhausted; results are incomplete")
            raise BudgetExhausted
        if self.share_limit is not None and self.requests_made >= self.share_limit and not self.cleaning_up:
            self.share_hit = True
            raise ShareExhausted
        self.requests_made += 1
        self.cleanup_requests += self.cleaning_up
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

    async def _send(self, p: _Prepared, template: str | None, session: Session | None) -> Exchange:
        base: dict[str, Any] = {"method": p.method, "url": p.shown, "template": template,
                                "tenant": session.tenant.name if session else None, "curl": p.curl,
                                "genuine": session is not None, "body_sent": p.body,
                                "credentials_sent": p.credentials}
        started = time.monotonic()
        try:
            request = httpx.Request(p.method, p.url, headers=p.headers, content=p.content)
        except (ValueError, TypeError) as exc:  # a header value httpx cannot send (its message would quote it)
            return Exchange(**base, status=None, error=f"request could not be built: {type(exc).__name__}")
        try:
            async with asyncio.timeout(self.limits.timeout):  # a total deadline, not only per read
                reply = await self._http.send(request, stream=True)
                try:
                    body = await self._read(reply)
                finally:
                    await reply.aclose()
        except TimeoutError:
            return self._unusable(base, None, f"no complete response within {self.limits.timeout:g} s")
        except _TooLarge:
            return self._unusable(base, reply.status_code, "response body larger than "
                                                           f"{self.limits.max_response_bytes} bytes (decoded)")
        except httpx.TimeoutException:
            return Exchange(**base, status=None, error=f"no response within {self.limits.timeout:g} s")
        except httpx.LocalProtocolError as exc:  # its message quotes the offending header, credentials included
            return Exchange(**base, status=None, error=f"{type(exc).__name__}: the request could not be sent")
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            return Exchange(**base, status=None, error=f"{type(exc).__name__}: {exc}".rstrip(": "))
        text = body.decode(reply.encoding or "utf-8", errors="replace")
        if session is not None:
            session.remember_cookies(reply)
        return Exchange(**base, status=reply.status_code, headers={k.lower(): v for k, v in reply.headers.items()},
                        text=text, data=_json_or_none(reply, body), set_cookies=dict(reply.cookies.items()),
                        elapsed=time.monotonic() - started, sent_at=started)

    async def _read(self, reply: httpx.Response) -> bytes:
        """The decoded body, at most `max_response_bytes` of it (a gzip bomb stops at the cap, not in memory)."""
        chunks, size = [], 0
        async for chunk in reply.aiter_bytes():
            size += len(chunk)
            if size > self.limits.max_response_bytes:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    def _unusable(self, base: dict[str, Any], status: int | None, why: str) -> Exchange:
        self.note("warning", f"unusable response to {base['method']} {base['template'] or base['url']}: {why}")
        return Exchange(**base, status=None, error=f"unusable response (HTTP {status}): {why}" if status else why)

    def _after(self, exchange: Exchange, session: Session | None) -> None:
        self.exchanges.append(exchange)
        if exchange.status is not None and 300 <= exchange.status < 400:
            self._check_redirect(exchange)
        if session is not None and session.tenant.name in self.tenants.names:  # not a probe's throwaway session
            warning = self.health.observe(session.tenant.name, exchange)
            if warning:
                self.note("warning", warning)

    def _check_redirect(self, exchange: Exchange) -> None:
        location = exchange.headers.get("location")
        if not location:
            return
        target = urljoin(exchange.url, location)
        if not self.scope.allows(target):
            self.note("warning", f"{exchange.method} {exchange.url} redirected to {target}: out of scope, not followed")


def encode_body(body: Any, media_type: str | None) -> tuple[bytes, str, str]:
    """(content, Content-Type, what curl's --data shows) for a body in the operation's declared media type."""
    kind = (media_type or JSON).split(";")[0].strip().lower()
    if kind == FORM and isinstance(body, Mapping):
        text = urlencode([(str(k), _form_value(v)) for k, v in body.items()], doseq=False)
        return text.encode(), FORM, text
    if kind == MULTIPART and isinstance(body, Mapping):
        boundary = "secscan-boundary-7d2f1c"
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{_form_value(v)}\r\n'
                 for k, v in body.items()]
        text = "".join(parts) + f"--{boundary}--\r\n"
        return text.encode(), f"{MULTIPART}; boundary={boundary}", text
    if kind.startswith("text/") and isinstance(body, str):
        return body.encode(), kind, body
    text = json.dumps(body, separators=(",", ":"))
    return text.encode(), JSON if "json" not in kind else kind, text


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return "" if value is None else str(value)


def _json_or_none(reply: httpx.Response, body: bytes) -> Any:
    if "json" not in reply.headers.get("content-type", ""):
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None
