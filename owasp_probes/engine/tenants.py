"""tenants.yaml: who the probes act as (credentials, role, owned objects), with ${VAR} substitution and redaction."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from secscan.errors import UsageError

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SCHEME = re.compile(r"^(Bearer|Basic|Token|Digest|JWT|ApiKey)\s+(\S.*)$", re.IGNORECASE)
ObjectIds = dict[str, list[str | int]]


class _TenantModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    headers: dict[str, str] = Field(default_factory=dict)
    cookies: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)
    role: Literal["user", "admin"] = "user"
    owns: ObjectIds = Field(default_factory=dict)
    public: ObjectIds = Field(default_factory=dict)


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenants: dict[str, _TenantModel | None]


@dataclass(frozen=True, slots=True)
class Tenant:
    """One identity: credentials (after ${VAR} substitution), role and the objects it declares."""

    name: str
    role: str = "user"
    headers: Mapping[str, str] = field(default_factory=dict)
    cookies: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    owns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    public: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class Tenants:
    """All tenants in file order plus `secrets`: credential value -> `$SECSCAN_TOKEN_<TENANT>` placeholder."""

    tenants: tuple[Tenant, ...]
    secrets: Mapping[str, str]

    def __iter__(self) -> Iterator[Tenant]:
        return iter(self.tenants)

    def by_name(self, name: str) -> Tenant:
        return next(t for t in self.tenants if t.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tenants)


def placeholder(tenant: str, index: int = 1) -> str:
    """`$SECSCAN_TOKEN_ALICE` for the first secret of tenant alice, `..._ALICE_2` for the second."""
    stem = re.sub(r"[^A-Z0-9]+", "_", tenant.upper()).strip("_") or "TENANT"
    return f"$SECSCAN_TOKEN_{stem}" + (f"_{index}" if index > 1 else "")


def load_tenants(path: Path, environ: Mapping[str, str] | None = None) -> Tenants:
    """Parse and validate tenants.yaml; every problem is a one-line UsageError naming the file and key."""
    env = os.environ if environ is None else environ
    model = _parse(path)
    tenants: list[Tenant] = []
    secrets: dict[str, str] = {}
    for name, raw in model.tenants.items():
        tenant = _build(path, name, raw or _TenantModel(), env)
        tenants.append(tenant)
        _register(tenant, secrets)
    return Tenants(tuple(tenants), MappingProxyType(secrets))


def _parse(path: Path) -> _FileModel:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise UsageError(f"{path}: malformed YAML{where}: {getattr(exc, 'problem', None) or 'parse error'}") from None
    try:
        model = _FileModel.model_validate(data if data is not None else {})
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise UsageError(f"{path}: key {key}: {err['msg']}") from None
    if not model.tenants:
        raise UsageError(f"{path}: key tenants: at least one tenant is required")
    return model


def _build(path: Path, name: str, raw: _TenantModel, env: Mapping[str, str]) -> Tenant:
    def sub(section: str, values: dict[str, str]) -> dict[str, str]:
        return {key: _substitute(path, f"{name}.{section}.{key}", value, env) for key, value in values.items()}

    return Tenant(
        name=name, role=raw.role,
        headers=MappingProxyType(sub("headers", raw.headers)),
        cookies=MappingProxyType(sub("cookies", raw.cookies)),
        query=MappingProxyType(sub("query", raw.query)),
        owns=MappingProxyType({k: tuple(str(v) for v in vs) for k, vs in raw.owns.items()}),
        public=MappingProxyType({k: tuple(str(v) for v in vs) for k, vs in raw.public.items()}),
    )


def _substitute(path: Path, where: str, value: str, env: Mapping[str, str]) -> str:
    def repl(match: re.Match[str]) -> str:
        var = match.group(1)
        if var not in env:
            tenant, _, key = where.partition(".")
            raise UsageError(f"{path}: tenant {tenant}, key {key}: environment variable {var} is not defined")
        return env[var]

    return _VAR.sub(repl, value)


def _register(tenant: Tenant, secrets: dict[str, str]) -> None:
    """Every credential value becomes a secret; `Bearer X` registers X so curl keeps the scheme."""
    count = 0
    for value in (*tenant.headers.values(), *tenant.cookies.values(), *tenant.query.values()):
        match = _SCHEME.match(value)
        secret = match.group(2) if match else value
        if secret and secret not in secrets:
            count += 1
            secrets[secret] = placeholder(tenant.name, count)


def credentials_of(tenant: Tenant) -> dict[str, Any]:
    """httpx keyword arguments carrying the tenant's credentials."""
    return {"headers": dict(tenant.headers), "cookies": dict(tenant.cookies), "params": dict(tenant.query)}
