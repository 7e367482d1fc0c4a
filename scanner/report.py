"""Human and machine summaries of tool runs (pure: they return text or data, cli.py prints)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.table import Table

from scanner.models import Finding, Severity, ToolRun
from scanner.policy import Verdict

_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)


def all_findings(runs: Sequence[ToolRun]) -> list[Finding]:
    return sorted((f for r in runs for f in r.findings),
                  key=lambda f: (-f.severity, f.location.path, f.location.start_line, f.tool, f.rule.id))


def summary_table(runs: Sequence[ToolRun], verdict: Verdict) -> Table:
    table = Table(title="secscan", caption=verdict_line(verdict), caption_justify="left")
    for column in ("tool", "status", *(s.label for s in _ORDER), "time"):
        table.add_column(column, justify="right" if column not in ("tool", "status") else "left")
    for run in runs:
        counts = Counter(f.severity for f in run.findings)
        status = run.status.value if run.status.succeeded else f"[bold red]{run.status.value}[/]"
        table.add_row(run.tool, status, *(str(counts.get(s, 0)) for s in _ORDER), f"{run.wall_seconds:.1f}s")
    return table


def verdict_line(verdict: Verdict) -> str:
    word = "PASS" if verdict.passed else "FAIL"
    return f"{word} (exit {verdict.exit_code}): " + "; ".join(verdict.reasons)


def problems(runs: Sequence[ToolRun]) -> list[str]:
    """One line per tool error, first line of the message only (details stay in the SARIF)."""
    return [f"{r.tool}: {n.message.splitlines()[0]}" for r in runs for n in r.notifications if n.level == "error"]


def text_lines(runs: Sequence[ToolRun]) -> str:
    lines = [f"{f.location.path}:{f.location.start_line}: {f.severity.label.upper()} "
             f"[{f.tool} {f.rule.id}] {f.message}" for f in all_findings(runs)]
    return "\n".join(lines) + ("\n" if lines else "")


def to_json(runs: Sequence[ToolRun], verdict: Verdict) -> dict[str, Any]:
    return {
        "verdict": {"passed": verdict.passed, "exitCode": verdict.exit_code, "reasons": list(verdict.reasons)},
        "tools": [{"tool": r.tool, "status": r.status.value, "version": r.version, "findings": len(r.findings),
                   "wallSeconds": round(r.wall_seconds, 3), "notifications": [n.message for n in r.notifications]}
                  for r in runs],
        "findings": [_finding_json(f) for f in all_findings(runs)],
    }


def _finding_json(f: Finding) -> dict[str, Any]:
    return {
        "tool": f.tool, "rule": f.rule.id, "title": f.rule.title, "severity": f.severity.label,
        "path": f.location.path, "line": f.location.start_line, "message": f.message,
        "cwe": list(f.rule.cwe), "fingerprint": f.fingerprint, "properties": dict(f.properties),
    }
