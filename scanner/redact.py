"""Keep secrets out of every output: previews, quoted-value scrubbing, token placeholders."""

from __future__ import annotations

import hashlib
import re

_QUOTED = re.compile(r"""(['"])(?P<value>[^'"]{3,})\1""")


def preview(secret: str) -> str:
    """First two characters and an ellipsis: enough to recognise, never enough to use."""
    return secret[:2] + "…"


def secret_hash(secret: str) -> str:
    """SHA-1 hex, the same hash detect-secrets puts in `hashed_secret`."""
    return hashlib.sha1(secret.encode("utf-8"), usedforsecurity=False).hexdigest()


def scrub_quoted(text: str) -> str:
    """Replace every quoted value in a tool message with its preview ('hunter2' -> 'hu…')."""
    return _QUOTED.sub(lambda m: f"{m.group(1)}{preview(m.group('value'))}{m.group(1)}", text)


def scrub_values(text: str, secrets: dict[str, str]) -> str:
    """Replace each known secret value with its placeholder (longest first, so prefixes can't leak)."""
    for value in sorted(secrets, key=len, reverse=True):
        if value:
            text = text.replace(value, secrets[value])
    return text
