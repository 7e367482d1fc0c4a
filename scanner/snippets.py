"""Source lines around static findings, for the HTML report: read from the repository root, redacted, capped.

Never for detect-secrets results (their lines hold the secret) nor API results (their location is a line of the
spec, not code); a line detect-secrets flagged is hidden in every other snippet too. Every line goes through the
same redaction as tool messages (quoted values become a 2-character preview) and long key-like tokens are
previewed as well. Only regular text files inside the root are read, each at most once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from secscan import wording
from secscan.models import API_TOOL, ToolRun
from secscan.redact import preview, scrub_line_secrets, scrub_quoted

CONTEXT = 2  # lines shown before and after the flagged line
MAX_LINE = 160  # characters kept of one line
MAX_FILE_BYTES = 1_000_000
MAX_SNIPPETS = 300  # findings with source lines in one report (the first ones by path and line)
NO_SOURCE = frozenset({"detect-secrets", API_TOOL})
HIDDEN = wording.SOURCE_HIDDEN
_KEYLIKE = re.compile(r"[A-Za-z0-9+/_-]{32,}={0,2}")


@dataclass(frozen=True, slots=True)
class Snippet:
    """Lines `start`..`start + len(lines) - 1` of a file; `flagged` is the finding's line."""

    start: int
    flagged: int
    lines: tuple[str, ...]


Snippets = dict[tuple[str, int], Snippet]


def read_snippets(runs: Sequence[ToolRun], root: Path) -> Snippets:
    """(repo-relative path, line) -> Snippet for every static finding that has a readable source file."""
    findings = [f for r in runs for f in r.findings]
    secret_lines = {(f.location.path, f.location.start_line) for f in findings if f.tool == "detect-secrets"}
    wanted = sorted({(f.location.path, f.location.start_line) for f in findings if f.tool not in NO_SOURCE})
    texts: dict[str, list[str] | None] = {}
    out: Snippets = {}
    for path, line in wanted[:MAX_SNIPPETS]:
        if path not in texts:
            texts[path] = _read(root, path)
        lines = texts[path]
        if lines is not None and 1 <= line <= len(lines):
            hidden = {n for p, n in secret_lines if p == path}
            out[(path, line)] = _snippet(lines, line, hidden)
    return out


def _read(root: Path, path: str) -> list[str] | None:
    """The file's lines when it is a regular text file inside `root` (symlinks out of it are refused)."""
    if not path or path.startswith(("/", "../")) or "\\" in path:
        return None
    try:
        base = root.resolve()
        file = (base / path).resolve()
        if not file.is_relative_to(base) or not file.is_file() or file.stat().st_size > MAX_FILE_BYTES:
            return None
        data = file.read_bytes()
    except OSError:
        return None
    if b"\0" in data:
        return None
    return data.decode("utf-8", errors="replace").splitlines()


def _snippet(lines: list[str], line: int, hidden: set[int]) -> Snippet:
    first, last = max(1, line - CONTEXT), min(len(lines), line + CONTEXT)
    shown = tuple(HIDDEN if n in hidden else redact_line(lines[n - 1]) for n in range(first, last + 1))
    return Snippet(first, line, shown)


def redact_line(text: str) -> str:
    """Quoted values, URL passwords, `password=value` assignments and long key-like tokens as 2-character
    previews, tabs expanded, at most MAX_LINE chars."""
    text = _KEYLIKE.sub(lambda m: preview(m.group(0)) if re.search(r"\d", m.group(0)) else m.group(0),
                        scrub_quoted(scrub_line_secrets(text.expandtabs(4))))
    return text if len(text) <= MAX_LINE else text[:MAX_LINE - 1] + "…"
