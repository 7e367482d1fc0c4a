"""bandit adapter: all plugins, JSON output, a non-empty `errors` list is a failed run."""

from __future__ import annotations

import json
import re

from secscan import proc
from secscan.errors import ToolMissing, ToolOutputError
from secscan.models import Finding, Location, Notification, Rule, Severity, Status, ToolRun
from secscan.redact import scrub_quoted
from secscan.targets import Targets
from secscan.tools.base import ToolOptions, chunk_args, execute, failed, locate, merge_runs, package_version

# Tests whose message quotes the flagged value (a hard-coded password).
_QUOTES_SECRET = {"B105", "B106", "B107"}
_PRECISION = {"HIGH": "high", "MEDIUM": "medium", "LOW": "low", "UNDEFINED": "low"}


class Bandit:
    name = "bandit"
    information_uri = "https://bandit.readthedocs.io/"

    def run(self, targets: Targets, options: ToolOptions) -> ToolRun:
        files = [targets.relative(f) for f in targets.python_files()]
        if not files:
            return ToolRun(tool=self.name, status=Status.OK, notifications=(Notification("note", "no Python files to scan"),))
        try:
            exe = locate("bandit")
        except ToolMissing as exc:
            return failed(self.name, Status.MISSING, str(exc))
        version = package_version(exe, "bandit")
        runs = []
        for chunk in chunk_args(files):
            argv = [exe, "-f", "json", "-q", *options.extra_args.get(self.name, ()), *chunk]
            runs.append(execute(self.name, argv, options, lambda r: parse(r, targets, version), cwd=targets.root))
        return merge_runs(self.name, runs)


def parse(result: proc.ProcResult, targets: Targets, version: str | None = None):
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
    return findings, notes, version


def _finding(item: dict, targets: Targets) -> Finding:
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


def _title(item: dict) -> str:
    """'b105_hardcoded_password_string' or '#b403-import-pickle' -> 'hardcoded password string'."""
    more = item.get("more_info", "")
    slug = more.rsplit("#", 1)[-1] if "#" in more else more.rsplit("/", 1)[-1].removesuffix(".html")
    words = re.sub(r"^b\d+[_-]", "", slug).replace("_", " ").replace("-", " ").strip()
    return words or item["test_name"].replace("_", " ")
