"""Evidence steps and reproducible curl commands with every credential replaced by its placeholder."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from secscan.redact import scrub_values

_PLACEHOLDER = re.compile(r"\$SECSCAN_[A-Z0-9_]+")


@dataclass(frozen=True, slots=True)
class EvidenceStep:
    """One request of a finding's story: its role (baseline, attack, control, read-back), status and curl."""

    step: str
    status: int | None
    curl: str

    def as_dict(self) -> dict[str, Any]:
        return {"step": self.step, "status": self.status, "curl": self.curl}


def quote(arg: str) -> str:
    """Shell-quote one argument; placeholders stay expandable (double quotes around them)."""
    if not _PLACEHOLDER.search(arg):
        return "'" + arg.replace("'", "'\"'\"'") + "'" if arg else "''"
    out, last = ['"'], 0
    for match in _PLACEHOLDER.finditer(arg):
        out.append(_escape_double(arg[last:match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_escape_double(arg[last:]) + '"')
    return "".join(out)


def _escape_double(text: str) -> str:
    return re.sub(r'([\\"`$!])', r"\\\1", text)


def with_query(url: str, params: Mapping[str, Any]) -> str:
    if not params:
        return url
    return url + ("&" if "?" in url else "?") + urlencode({k: str(v) for k, v in params.items()})


def curl_command(method: str, url: str, headers: Mapping[str, str], body: Any,
                 secrets: Mapping[str, str]) -> str:
    """`curl -sS -X METHOD 'URL' -H 'K: V' ... --data '...'`, every secret value replaced by its placeholder."""
    parts = ["curl -sS -X", method.upper(), _arg(url, secrets)]
    for key, value in headers.items():
        parts += ["-H", _arg(f"{key}: {value}", secrets)]
    if body is not None:
        text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
        parts += ["--data", _arg(text, secrets)]
    return " ".join(parts)


def _arg(value: str, secrets: Mapping[str, str]) -> str:
    return quote(scrub_values(value, dict(secrets)))
