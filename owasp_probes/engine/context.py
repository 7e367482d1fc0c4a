"""What a probe returns (ApiFinding) and what it receives (ProbeContext)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

from secscan.models import Severity
from secscan_probes.engine.evidence import EvidenceStep
from secscan_probes.engine.http import ApiClient, Exchange
from secscan_probes.engine.resources import Resource, Resources
from secscan_probes.engine.spec import ApiSpec, Operation
from secscan_probes.engine.tenants import Tenant, Tenants

_TEMPLATE_PARAM = re.compile(r"\{([^{}]+)\}")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ProbeRule:
    """Static metadata of one probe rule id; `finding(...)` is the only way a probe builds a finding."""

    rule_id: str
    title: str
    severity: Severity
    cwe: int
    description: str

    def finding(self, *, op: Operation, url: str, message: str, evidence: Sequence[EvidenceStep] = (),
                tenants: Sequence[Tenant] = (), parameter: str | None = None, severity: Severity | None = None,
                confirmed: bool = True) -> ApiFinding:
        """One finding of this rule on `op`. `tenants` are the actors in their roles' order (owner, attacker) or
        (actor,); only their names and roles are kept. The engine fills in the OWASP category of the probe."""
        return ApiFinding(rule=self, severity=severity or self.severity, method=op.method, path=op.path, url=url,
                          tenants=tuple(t.name for t in tenants), roles=tuple(t.role for t in tenants),
                          confirmed=confirmed, message=message, evidence=tuple(evidence), parameter=parameter)


@dataclass(frozen=True, slots=True)
class ApiFinding:
    """One confirmed (or, at most low severity, suspected) problem on one operation."""

    rule: ProbeRule
    severity: Severity
    method: str
    path: str  # the path template, e.g. /books/{book_id}
    url: str  # the concrete URL attacked, without credentials
    tenants: tuple[str, ...]  # names only: (owner, attacker) or (actor,)
    roles: tuple[str, ...]  # tenant roles in the order of `tenants`; part of the fingerprint
    confirmed: bool
    message: str
    evidence: tuple[EvidenceStep, ...] = ()
    parameter: str | None = None
    owasp: str = ""  # e.g. "API1:2023": set by the engine from the registered probe

    @property
    def rule_id(self) -> str:
        return self.rule.rule_id

    @property
    def variant(self) -> str:
        return "->".join(self.roles) + "|" + (self.parameter or "")


@dataclass(frozen=True, slots=True)
class ScanOptions:
    allow_destructive: bool = False
    burst: int = 50
    burst_window: float = 10.0


@dataclass(slots=True)
class ProbeContext:
    """Everything a probe may use. Send every request through `client` (scope, budget, evidence)."""

    spec: ApiSpec
    tenants: Tenants
    client: ApiClient
    resources: Resources
    identities: Mapping[str, Any]  # tenant name -> body of the identity endpoint (e.g. GET /users/me)
    identity_op: Operation | None
    canaries: Mapping[str, str]  # tenant name -> its canary string
    options: ScanOptions = ScanOptions()
    created: list[Resource] = field(default_factory=list)  # objects secscan created (cleanup candidates)
    observed_secured: set[str] = field(default_factory=set)  # paths whose GET refused anonymous callers (401/403)
    tested: dict[str, dict[str, Any]] = field(default_factory=dict)  # probe -> its requests and operations
    unsafe: tuple[Operation, ...] = ()  # operations held back as unsafe: only a probe about them may call them

    @property
    def base_url(self) -> str:
        return self.spec.base_url

    def operations(self, method: str | None = None, param: str | None = None) -> list[Operation]:
        """Spec operations, optionally only one method and/or those with path parameter `param`."""
        return [op for op in self.spec.operations
                if (method is None or op.method == method.upper()) and (param is None or param in op.path_params)]

    def needs_auth(self, op: Operation) -> bool:
        """Whether `op` is called as a tenant: declared security, or observed (the path's GET answered 401/403
        anonymously), or nothing declared anywhere in the spec, or a secured operation on the same path."""
        if op.requires_auth or op.path in self.observed_secured:
            return True
        if op.security_declared:
            return False  # declared public (security: []) and not seen refusing anonymous callers
        if not any(o.security_declared for o in self.spec.all_operations):
            return True  # the spec says nothing about security at all: assume the usual, credentials needed
        return any(o.path == op.path and o.requires_auth for o in self.spec.all_operations)

    def actor(self, op: Operation | None = None) -> Tenant:
        """The tenant that acts on its own objects: the first non-admin one whose credentials `op` accepts by its
        declared security (a cookie session for a cookie-secured operation, a bearer token for a bearer one),
        else the first non-admin one, else the first tenant."""
        users = [t for t in self.tenants if not t.is_admin] or list(self.tenants)
        return next((t for t in users if op is None or self.accepts(op, t)), users[0])

    def accepts(self, op: Operation, tenant: Tenant) -> bool:
        """Whether one of `op`'s declared security requirements can be met with `tenant`'s kind of credentials
        (True when nothing usable is declared: the server decides)."""
        schemes = _schemes(self.spec.raw)
        requirements = [req for req in op.security if req and all(name in schemes for name in req)]
        return not requirements or any(all(_carries(tenant, schemes[name]) for name in req) for req in requirements)

    def others(self, tenant: Tenant) -> list[Tenant]:
        return [t for t in self.tenants if t.name != tenant.name]

    def url(self, path: str) -> str:
        return self.base_url + path

    async def call(self, tenant: Tenant | None, op: Operation, values: Mapping[str, Any],
                   body: Any = None, query: Mapping[str, Any] | None = None, *,
                   allow_unsafe: bool = False) -> Exchange:
        """Send `op` with path values filled in (missing ones from schemathesis' example); a body goes in the
        operation's declared media type (JSON, form-urlencoded or multipart)."""
        missing = [p for p in op.path_params if p not in values]
        path = fill_path(op.path, {**(self.spec.example(op).path if missing else {}), **values})
        extra: dict[str, Any] = {} if body is None else {"body": body, "media_type": op.body_media_type}
        return await self.client.request(op.method, path, tenant=tenant, template=op.path, params=query,
                                         allow_unsafe=allow_unsafe, **extra)

    def is_public(self, param: str, value: Any) -> bool:
        """True when some tenant declares (param, value) under `public:` in tenants.yaml."""
        return any(str(value) in t.public.get(param, ()) for t in self.tenants)


def _schemes(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """Security schemes by name (OpenAPI 3 components.securitySchemes, Swagger 2 securityDefinitions)."""
    components = raw.get("components")
    found = components.get("securitySchemes") if isinstance(components, Mapping) else raw.get("securityDefinitions")
    return {str(k): v for k, v in found.items() if isinstance(v, Mapping)} if isinstance(found, Mapping) else {}


def _carries(tenant: Tenant, scheme: Mapping[str, Any]) -> bool:
    """Whether `tenant` sends the kind of credential `scheme` describes."""
    kind, where, name = scheme.get("type"), scheme.get("in"), str(scheme.get("name") or "")
    header_names = {h.lower() for h in tenant.headers}
    if tenant.login is not None and tenant.login.cookie is None:
        header_names.add((tenant.login.header or "Authorization").partition(":")[0].strip().lower())
    cookie_names = set(tenant.cookies) | ({tenant.login.cookie} if tenant.login and tenant.login.cookie else set())
    if kind == "apiKey":
        if where == "cookie":
            return name in cookie_names
        if where == "query":
            return name in tenant.query
        return name.lower() in header_names
    if kind in ("http", "oauth2", "openIdConnect", "basic"):
        return "authorization" in header_names
    return True


def fill_path(template: str, values: Mapping[str, Any]) -> str:
    """/books/{book_id} + {book_id: 3} -> /books/3 (values URL-quoted)."""
    return _TEMPLATE_PARAM.sub(lambda m: quote(str(values.get(m.group(1), "")), safe=""), template)


def steps(*pairs: tuple[str, Exchange | None]) -> tuple[EvidenceStep, ...]:
    """Evidence steps from (role, exchange) pairs, skipping missing exchanges."""
    return tuple(exchange.step(name) for name, exchange in pairs if exchange is not None)


async def gather(*awaitables: Awaitable[T]) -> list[T]:
    """Like asyncio.gather, but the first failure (BudgetExhausted, OutOfScope...) cancels the siblings."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_wrap(aw)) for aw in awaitables]
    except BaseExceptionGroup as failures:
        first = failures.exceptions[0]
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
    return [task.result() for task in tasks]


async def _wrap(awaitable: Awaitable[T]) -> T:
    return await awaitable


def first_of(items: Sequence[ApiFinding]) -> list[ApiFinding]:
    """Keep the first finding per (rule, method, path, variant): one result per fingerprint identity."""
    seen: dict[tuple[str, str, str, str], ApiFinding] = {}
    for item in items:
        seen.setdefault((item.rule_id, item.method, item.path, item.variant), item)
    return list(seen.values())
