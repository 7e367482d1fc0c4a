"""Human and machine summaries of tool runs (pure and light: they return text or data; the CLI prints)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from secscan.models import Finding, Review, Severity, ToolRun
from secscan.policy import Verdict

_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)


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
    return (f"{f.location.path}:{f.location.start_line}: {f.severity.label.upper()} [{f.tool} {f.rule.id}] "
            f"{' '.join(f.message.split())}" + (f" ({state})" if state else ""))


def text_lines(runs: Sequence[ToolRun]) -> str:
    lines = [finding_line(f) for f in all_findings(runs)]
    return "\n".join(lines) + ("\n" if lines else "")


def to_json(runs: Sequence[ToolRun], verdict: Verdict, review: Review | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "verdict": {"passed": verdict.passed, "exitCode": verdict.exit_code, "reasons": list(verdict.reasons),
                    "notes": list(verdict.notes)},
        "tools": [{"tool": r.tool, "status": r.status.value, "version": r.version, "findings": len(r.findings),
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
    }
