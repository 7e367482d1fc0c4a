"""`[tool.secscan]` / `secscan.toml` / `.secscan.toml`: discovery, strict pydantic models, CLI overrides, provenance."""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationError, field_validator

from secscan.errors import ConfigError
from secscan.models import Severity
from secscan.targets import MAX_FILE_SIZE
from secscan.textfiles import read_text_file
from secscan.tools import TOOLS
from secscan.tools.base import DEFAULT_TIMEOUT

CONFIG_NAMES = ("secscan.toml", ".secscan.toml", "pyproject.toml")
DEFAULT_SUPPRESSIONS = ".secscan-ignore.yaml"
DEFAULT_BASELINE = ".secscan-baseline.json"
MAX_CONFIG_BYTES = 1_000_000
COMMAND_LINE = "command line"
DEFAULT = "default"


def _severity(value: object) -> object:
    if isinstance(value, Severity):
        return value
    if isinstance(value, str):
        return Severity.parse(value)  # ValueError -> one pydantic error naming the key
    raise ValueError("must be a string: one of low, medium, high, critical")


SeverityField = Annotated[Severity, BeforeValidator(_severity), PlainSerializer(lambda s: s.label, when_used="json")]
PositiveSeconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class _Model(BaseModel):
    """Strict: no coercion ("yes" is not a bool, "300" is not a number) and no unknown keys."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ToolSettings(_Model):
    timeout: PositiveSeconds | None = None
    extra_args: list[str] = []


class RuleSettings(_Model):
    severity: SeverityField | None = None
    enabled: bool = True
    tool: str | None = None  # restrict the setting to one tool's rule of that id

    @field_validator("tool")
    @classmethod
    def _known_tool(cls, value: str | None) -> str | None:
        return _check_tools([value])[0] if value is not None else None


class ApiSettings(_Model):
    openapi: str | None = None
    tokens: str | None = None
    base_url: str | None = None
    probes: list[str] | None = None  # None: every registered probe
    rate: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    max_requests: Annotated[int, Field(ge=1)] | None = None  # None: 60 per callable operation, at least 2000
    timeout: PositiveSeconds = 10.0
    concurrency: Annotated[int, Field(ge=1, le=64)] = 8
    burst: Annotated[int, Field(ge=1)] = 50
    burst_window: PositiveSeconds = 10.0
    allow_destructive: bool = False
    include: list[str] = []  # METHOD /path/glob, /path/glob, operationId or tag:NAME; empty = every operation
    exclude: list[str] = []
    exclude_deprecated: bool = False
    allow_unsafe: list[str] = []  # operations the unsafe classifier holds back that may be called anyway
    allow_external_refs: bool = False
    max_response_bytes: Annotated[int, Field(ge=1024)] = 10_000_000
    proxy: str | None = None  # e.g. an intercepting proxy; proxy variables in the environment are ignored
    # percent of the callable operations that must have answered 2xx; below it the run cannot pass
    min_coverage: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 10.0


class SecscanConfig(_Model):
    tools: list[str] = list(TOOLS)
    paths: list[str] = []
    exclude: list[str] = []
    max_file_size: Annotated[int, Field(ge=1)] = MAX_FILE_SIZE  # bytes; larger files are skipped (a note), never read
    timeout: PositiveSeconds = DEFAULT_TIMEOUT
    tool_options: dict[str, ToolSettings] = {}
    fail_on: SeverityField = Severity.HIGH
    fail_on_tool_error: bool = True
    fail_on_existing: bool = False
    rules: dict[str, RuleSettings] = {}
    advisory_db: str | None = None
    allow_unaudited: bool = False
    baseline: str | None = None
    suppressions: str | None = None
    api: ApiSettings = ApiSettings()

    @field_validator("tools")
    @classmethod
    def _known_tools(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must name at least one tool")
        return _check_tools(value)

    @field_validator("tool_options")
    @classmethod
    def _known_tool_keys(cls, value: dict[str, ToolSettings]) -> dict[str, ToolSettings]:
        _check_tools(list(value))
        return value


def _check_tools(names: list[str]) -> list[str]:
    unknown = [n for n in names if n not in TOOLS]
    if unknown:
        raise ValueError(f"unknown tool {', '.join(unknown)} (choose from {', '.join(TOOLS)})")
    return names


@dataclass(frozen=True, slots=True)
class Effective:
    """The configuration in force, the file it came from and, per dotted key, where its value came from."""

    config: SecscanConfig
    file: Path | None
    sources: Mapping[str, str]

    def source(self, key: str) -> str:
        return self.sources.get(key, DEFAULT)


# --- discovery and parsing -------------------------------------------------------------------------------


def discover(start: Path) -> Path | None:
    """The first config file walking up from `start`; stops at the enclosing git work tree's top."""
    current = (start if start.is_dir() else start.parent).resolve()
    for directory in (current, *current.parents):
        for name in CONFIG_NAMES:
            candidate = directory / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_secscan_table(candidate)):
                return candidate
        if (directory / ".git").exists():
            return None
    return None


