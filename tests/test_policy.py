"""The verdict is a pure function: findings and tool runs in, exit code and reasons out."""

from __future__ import annotations

from secscan.errors import EXIT_OK, EXIT_POLICY_FAILED, EXIT_SCAN_ERROR
from secscan.models import Finding, Location, Notification, Rule, Severity, Status, ToolRun
from secscan.policy import Policy, decide


def _finding(tool: str, severity: Severity) -> Finding:
    rule = Rule(id=f"{tool}-r", title="t", description="d", severity=severity)
    return Finding(tool=tool, rule=rule, message="m", location=Location("a.py", 1), severity=severity)


def _run(tool: str, *severities: Severity, status: Status = Status.OK) -> ToolRun:
    notes = () if status is Status.OK else (Notification("error", "boom"),)
    return ToolRun(tool=tool, status=status, findings=tuple(_finding(tool, s) for s in severities), notifications=notes)


def test_no_findings_passes():
    verdict = decide([_run("bandit"), _run("semgrep")])
    assert verdict.exit_code == EXIT_OK and verdict.passed


def test_findings_below_threshold_pass():
    assert decide([_run("bandit", Severity.MEDIUM, Severity.LOW)]).exit_code == EXIT_OK


def test_finding_at_threshold_fails_and_counts_by_tool():
    verdict = decide([_run("bandit", Severity.HIGH), _run("semgrep", Severity.CRITICAL, Severity.HIGH)])
    assert verdict.exit_code == EXIT_POLICY_FAILED
    assert verdict.reasons[0] == "3 findings at or above high (1 bandit, 2 semgrep)"


def test_threshold_is_configurable():
    runs = [_run("bandit", Severity.MEDIUM)]
    assert decide(runs, Policy(fail_on=Severity.MEDIUM)).exit_code == EXIT_POLICY_FAILED
    assert decide(runs, Policy(fail_on=Severity.CRITICAL)).exit_code == EXIT_OK


def test_tool_failure_wins_over_findings():
    verdict = decide([_run("bandit", Severity.HIGH), _run("semgrep", status=Status.TIMEOUT)])
    assert verdict.exit_code == EXIT_SCAN_ERROR
    assert "semgrep could not run (timeout)" in verdict.reasons


def test_tool_failure_can_be_tolerated():
    runs = [_run("semgrep", status=Status.MISSING)]
    assert decide(runs, Policy(fail_on_tool_error=False)).exit_code == EXIT_OK
