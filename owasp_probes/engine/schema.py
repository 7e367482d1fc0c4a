"""Small JSON-Schema helpers: local $ref resolution, object properties, free-text fields, canonical JSON."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from typing import Any

MAX_DEPTH = 12
FREE_TEXT_NAMES = ("title", "name", "content", "description", "body", "text", "note", "comment", "summary", "label")
# Fields that identify an account: changed only by the credential flows that restore them, never as a canary.
IDENTITY_FIELD = re.compile(r"^(user_?name|login(_?name)?|e_?mail(_?address)?|handle|account(_?name)?|pass(word|wd)?|"
                            r"pwd|passphrase|phone(_?number)?|sub|uid)$", re.IGNORECASE)


def resolve(schema: Any, *roots: Mapping[str, Any], depth: int = 0) -> Any:
    """Inline local `#/...` references (looked up in `schema` itself, then in each root), depth-limited."""
    if depth > MAX_DEPTH:
        return {}
    if isinstance(schema, list):
        return [resolve(item, *roots, depth=depth) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    all_roots = (schema, *roots) if depth == 0 else roots
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target = _lookup(ref, all_roots)
        return resolve(target, *all_roots, depth=depth + 1) if target is not None else {}
    return {k: resolve(v, *all_roots, depth=depth + 1) for k, v in schema.items() if k != "x-bundled"}


def _lookup(ref: str, roots: tuple[Mapping[str, Any], ...]) -> Any:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
    for root in roots:
        node: Any = root
        for part in parts:
            node = node.get(part) if isinstance(node, Mapping) else None
            if node is None:
                break
        if node is not None:
            return node
    return None


def variants(schema: Any) -> list[Mapping[str, Any]]:
    """The object-ish alternatives of a schema (itself, or its anyOf/oneOf/allOf members)."""
    if not isinstance(schema, Mapping):
        return []
    found = [schema]
    for key in ("anyOf", "oneOf", "allOf"):
        for member in schema.get(key) or ():
            found.extend(variants(member))
    return found


def properties(schema: Any) -> dict[str, Mapping[str, Any]]:
    """Declared properties of an object schema (merged over anyOf/oneOf/allOf)."""
    props: dict[str, Mapping[str, Any]] = {}
    for variant in variants(schema):
        for name, sub in (variant.get("properties") or {}).items():
            props.setdefault(name, sub if isinstance(sub, Mapping) else {})
    return props


def item_schema(schema: Any) -> Any:
    """For an array schema, its items; otherwise the schema itself."""
    if isinstance(schema, Mapping) and schema.get("type") == "array":
        return schema.get("items") or {}
    return schema


def type_of(schema: Mapping[str, Any]) -> str | None:
    """The first non-null JSON type of a (possibly anyOf-nullable) schema."""
    for variant in variants(schema):
        kind = variant.get("type")
        kinds = kind if isinstance(kind, list) else [kind]
        for k in kinds:
            if k and k != "null":
                return str(k)
    return None


def is_free_text(schema: Mapping[str, Any], needed: int) -> bool:
    """A plain string property that can hold `needed` characters (no enum, format or pattern)."""
    plain = [v for v in variants(schema) if v.get("type") == "string"]
    if not plain:
        return False
    s = plain[0]
    return not any(k in s for k in ("enum", "format", "pattern", "const")) and int(s.get("maxLength", needed)) >= needed


def free_text_field(schema: Any, needed: int = 32) -> str | None:
    """The best property of an object schema to carry a canary string (title, name, content... first); never an
    identity field (user name, e-mail, password...)."""
    props = properties(schema)
    candidates = [name for name, sub in props.items() if is_free_text(sub, needed) and not IDENTITY_FIELD.match(name)]
    ranked = sorted(candidates, key=lambda n: (FREE_TEXT_NAMES.index(n) if n in FREE_TEXT_NAMES else 99))
    return ranked[0] if ranked else None


def canonical(value: Any) -> str:
    """Canonical JSON text (sorted keys, compact) used for body comparisons."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def similarity(a: Any, b: Any) -> float:
    """difflib ratio over canonical JSON (1.0 = identical)."""
    left, right = canonical(a), canonical(b)
    if left == right:
        return 1.0
    return difflib.SequenceMatcher(None, left, right, autojunk=False).ratio()


def required(schema: Any) -> list[str]:
    """Required property names of an object schema (merged over anyOf/oneOf/allOf)."""
    names: list[str] = []
    for variant in variants(schema):
        names.extend(n for n in variant.get("required") or () if n not in names)
    return names
