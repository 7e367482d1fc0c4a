"""bandit adapter: all plugins, JSON output, a non-empty `errors` list is a failed run."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from secscan import proc
from secscan.errors import ToolOutputError
from secscan.models import Finding, Location, Notification, Rule, Severity
from secscan.redact import scrub_quoted
from secscan.targets import Targets
from secscan.tools.base import Invocation, Parsed, Stage, ToolContext, ToolPlan, package_version

# Tests whose message quotes the flagged value (a hard-coded password).
_QUOTES_SECRET = {"B105", "B106", "B107"}
_PRECISION = {"HIGH": "high", "MEDIUM": "medium", "LOW": "low", "UNDEFINED": "low"}


class Bandit:
    name = "bandit"
    stage: Stage = "static"
    executable = "bandit"
    information_uri = "https://bandit.readthedocs.io/"
    nothing_to_scan = "no Python files to scan"

    def files(self, targets: Targets) -> Sequence[Path]:
        return targets.python_files()

    @contextmanager
    def plan(self, exe: str, files: Sequence[str], ctx: ToolContext) -> Iterator[ToolPlan]:
        targets = ctx.targets
        yield ToolPlan([Invocation((exe, "-f", "json", "-q", *ctx.extra_args), lambda r: parse(r, targets),
                                   files=tuple(files), cwd=targets.root)], version=package_version(exe, "bandit"))


def parse(result: proc.ProcResult, targets: Targets) -> Parsed:
    """bandit exits 0 or 1 with JSON on stdout; anything else, or non-JSON, is a failed run."""
    if result.returncode not in (0, 1):
        raise ToolOutputError(f"bandit exited {result.returncode}")
    try:
        doc = json.loads(result.stdout)
        results, errors = doc["results"], doc["errors"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ToolOutputError(f"bandit printed output that is not its JSON report ({exc})") from exc
    findings = [_finding(item, targets) for item in results]
    notes = [Notification("error", f"bandit could not scan {targets.relative(e['filename'])}: {e['reason']}")
             for e in errors]
    return Parsed(findings, notes)


def _finding(item: dict[str, Any], targets: Targets) -> Finding:
    test_id = item["test_id"]
    text = scrub_quoted(item["issue_text"]) if test_id in _QUOTES_SECRET else item["issue_text"]
    severity = Severity.parse(item["issue_severity"]) if item["issue_severity"] != "UNDEFINED" else Severity.LOW
    cwe = item.get("issue_cwe") or {}
    rule = Rule(
        id=test_id, title=_title(item), description=f"bandit {test_id}: {text}", severity=severity,
        help_text=f"{text} See {item.get('more_info', 'the bandit documentation')}.",
        help_uri=item.get("more_info"), precision=_PRECISION.get(item["issue_confidence"], "medium"),
        cwe=(int(cwe["id"]),) if cwe.get("id") else (),
    )
    lines = item.get("line_range") or [item["line_number"]]
    loc = Location(path=targets.relative(item["filename"]), start_line=int(item["line_number"]),
                   end_line=int(max(lines)), start_column=int(item.get("col_offset", 0)) + 1)
    return Finding(tool="bandit", rule=rule, message=text, location=loc, severity=severity,
                   properties={"confidence": item["issue_confidence"].lower()})


def _title(item: dict[str, Any]) -> str:
    """'b105_hardcoded_password_string' or '#b403-import-pickle' -> 'hardcoded password string'."""
    more = item.get("more_info", "")
    slug = more.rsplit("#", 1)[-1] if "#" in more else more.rsplit("/", 1)[-1].removesuffix(".html")
    words = re.sub(r"^b\d+[_-]", "", slug).replace("_", " ").replace("-", " ").strip()
    return words or item["test_name"].replace("_", " ")
