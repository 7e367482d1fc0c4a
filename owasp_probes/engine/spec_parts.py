"""Pieces of an operation read from schemathesis objects and the raw spec, plus operation line numbers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from secscan_probes.engine.schema import resolve

_METHOD_KEY = re.compile(r"""^(\s*)["']?(get|put|post|delete|patch|options|head|trace)["']?\s*:""")


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    location: str  # path | query | header | cookie
    required: bool
    schema: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Link:
    """An OpenAPI link: a 2xx response of this operation feeds parameters of another one."""

    status: str
    operation_id: str | None
    operation_ref: str | None
    parameters: Mapping[str, str]  # target parameter name -> runtime expression


def parameters_of(op: Any) -> tuple[Parameter, ...]:
    params = []
    for p in op.iter_parameters():
        d = p.definition
        if "x-original-security-type" in d:  # schemathesis adds security schemes as parameters
            continue
        schema = d.get("schema") or {k: v for k, v in d.items() if k in ("type", "format", "enum", "items")}
        params.append(Parameter(d["name"], d.get("in", "query"), bool(d.get("required")), schema))
    return tuple(params)


def body_of(op: Any) -> tuple[str | None, Mapping[str, Any] | None]:
    """(media type, schema) of the request body, preferring JSON."""
    items = list(getattr(op.body, "items", None) or [])
    items.sort(key=lambda b: 0 if "json" in (b.media_type or "") else 1)
    for body in items:
        definition = body.definition
        return body.media_type, definition.get("schema", definition)
    return None, None


def responses_of(op: Any, raw: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for code, response in op.responses.items():
        try:
            resolved = response.get_schema()
        except Exception:  # noqa: BLE001 - an unresolvable response schema is treated as undocumented
            resolved = None
        schema = getattr(resolved, "schema", None)
        out[str(code)] = resolve(schema, raw) if schema else {}
    return out


def security_of(op_raw: Mapping[str, Any], raw: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    declared = op_raw["security"] if "security" in op_raw else raw.get("security", [])
    return tuple(req for req in declared or () if isinstance(req, Mapping))


def links_of(op_raw: Mapping[str, Any]) -> tuple[Link, ...]:
    links = []
    for status, response in (op_raw.get("responses") or {}).items():
        for link in ((response or {}).get("links") or {}).values() if isinstance(response, Mapping) else ():
            if isinstance(link, Mapping):
                params = {str(k): str(v) for k, v in (link.get("parameters") or {}).items()}
                links.append(Link(str(status), link.get("operationId"), link.get("operationRef"), params))
    return tuple(links)


def base_url_of(raw: Mapping[str, Any], spec_url: str | None) -> str | None:
    """OpenAPI 3 `servers[0]` (variables at their defaults) or Swagger 2 scheme+host+basePath. Without servers,
    OpenAPI 3 means `/`: for a spec fetched from a URL, the root of that host (FastAPI's default)."""
    if "swagger" in raw:
        host = raw.get("host")
        if not host:
            return urljoin(spec_url, raw.get("basePath", "/")) if spec_url else None
        scheme = (raw.get("schemes") or ["https"])[0]
        return f"{scheme}://{host}{raw.get('basePath', '')}"
    servers = raw.get("servers") or [{"url": "/"}]
    if not isinstance(servers, list) or not isinstance(servers[0], Mapping) or not servers[0].get("url"):
        return None
    url = str(servers[0]["url"])
    for name, var in (servers[0].get("variables") or {}).items():
        url = url.replace("{" + name + "}", str((var or {}).get("default", "")))
    if "://" not in url:
        return urljoin(spec_url, url) if spec_url else None
    return url


def locate_operations(text: str) -> dict[tuple[str, str], int]:
    """(method, path template) -> 1-based line of the method key under its path key (JSON or YAML)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(r"""^\s*["']?paths["']?\s*:""", line)), None)
    if start is None:
        return {}
    found: dict[tuple[str, str], int] = {}
    path_indent, method_indent, current = -1, -1, None
    for index in range(start + 1, len(lines)):
        line = lines[index]
        indent = len(line) - len(line.lstrip())
        key = re.match(r"""^\s*(["']?)(/[^"']*?)\1\s*:""", line)
        if key and (path_indent < 0 or indent == path_indent):
            path_indent, method_indent, current = indent, -1, key.group(2)
            continue
        if path_indent >= 0 and line.strip() and indent < path_indent and not line.strip().startswith(("}", "]")):
            break
        method = _METHOD_KEY.match(line)
        if current and method and indent > path_indent and method_indent in (-1, indent):
            method_indent = indent
            found.setdefault((method.group(2), current), index + 1)
    return found
