"""A tenant's live session: the credentials sent now (static ones, or what its login recipe obtained), its own
cookie jar, its CSRF token, and logging in again when a token is about to expire or a session broke."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from secscan.errors import UsageError
from secscan_probes.engine.tenants import Tenant, placeholder

if TYPE_CHECKING:
    from secscan_probes.engine.http import ApiClient, Exchange

REFRESH_BEFORE = 30.0  # seconds before a JWT's exp at which the tenant logs in again
MAX_LOGINS = 3  # the first login plus re-logins: a session that keeps breaking is marked broken


class LoginFailed(UsageError):
    """A login recipe did not produce a session (one line naming the tenant and the step)."""


@dataclass(slots=True)
class Session:
    tenant: Tenant
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    expires_at: float | None = None
    logins: int = 0
    csrf_token: str | None = None
    broken: str | None = None  # why the tenant is no longer used (set by the engine's health checks)

    @classmethod
    def of(cls, tenant: Tenant) -> Session:
        return cls(tenant, dict(tenant.headers), dict(tenant.cookies), dict(tenant.query))

    @property
    def can_login(self) -> bool:
        return self.tenant.login is not None

    def credentials(self, method: str) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        """(headers, cookies, query) for a request with `method`; unsafe methods carry the CSRF token."""
        headers = dict(self.headers)
        csrf = self.tenant.csrf
        if csrf is not None and method.upper() in ("POST", "PUT", "PATCH", "DELETE"):
            token = self.cookies.get(csrf.cookie) if csrf.cookie else self.csrf_token
            if token:
                headers[csrf.header] = token
        return headers, dict(self.cookies), dict(self.query)

    def remember_cookies(self, reply: httpx.Response) -> None:
        """The tenant's own jar: cookies its server sets on its requests go back only on its requests."""
        for name, value in reply.cookies.items():
            self.cookies[name] = value

    async def refresh_if_expiring(self, client: ApiClient) -> None:
        if self.can_login and self.expires_at is not None and self.expires_at - time.time() < REFRESH_BEFORE:
            self.expires_at = None  # one refresh at a time
            await self.login(client, why="its token was about to expire")

    async def login(self, client: ApiClient, why: str = "") -> None:
        """Run the login recipe; LoginFailed (one line: tenant and step) when it does not yield a session."""
        recipe = self.tenant.login
        if recipe is None:
            raise LoginFailed(f"tenant {self.tenant.name}: no login recipe")
        if self.logins >= MAX_LOGINS:
            raise LoginFailed(f"tenant {self.tenant.name}: logged in {self.logins} times already; not again")
        self.logins += 1
        step = f"login {recipe.method} {recipe.path}"
        body = recipe.request_body(self.tenant.credentials)
        try:
            reply = await client.raw(recipe.method, recipe.path, media_type=recipe.media_type,
                                     **({"body": body} if body is not None else {}))
        except Exception as exc:  # noqa: BLE001 - out of scope, budget: reported as the failing step
            raise LoginFailed(f"tenant {self.tenant.name}: {step}: {type(exc).__name__}") from None
        if reply.status is None:
            raise LoginFailed(f"tenant {self.tenant.name}: {step}: no answer ({reply.error})")
        if not reply.ok:
            raise LoginFailed(f"tenant {self.tenant.name}: {step} answered {reply.status}")
        self._adopt(client, reply, step)
        if why:
            client.note("note", f"tenant {self.tenant.name} logged in again ({why})")
        if self.tenant.csrf is not None and self.tenant.csrf.path is not None:
            await self._fetch_csrf(client)

    def _adopt(self, client: ApiClient, reply: Exchange, step: str) -> None:
        recipe = self.tenant.login
        assert recipe is not None
        if recipe.cookie is not None:
            value = _set_cookie(reply, recipe.cookie)
            if not value:
                raise LoginFailed(f"tenant {self.tenant.name}: {step} answered {reply.status} but set no "
                                  f"{recipe.cookie} cookie")
            client.secrets.add(value, placeholder(self.tenant.name))
            self._check_sendable(value, step, f"the {recipe.cookie} cookie")
            self.cookies[recipe.cookie] = value
            return
        token = dotted(reply.data, recipe.token or "")
        if not isinstance(token, str) or not token:
            raise LoginFailed(f"tenant {self.tenant.name}: {step} answered {reply.status} without a token at "
                              f"'{recipe.token}'")
        client.secrets.add(token, placeholder(self.tenant.name))
        self._check_sendable(token, step, f"the token at '{recipe.token}'")
        sent = recipe.sends(token)
        if sent is not None:
            self.headers[sent[0]] = sent[1]
        self.expires_at = jwt_expiry(token)

    def _check_sendable(self, value: str, step: str, what: str) -> None:
        """A session value the server handed out goes into headers: non-ASCII or control characters (a line break
        would inject a header) are refused in one line that never shows the value."""
        if not value.isascii() or any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise LoginFailed(f"tenant {self.tenant.name}: {step} returned {what} with characters that cannot go "
                              "into an HTTP header (non-ASCII or control characters)")

    async def _fetch_csrf(self, client: ApiClient) -> None:
        csrf = self.tenant.csrf
        assert csrf is not None and csrf.path is not None
        reply = await client.request("GET", csrf.path, tenant=self.tenant, allow_unsafe=True,
                                     template=client.template_of("GET", csrf.path))
        token = dotted(reply.data, csrf.token or "")
        if not reply.ok or not isinstance(token, str):
            raise LoginFailed(f"tenant {self.tenant.name}: csrf GET {csrf.path} answered {reply.status} without a "
                              f"token at '{csrf.token}'")
        client.secrets.add(token, placeholder(self.tenant.name, kind="CSRF"))
        self._check_sendable(token, f"csrf GET {csrf.path}", f"the token at '{csrf.token}'")
        self.csrf_token = token


def _set_cookie(reply: Exchange, name: str) -> str | None:
    return reply.set_cookies.get(name) or None


def dotted(data: Any, path: str) -> Any:
    """`data.token` -> data["data"]["token"]; list indexes as numbers; None when absent."""
    node = data
    for part in path.split(".") if path else ():
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT (no verification: only to know when to log in again)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, TypeError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None
