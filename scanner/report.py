"""Human and machine summaries of tool runs (pure and light: they return text or data; the CLI prints)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from secscan import wording
from secscan.models import Finding, FindingRef, Review, Severity, ToolRun
from secscan.policy import Policy, Verdict, counts

_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)
FAILING_SHOWN = 20  # counted findings listed at the end of the terminal summary
_LINE_LIMIT = 180  # characters of one such line
# Terminal escape sequences (CSI, OSC up to BEL/ST, DCS/SOS/PM/APC, two-character escapes, their 8-bit forms),
# then any other control character but tab and newline, and the bidi overrides that reorder what is displayed.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
                      r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?|\x1b[ -~]?|\x9b[0-?]*[ -/]*[@-~]"
                      r"|\x9d[^\x07\x9c]*[\x07\x9c]?")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` without terminal escape sequences or control characters (tabs and newlines stay): anything a
    target or a scanned file controls goes through this before it reaches a terminal or a report."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def one_line(text: str) -> str:
    """`printable(text)` with every run of whitespace (newlines included) turned into one space."""
    return " ".join(printable(text).split())


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def all_findings(runs: Sequence[ToolRun]) -> list[Finding]:
    return sorted((f for r in runs for f in r.findings),
                  key=lambda f: (-f.severity, f.location.path, f.location.start_line, f.tool, f.rule.id))


SUMMARY_COLUMNS = ("tool", "status", *(s.label for s in _ORDER), "suppressed", "time")


def summary_rows(runs: Sequence[ToolRun]) -> list[tuple[str, ...]]:
    """Per tool: status and counts by severity of findings that are not suppressed, then suppressed ones."""
    rows = []
    for run in runs:
        counts = Counter(f.severity for f in run.findings if not f.suppressed)
        suppressed = sum(1 for f in run.findings if f.suppressed)
        rows.append((run.tool, run.status.value, *(str(counts.get(s, 0)) for s in _ORDER), str(suppressed),
                     f"{run.wall_seconds:.1f}s"))
    return rows


def verdict_line(verdict: Verdict, hypothetical: bool = False) -> str:
    """'FAIL (exit 1): reasons'; for a command that does not exit with the verdict (the demo), 'FAIL (the gate
    would exit 1): reasons'."""
    word = "PASS" if verdict.passed else "FAIL"
    code = f"the gate would exit {verdict.exit_code}" if hypothetical else f"exit {verdict.exit_code}"
    return f"{word} ({code}): " + "; ".join(verdict.reasons)


def problems(runs: Sequence[ToolRun]) -> list[str]:
    """One line per tool error, first line of the message only (details stay in the SARIF)."""
    return [f"{r.tool}: {n.message.splitlines()[0]}" for r in runs for n in r.notifications if n.level == "error"]


def state_label(f: Finding) -> str:
    """'suppressed', 'expired suppression', 'new', 'unchanged' or '' (no baseline, not suppressed)."""
    if f.suppressed:
        return "suppressed"
    if f.suppression is not None:
        return "expired suppression"
    return f.baseline_state or ""


def finding_line(f: Finding) -> str:
    """`path:line: SEVERITY [tool rule] message (state)`: one line, whatever the message holds."""
    state = state_label(f)
    return one_line(f"{f.location.path}:{f.location.start_line}: {f.severity.label.upper()} [{f.tool} {f.rule.id}] "
                    f"{f.message}" + (f" ({state})" if state else ""))


def is_new(f: Finding) -> bool:
    """New with respect to the baseline; an expired suppression counts as new whatever the baseline says."""
    return f.baseline_state == "new" or (f.suppression is not None and not f.suppressed)


def failing(runs: Sequence[ToolRun], policy: Policy) -> list[Finding]:
    """The findings that fail the policy (counted, at or above fail_on): new ones first, then by severity."""
    found = [f for r in runs for f in r.findings if counts(f, policy) and f.severity >= policy.fail_on]
    return sorted(found, key=lambda f: (not is_new(f), -f.severity, f.location.path, f.location.start_line, f.tool,
                                        f.rule.id))


def failing_lines(runs: Sequence[ToolRun], policy: Policy, limit: int = FAILING_SHOWN) -> list[str]:
    """The end of the terminal summary: a heading and one line per failing finding, at most `limit` of them."""
    found = failing(runs, policy)
    if not found:
        return []
    lines = [wording.FAILING_HEADING.format(fail_on=policy.fail_on.label)]
    lines += [clip(finding_line(f), _LINE_LIMIT) for f in found[:limit]]
    return lines + ([wording.more(len(found) - limit)] if len(found) > limit else [])


def text_lines(runs: Sequence[ToolRun]) -> str:
    """One line per flaw: another tool's finding of the same flaw is named on the counted one's line."""
    also = {id(f): " (also reported by " + one_line(", ".join(f"{d.tool} {d.rule}" for d in f.duplicates)) + ")"
            for r in runs for f in r.findings if f.duplicates}
    lines = [finding_line(f) + also.get(id(f), "") for f in all_findings(runs) if f.duplicate_of is None]
    return "\n".join(lines) + ("\n" if lines else "")


def to_json(runs: Sequence[ToolRun], verdict: Verdict, review: Review | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "verdict": {"passed": verdict.passed, "exitCode": verdict.exit_code, "reasons": list(verdict.reasons),
                    "notes": list(verdict.notes)},
        "tools": [{"tool": r.tool, "status": r.status.value, "version": r.version, "findings": len(r.findings),
                   "duplicates": sum(1 for f in r.findings if f.duplicate_of is not None),
                   "wallSeconds": round(r.wall_seconds, 3), "notifications": [n.message for n in r.notifications]}
                  for r in runs],
        "findings": [_finding_json(f) for f in all_findings(runs)],
    }
    if review is not None:
        data["baseline"] = {"file": review.baseline, "absent": [
            {"tool": e.tool, "rule": e.rule, "path": e.path, "fingerprint": e.fingerprint, "firstSeen": e.first_seen}
            for e in review.absent]}
        data["suppressions"] = {"expired": list(review.expired), "stale": list(review.stale)}
    return data


def _finding_json(f: Finding) -> dict[str, Any]:
    s = f.suppression
    return {
        "tool": f.tool, "rule": f.rule.id, "title": f.rule.title, "severity": f.severity.label,
        "path": f.location.path, "line": f.location.start_line, "message": f.message,
        "cwe": list(f.rule.cwe), "fingerprint": f.fingerprint, "properties": dict(f.properties),
        "baselineState": f.baseline_state,
        "suppression": None if s is None else {"kind": s.kind, "status": s.status, "justification": s.justification,
                                               "source": s.source, "expires": s.expires},
        # one finding per flaw: a duplicate names the finding that counts instead; that one lists the duplicates
        "duplicateOf": None if f.duplicate_of is None else _ref_json(f.duplicate_of),
        "alsoReportedBy": [_ref_json(d) for d in f.duplicates],
    }


def _ref_json(ref: FindingRef) -> dict[str, Any]:
    return {"tool": ref.tool, "rule": ref.rule, "path": ref.path, "line": ref.line, "fingerprint": ref.fingerprint}


def coverage_summary(run: ToolRun) -> str | None:
    """The API run's coverage line (`ToolRun.properties["coverage"]["summary"]`, set by the API engine)."""
    coverage = run.properties.get("coverage")
    summary = coverage.get("summary") if isinstance(coverage, Mapping) else None
    return summary if isinstance(summary, str) and summary else None
