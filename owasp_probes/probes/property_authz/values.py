"""Property-level helpers: which properties to smuggle into a write (and a value that cannot be there by chance),
and which properties are secrets that must never reach anyone but their owner."""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Iterator, Mapping
from typing import Any

from secscan_probes.engine.schema import IDENTITY_FIELD, item_schema, properties, type_of

# Privilege-like names tried on every write, declared or not (declared ones too: a user setting its own role is
# the flaw whatever the schema says).
PRIVILEGED = {"is_admin": "boolean", "admin": "boolean", "isAdmin": "boolean", "is_superuser": "boolean",
              "is_staff": "boolean", "role": "role", "roles": "roles", "permissions": "roles", "groups": "roles",
              "owner_id": "id", "tenant_id": "id", "user_id": "id", "balance": "number", "credit": "number",
              "verified": "boolean", "email_verified": "boolean", "is_verified": "boolean"}
NEVER = {"id", "created_at", "updated_at", "createdAt", "updatedAt"}
SENSITIVE = re.compile(r"pass(word|wd)?|hash|token|secret|ssn|otp|api_?key|private_?key|salt|pin_?code", re.I)
# Secrets by property name: their non-empty values must reach nobody but the owner (values are never reported).
SECRET_NAME = re.compile(
    r"(pass(word|wd)?|pwd)(_?(hash|digest))?$|^hashed_?pass|password_?hash|secret|private_?key|api_?key|apikey|"
    r"access_?key|(^|_)(access|refresh|auth|session|api|bearer)?_?token$|^ssn$|social_?security|card_?number|"
    r"credit_?card|^pan$|^cvv2?$|^cvc$|otp_?secret|totp|mfa_?secret", re.IGNORECASE)
NOT_SECRET = re.compile(r"token_?type|(next|page|continuation|sync|pagination)_?token|csrf|xsrf|_?count$|expires",
                        re.IGNORECASE)
MASKED = re.compile(r"^[*•x#.\-]+$|^(redacted|hidden|masked|none|null)$", re.IGNORECASE)


def candidate_properties(request_schema: Any, response_schema: Any) -> dict[str, str]:
    """name -> kind: response-only properties, readOnly request properties and privilege-like names. Never an
    identity field (renaming a tenant would break its session) and never a secret."""
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
        found.setdefault(name, kind)
    return {n: k for n, k in found.items() if n not in NEVER and not IDENTITY_FIELD.match(n)}


def _kind(name: str, schema: Mapping[str, Any]) -> str:
    if name in PRIVILEGED:
        return PRIVILEGED[name]
    if name.endswith(("_id", "Id")):
        return "id"
    return type_of(schema) or "string"


def unique_value(kind: str, current: Any, other_ids: list[Any]) -> Any:
    """A value that cannot be there by chance: a flipped boolean, 'admin' for a role, a random number..."""
    if kind == "boolean":
        return not bool(current)
    if kind == "role":
        return "admin" if current != "admin" else f"secscan-{secrets.token_hex(4)}"
    if kind == "roles":
        return ["admin"] if current != ["admin"] else [f"secscan-{secrets.token_hex(4)}"]
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


def secrets_in(data: Any, path: str = "", depth: int = 0) -> Iterator[tuple[str, str]]:
    """(where, value) of every non-empty, unmasked secret-named string in a JSON value ('data.author.password_hash')."""
    if depth > 12:
        return
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(value, str) and is_secret(str(key), value):
                yield where, value
            elif isinstance(value, (dict, list)):
                yield from secrets_in(value, where, depth + 1)
    elif isinstance(data, list):
        for item in data[:200]:
            yield from secrets_in(item, f"{path}[]", depth + 1)


def is_secret(name: str, value: str) -> bool:
    return bool(SECRET_NAME.search(name)) and not NOT_SECRET.search(name) and len(value.strip()) >= 4 \
        and not MASKED.match(value.strip())
