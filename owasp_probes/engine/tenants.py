"""tenants.yaml: who the probes act as. Static credentials (headers, cookies, query) or a login recipe, a role, and
the objects a tenant declares; ${VAR} substitution from the environment; every credential registered for redaction.

```yaml
tenants:
  alice:
    credentials: {username: alice, password: "${ALICE_PASSWORD}"}
    login:
      method: POST
      path: /users/v1/login                # relative to the base URL; need not be in the spec
      json: {username: "{username}", password: "{password}"}   # or form: {...}
      token: auth_token                    # dotted path to the token in the JSON reply
      header: "Authorization: Bearer {token}"   # how it is sent (the default); or cookie: NAME
    csrf: {cookie: _xsrf, header: X-XSRFToken}   # optional: double-submit token for unsafe methods
  bob:
    headers: {Authorization: "Bearer ${BOB_TOKEN}"}   # the static shape keeps working
```
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from secscan.errors import UsageError
from secscan.redact import Secrets
from secscan.textfiles import read_bounded

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SCHEME = re.compile(r"^(Bearer|Basic|Token|Digest|JWT|ApiKey)\s+(\S.*)$", re.IGNORECASE)
_HEADER = re.compile(r"^([A-Za-z0-9-]+):\s*(.*)$")
MAX_TENANTS_BYTES = 1_000_000
MAX_ALIASES = 32
ObjectIds = dict[str, list[str | int]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginModel(_Strict):
    method: Literal["POST", "GET", "PUT"] = "POST"
    path: str
    json_body: dict[str, Any] | None = Field(default=None, alias="json")
    form: dict[str, Any] | None = None
    token: str | None = None  # dotted path in the JSON reply
    header: str | None = None  # "Authorization: Bearer {token}" (the default when `token` is given)
    cookie: str | None = None  # the session cookie the login sets

    @model_validator(mode="after")
    def _one_way(self) -> LoginModel:
        if self.json_body is not None and self.form is not None:
            raise ValueError("give either json or form, not both")
        if self.token is None and self.cookie is None:
            raise ValueError("say where the session is: token (a path in the JSON reply) or cookie (its name)")
        if self.cookie is not None and self.header is not None:
            raise ValueError("give either header or cookie, not both")
        if not self.path.startswith("/"):
            raise ValueError("path must start with '/' (it is relative to the base URL)")
        return self


class CsrfModel(_Strict):
    header: str  # where the token goes on unsafe methods (POST, PUT, PATCH, DELETE)
    cookie: str | None = None  # double submit: the token is this cookie's value
    path: str | None = None  # or: GET this path as the tenant after login ...
    token: str | None = None  # ... and take the token at this dotted path of the JSON reply

    @model_validator(mode="after")
    def _one_way(self) -> CsrfModel:
        if (self.cookie is None) == (self.path is None) or (self.path is not None and self.token is None):
            raise ValueError("give either cookie, or path and token")
        return self


class _TenantModel(_Strict):
    headers: dict[str, str] = Field(default_factory=dict)
    cookies: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)
    credentials: dict[str, str] = Field(default_factory=dict)
    login: LoginModel | None = None
    csrf: CsrfModel | None = None
    role: Literal["user", "admin"] = "user"
    owns: ObjectIds = Field(default_factory=dict)
    public: ObjectIds = Field(default_factory=dict)


class _FileModel(_Strict):
    tenants: dict[str, _TenantModel | None]


@dataclass(frozen=True, slots=True)
class Login:
    """A login recipe after ${VAR} substitution; `{username}`-style fields are filled from `credentials`."""

    method: str
    path: str
    body: Mapping[str, Any] | None
    media_type: str | None  # application/json | application/x-www-form-urlencoded
    token: str | None
    header: str | None
    cookie: str | None

    def request_body(self, credentials: Mapping[str, str]) -> dict[str, Any] | None:
        if self.body is None:
            return None
        return {key: _fill(value, credentials) for key, value in self.body.items()}

    def sends(self, token: str) -> tuple[str, str] | None:
        """(header name, value) carrying `token`, or None for a cookie session."""
        if self.cookie is not None:
            return None
        name, _, template = (self.header or "Authorization: Bearer {token}").partition(":")
        return name.strip(), template.strip().replace("{token}", token)


@dataclass(frozen=True, slots=True)
class Csrf:
    header: str
    cookie: str | None = None
    path: str | None = None
    token: str | None = None


@dataclass(frozen=True, slots=True)
class Tenant:
    """One identity: static credentials (after ${VAR} substitution) and/or a login recipe, role, declared objects.

    The credentials actually sent are the tenant's session's (`ApiClient.sessions`): they change when it logs in."""

    name: str
    role: str = "user"
    headers: Mapping[str, str] = field(default_factory=dict)
    cookies: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    owns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    public: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    login: Login | None = None
    csrf: Csrf | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def stem(self) -> str:
        """ALICE for alice: the placeholder stem ($SECSCAN_TOKEN_ALICE)."""
        return re.sub(r"[^A-Z0-9]+", "_", self.name.upper()).strip("_") or "TENANT"


@dataclass(frozen=True, slots=True)
class Tenants:
    """All tenants in file order plus `secrets`: every credential value (and its encodings) -> placeholder."""

    tenants: tuple[Tenant, ...]
    secrets: Secrets

    def __iter__(self) -> Iterator[Tenant]:
        return iter(self.tenants)

    def by_name(self, name: str) -> Tenant:
        return next(t for t in self.tenants if t.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tenants)


def placeholder(tenant: str, index: int = 1, kind: str = "TOKEN") -> str:
    """`$SECSCAN_TOKEN_ALICE` for the first secret of tenant alice, `..._ALICE_2` for the second."""
    stem = re.sub(r"[^A-Z0-9]+", "_", tenant.upper()).strip("_") or "TENANT"
    return f"$SECSCAN_{kind}_{stem}" + (f"_{index}" if index > 1 else "")


def load_tenants(path: Path, environ: Mapping[str, str] | None = None) -> Tenants:
    """Parse and validate tenants.yaml; every problem is a one-line UsageError naming the file and key (never a
    credential value)."""
    env = os.environ if environ is None else environ
    model = _parse(path)
    tenants = [_build(path, name, raw or _TenantModel(), env) for name, raw in model.tenants.items()]
    secrets = Secrets()
    for tenant in tenants:
        _register(tenant, secrets)
    _check_distinct(path, tenants)
    return Tenants(tuple(tenants), secrets)


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys (a second `alice:` silently replacing the first) and allows a few
    aliases (a shared login recipe), never enough for an exponential 'billion laughs' expansion."""

    aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise yaml.MarkedYAMLError(problem=f"more than {MAX_ALIASES} YAML aliases",
                                           problem_mark=event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.MarkedYAMLError(problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _parse(path: Path) -> _FileModel:
    data = read_bounded(path, MAX_TENANTS_BYTES, str(path))
    try:
        parsed = yaml.load(data.decode("utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise UsageError(f"{path}: malformed YAML{where}: {exc.problem or 'parse error'}") from None
    except (yaml.YAMLError, RecursionError, ValueError):
        raise UsageError(f"{path}: malformed YAML") from None
    if isinstance(parsed, dict):  # `x-...` keys hold shared YAML anchors (a login recipe), as in compose files
        parsed = {k: v for k, v in parsed.items() if not (isinstance(k, str) and k.startswith("x-"))}
        names = parsed.get("tenants")
        bad = [k for k in names if not str(k).isprintable()] if isinstance(names, dict) else []
        if bad:  # every later message names the tenant: it must fit on one line
            raise UsageError(f"{path}: key tenants: the tenant name {str(bad[0])!r} contains a control character")
    try:
        model = _FileModel.model_validate(parsed if parsed is not None else {})
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        key = ".".join(str(p) if str(p).isprintable() else repr(str(p)) for p in err["loc"]) or "(top level)"
        message = "unknown key" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        raise UsageError(f"{path}: key {key}: {' '.join(message.split())}") from None
    if not model.tenants:
        raise UsageError(f"{path}: key tenants: at least one tenant is required")
    return model


def _build(path: Path, name: str, raw: _TenantModel, env: Mapping[str, str]) -> Tenant:
    def sub(section: str, values: Mapping[str, str]) -> dict[str, str]:
        return {key: _credential(path, name, f"{section}.{key}", _substitute(path, name, f"{section}.{key}", v, env))
                for key, v in values.items()}

    credentials = sub("credentials", raw.credentials)
    login = _login(path, name, raw.login, credentials, env) if raw.login else None
    if login is None and not (raw.headers or raw.cookies or raw.query):
        raise UsageError(f"{path}: tenant {name}: no credentials (give headers, cookies, query or a login recipe)")
    csrf = raw.csrf
    return Tenant(
        name=name, role=raw.role,
        headers=MappingProxyType(sub("headers", raw.headers)),
        cookies=MappingProxyType(sub("cookies", raw.cookies)),
        query=MappingProxyType(sub("query", raw.query)),
        owns=MappingProxyType({k: tuple(str(v) for v in vs) for k, vs in raw.owns.items()}),
        public=MappingProxyType({k: tuple(str(v) for v in vs) for k, vs in raw.public.items()}),
        credentials=MappingProxyType(credentials), login=login,
        csrf=Csrf(csrf.header, csrf.cookie, csrf.path, csrf.token) if csrf else None,
    )


def _login(path: Path, name: str, raw: LoginModel, credentials: Mapping[str, str],
           env: Mapping[str, str]) -> Login:
    body = raw.json_body if raw.json_body is not None else raw.form
    media = "application/json" if raw.json_body is not None else (
        "application/x-www-form-urlencoded" if raw.form is not None else None)
    filled = {k: _substitute(path, name, f"login.{k}", v, env) if isinstance(v, str) else v
              for k, v in (body or {}).items()} if body is not None else None
    for value in (filled or {}).values():
        for key in re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", value if isinstance(value, str) else ""):
            if key not in credentials:
                raise UsageError(f"{path}: tenant {name}, key login: {{{key}}} is not one of its credentials")
    if raw.header is not None and not _HEADER.match(raw.header):
        raise UsageError(f"{path}: tenant {name}, key login.header: expected 'Name: value with {{token}}'")
    return Login(raw.method, raw.path, filled, media, raw.token, raw.header, raw.cookie)


def _fill(value: Any, credentials: Mapping[str, str]) -> Any:
    if not isinstance(value, str):
        return value
    return re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: credentials.get(m.group(1), m.group(0)), value)


def _substitute(path: Path, tenant: str, key: str, value: str, env: Mapping[str, str]) -> str:
    def repl(match: re.Match[str]) -> str:
        var = match.group(1)
        if var not in env:
            raise UsageError(f"{path}: tenant {tenant}, key {key}: environment variable {var} is not defined")
        return env[var]

    return _VAR.sub(repl, value)


def _credential(path: Path, tenant: str, key: str, value: str) -> str:
    """Credentials with line breaks or other control characters would end up in errors and logs: refused."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise UsageError(f"{path}: tenant {tenant}, key {key}: the value contains a line break or another control "
                         "character")
    return value


def _register(tenant: Tenant, secrets: Secrets) -> None:
    """Every credential value becomes a secret; `Bearer X` registers X so curl keeps the scheme."""
    count = 0
    for value in (*tenant.headers.values(), *tenant.cookies.values(), *tenant.query.values()):
        match = _SCHEME.match(value)
        secret = match.group(2) if match else value
        if secret and not secrets.knows(secret):
            count += 1
            secrets.add(secret, placeholder(tenant.name, count))
    for index, (key, value) in enumerate(sorted(tenant.credentials.items()), start=1):
        if key.lower() in ("username", "user", "login", "email", "name"):
            continue  # an account name is not a secret (and appears in identity checks)
        secrets.add(value, placeholder(tenant.name, index, "PASSWORD" if "pass" in key.lower() else "SECRET"))


def _check_distinct(path: Path, tenants: list[Tenant]) -> None:
    """Two tenants with the same credentials are one identity: every cross-tenant result would be meaningless."""
    seen: dict[tuple[Any, ...], str] = {}
    for tenant in tenants:
        if tenant.login is not None and tenant.credentials:
            key: tuple[Any, ...] = ("login", tenant.login.path, tuple(sorted(tenant.credentials.items())))
        else:
            key = ("static", tuple(sorted(tenant.headers.items())), tuple(sorted(tenant.cookies.items())),
                   tuple(sorted(tenant.query.items())))
        if key in seen:
            raise UsageError(f"{path}: tenants {seen[key]} and {tenant.name} have identical credentials: they are "
                             "one identity")
        seen[key] = tenant.name
