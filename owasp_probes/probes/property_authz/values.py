"""Mass assignment helpers: which properties to smuggle into a write, and a unique value for each."""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Mapping
from typing import Any

from secscan_probes.engine.schema import item_schema, properties, type_of

PRIVILEGED = {"is_admin": "boolean", "admin": "boolean", "role": "string", "owner_id": "id", "tenant_id": "id",
              "user_id": "id", "balance": "number", "verified": "boolean", "permissions": "array"}
NEVER = {"id", "created_at", "updated_at"}
SENSITIVE = re.compile(r"pass(word|wd)?|hash|token|secret|ssn|otp|api_?key|private_?key|salt|pin_?code", re.I)


def candidate_properties(request_schema: Any, response_schema: Any) -> dict[str, str]:
    """name -> kind: response-only properties, readOnly request properties and privilege-sounding names."""
    writable = {n for n, s in properties(request_schema).items() if not s.get("readOnly")}
    read_only = {n for n, s in properties(request_schema).items() if s.get("readOnly")}
    found: dict[str, str] = {}
    response = properties(item_schema(response_schema))
    for name, schema in response.items():
        if name not in writable and not SENSITIVE.search(name):
            found[name] = _kind(name, schema)
    for name in read_only:
        found.setdefault(name, _kind(name, properties(request_schema)[name]))
    for name, kind in PRIVILEGED.items():
        if name not in writable:
            found.setdefault(name, kind)
    return {n: k for n, k in found.items() if n not in NEVER}


def _kind(name: str, schema: Mapping[str, Any]) -> str:
    if name.endswith(("_id", "Id")):
        return "id"
    return type_of(schema) or PRIVILEGED.get(name, "string")


def unique_value(kind: str, current: Any, other_ids: list[Any]) -> Any:
    """A value that cannot be there by chance: a flipped boolean, a random number, a marked string."""
    if kind == "boolean":
        return not bool(current)
    if kind == "id":
        choices = [i for i in other_ids if i != current]
        return choices[0] if choices else 900_000_000 + secrets.randbelow(99_999_999)
    if kind == "integer":
        return 7_000_000 + secrets.randbelow(999_999)
    if kind == "number":
        return 31_337 + secrets.randbelow(99_999) + 0.25
    if kind == "array":
        return [f"secscan-{secrets.token_hex(4)}"]
    if kind == "object":
        return None
    return f"secscan-{secrets.token_hex(4)}"


def same(a: Any, b: Any) -> bool:
    """Equality that tolerates 1 == 1.0 and string/number spelling of ids, but not True == 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (isinstance(a, bool) and isinstance(b, bool) and a == b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b)
    return a == b or (a is not None and b is not None and str(a) == str(b) and not isinstance(a, (list, dict)))
