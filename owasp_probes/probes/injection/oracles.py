"""Response comparisons for the injection probe: echo-insensitive similarity, JSON-aware text search."""

from __future__ import annotations

import difflib
import html
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, quote_plus

from secscan_probes.engine.http import Exchange

MAX_COMPARE = 8000
SAME = 0.95  # two responses are "the same" at or above this similarity (and equal status)
DIFFERENT = 0.85  # ... and "substantially different" below this (or a different status)
ECHO = "\x00echo\x00"


def strings_in(data: Any) -> Iterator[str]:
    """Every string (keys included) inside a parsed JSON body."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield str(key)
            yield from strings_in(value)
    elif isinstance(data, list):
        for item in data:
            yield from strings_in(item)


def texts(exchange: Exchange | None) -> str:
    """The raw body plus the decoded JSON strings (so escaped quotes in JSON still match signatures)."""
    if exchange is None:
        return ""
    decoded = "\n".join(strings_in(exchange.data)) if exchange.data is not None else ""
    return exchange.text + "\n" + decoded


def echo_forms(value: Any) -> list[str]:
    """How a sent value can come back: raw, JSON-escaped, HTML-escaped (two styles), URL-encoded."""
    raw = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    forms = {raw, json.dumps(raw)[1:-1], html.escape(raw), html.escape(raw).replace("&#x27;", "&#39;"),
             raw.replace("'", "&#39;").replace('"', "&#34;"), quote(raw, safe=""), quote_plus(raw)}
    return sorted((f for f in forms if f), key=len, reverse=True)


def normalized(exchange: Exchange, sent: Any) -> str:
    """The response body with every echo of the sent value replaced by one token."""
    text = exchange.text[: MAX_COMPARE * 2]
    for form in echo_forms(sent):
        if len(form) >= 3:
            text = text.replace(form, ECHO)
    return text[:MAX_COMPARE]


def ratio(a: str, b: str) -> float:
    if a == b:
        return 1.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < DIFFERENT:
        return matcher.real_quick_ratio()
    return matcher.ratio()


def same(a: Exchange | None, sent_a: Any, b: Exchange | None, sent_b: Any) -> bool:
    """Equal status and near-identical bodies once each request's own echo is removed."""
    if a is None or b is None or a.status is None or a.status != b.status:
        return False
    return ratio(normalized(a, sent_a), normalized(b, sent_b)) >= SAME


def differs(a: Exchange | None, sent_a: Any, b: Exchange | None, sent_b: Any) -> bool:
    """Another status, or bodies that differ substantially once echoes are removed."""
    if a is None or b is None or a.status is None or b.status is None:
        return False
    if a.status != b.status:
        return True
    return ratio(normalized(a, sent_a), normalized(b, sent_b)) < DIFFERENT


def failed(exchange: Exchange | None) -> bool:
    """A client error other than throttling (the "wrong value" answer)."""
    return exchange is not None and exchange.status is not None and 400 <= exchange.status < 500 \
        and exchange.status != 429


def server_error(exchange: Exchange | None) -> bool:
    return exchange is not None and exchange.status is not None and exchange.status >= 500
