"""Keep secrets out of every output: previews, quoted-value scrubbing, token placeholders."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping

# A string literal: from a quote to the next unescaped one of the same kind (the other kind may be inside it).
_QUOTED = re.compile(r"""(['"])(?P<value>(?:\\.|(?!\1)[^\\])*?)\1""")


def preview(secret: str) -> str:
    """First two characters and an ellipsis: enough to recognise, never enough to use."""
    return secret[:2] + "…"


def secret_hash(secret: str) -> str:
    """SHA-1 hex, the same hash detect-secrets puts in `hashed_secret`."""
    return hashlib.sha1(secret.encode("utf-8"), usedforsecurity=False).hexdigest()


def scrub_quoted(text: str) -> str:
    """Replace every quoted value in a tool message with its preview ('hunter2' -> 'hu…')."""
    return _QUOTED.sub(lambda m: m.group(0) if len(m.group("value")) < 3 else
                       f"{m.group(1)}{preview(m.group('value'))}{m.group(1)}", text)


_TAIL_QUOTED = re.compile(r"^(?P<head>[^'\"]*?: )(?P<quote>['\"])(?P<value>.*)(?P=quote)$", re.DOTALL)


def scrub_secret_message(text: str) -> str:
    """A message that ends with the secret in quotes ("Possible hardcoded password: '<value>'"): everything
    between the first quote and the last one is the value, quotes inside it included."""
    match = _TAIL_QUOTED.match(text)
    if match is None:
        return scrub_quoted(text)
    return f"{match['head']}{match['quote']}{preview(match['value'])}{match['quote']}"


_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/@\s:]*):(?P<password>[^/@\s]+)@")
_ASSIGNED = re.compile(r"(?P<key>\b[\w-]*(?:pass(?:word|wd)?|pwd|secret|token|api_?key|auth)[\w-]*\s*[=:]\s*)"
                       r"(?P<value>[^\s'\",;&()\[\]{}.]{3,})(?=$|[\s'\",;&])", re.IGNORECASE)  # a value, not code


def scrub_line_secrets(text: str) -> str:
    """Unquoted credentials in a line of source: `scheme://user:PASSWORD@`, `password=VALUE`, `token: VALUE`."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{preview(m['password'])}@", text)
    return _ASSIGNED.sub(lambda m: f"{m['key']}{preview(m['value'])}", text)


def scrub_values(text: str, secrets: Mapping[str, str]) -> str:
    """Replace each known secret value with its placeholder (longest first, so prefixes can't leak)."""
    for value in sorted(secrets, key=len, reverse=True):
        if value:
            text = text.replace(value, secrets[value])
    return text


class Secrets(dict[str, str]):
    """Secret values -> their placeholders, including every encoding secscan itself produces of a value (URL
    encoding in queries and form bodies, JSON string escaping in bodies, base64 in Basic auth), so no output
    carries a credential in any spelling."""

    def add(self, value: str, placeholder: str) -> str:
        """Register `value` (and its encodings) unless known; returns the placeholder now in force for it."""
        if not value:
            return placeholder
        current = self.setdefault(value, placeholder)
        for variant in encodings(value):
            if variant and variant != value:
                self.setdefault(variant, current)
        return current

    def knows(self, value: str) -> bool:
        return value in self

    def scrub(self, text: str) -> str:
        return scrub_values(text, self)


def encodings(value: str) -> set[str]:
    """The spellings of `value` that secscan's own requests and outputs can contain."""
    from urllib.parse import quote, quote_plus

    variants = {quote(value, safe=""), quote_plus(value), quote(value), json.dumps(value)[1:-1],
                json.dumps(value, ensure_ascii=False)[1:-1]}
    variants.add(base64.b64encode(value.encode()).decode())
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        decoded = ""
    if ":" in decoded and decoded.isprintable():  # a Basic credential: user:password (the password alone too)
        variants |= {decoded, decoded.split(":", 1)[1]}
    return {v for v in variants if len(v) >= 4}