def _has_secscan_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return True  # a broken pyproject.toml is reported when it is read, not silently skipped
    return isinstance(data.get("tool"), dict) and "secscan" in data["tool"]


def label(path: Path) -> str:
    return f"{path} [tool.secscan]" if path.name == "pyproject.toml" else str(path)


def read_config_file(path: Path) -> dict[str, Any]:
    """The secscan table of a config file; ConfigError (one line, naming the file) for anything wrong."""
    return parse_config_text(read_text_file(path, "config", MAX_CONFIG_BYTES), path)


def parse_config_text(text: str, path: Path) -> dict[str, Any]:
    if not text.strip():
        raise ConfigError(f"{label(path)}: config file is empty (delete it or add settings)")
    try:
        data = tomllib.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {_one_line(str(exc))}") from None
    if path.name != "pyproject.toml":
        return data
    table = data.get("tool", {}).get("secscan") if isinstance(data.get("tool"), dict) else None
    if table is None:
        raise ConfigError(f"{path}: no [tool.secscan] table")
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: tool.secscan must be a table")
    return table


def validate(data: Mapping[str, Any], origin: str) -> SecscanConfig:
    try:
        return SecscanConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {describe_error(exc)}") from None


def describe_error(exc: ValidationError) -> str:
    """The first pydantic error as 'key.path[2]: message' (+ how many more)."""
    errors = exc.errors()
    first = errors[0]
    key = error_key(first["loc"])
    message = "unknown key" if first["type"] == "extra_forbidden" else first["msg"].removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return _one_line(f"{key or '(top level)'}: {message}{more}")  # keys come from the user's file too


def error_key(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith(("function-", "constrained-")):
            out += ("." if out else "") + str(part)
    return out


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


# --- the effective configuration -------------------------------------------------------------------------

_PATH_KEYS = ("advisory_db", "baseline", "suppressions")
_API_PATH_KEYS = ("openapi", "tokens")


def load(start: Path, explicit: Path | None = None, overrides: Mapping[str, Any] | None = None,
         discover_file: bool = True) -> Effective:
    """Defaults <- config file (found from `start`, or `explicit`) <- command-line `overrides` (dotted keys).

    Relative paths in the file are relative to the file's directory; command-line paths must be absolute.
    """
    file = explicit if explicit is not None else (discover(start) if discover_file else None)
    if explicit is not None and not explicit.is_file():
        raise ConfigError(f"--config: no such file: {explicit}")
    raw = read_config_file(file) if file is not None else {}
    from_file = validate(raw, label(file)) if file is not None else SecscanConfig()
    if file is not None:
        from_file = _absolute(from_file, file.parent.resolve())
    overrides = dict(overrides or {})
    merged = from_file.model_dump()
    for key, value in overrides.items():
        _set_dotted(merged, key, list(value) if isinstance(value, tuple) else value)
    config = validate(merged, COMMAND_LINE) if overrides else from_file
    origin = str(label(file)) if file is not None else DEFAULT
    sources = {key: origin for key in flatten(raw)} | {key: COMMAND_LINE for key in overrides}
    return Effective(config=config, file=file, sources=sources)


def _absolute(config: SecscanConfig, base: Path) -> SecscanConfig:
    top: dict[str, Any] = {key: str(base / value) for key in _PATH_KEYS if (value := getattr(config, key))}
    top["paths"] = [str(base / p) for p in config.paths]
    api = {key: str(base / value) for key in _API_PATH_KEYS
           if (value := getattr(config.api, key)) and not _is_url(value)}
    return config.model_copy(update={**top, "api": config.api.model_copy(update=api)})


def _is_url(value: str) -> bool:
    return urlsplit(value).scheme in ("http", "https")


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    *parents, last = key.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'api': {'rate': 2}} -> {'api.rate': 2}; empty tables stay as leaves."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def show(effective: Effective) -> str:
    """Every effective setting as `key = value  # source` lines (TOML-like values)."""
    values = flatten(effective.config.model_dump(mode="json"))
    rows = [(key, _toml_value(value), _source_of(effective.sources, key)) for key, value in sorted(values.items())]
    width = max(len(k) + len(v) for k, v, _ in rows) + 3
    header = f"# config file: {label(effective.file) if effective.file else 'none found (defaults)'}"
    return "\n".join([header, *(f"{f'{k} = {v}':<{width}} # {s}" for k, v, s in rows)]) + "\n"


def _source_of(sources: Mapping[str, str], key: str) -> str:
    for given, origin in sorted(sources.items(), key=lambda item: item[1] == COMMAND_LINE, reverse=True):
        if key == given or key.startswith(given + ".") or given.startswith(key + "."):
            return origin
    return DEFAULT


def _toml_value(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return f"{value:.1f}"
    return json.dumps(value, ensure_ascii=False)
