"""decide() with suppressions, baseline states and the review: one pure function, every reason spelled out."""

from __future__ import annotations

import dataclasses

import pytest

from secscan.errors import EXIT_OK, EXIT_POLICY_FAILED, EXIT_SCAN_ERROR
from secscan.models import Finding, KnownFinding, Location, Review, Rule, Severity, Status, Suppression, ToolRun
from secscan.policy import Policy, decide

ACCEPTED = Suppression(kind="external", justification="reviewed", source="ig.yaml:2")
EXPIRED = dataclasses.replace(ACCEPTED, status="expired", expires="2026-01-01")


def _f(tool: str, severity: Severity = Severity.HIGH, *, rule: str = "r", state: str | None = None,
       suppression: Suppression | None = None) -> Finding:
    return Finding(tool=tool, rule=Rule(id=rule, title="t", description="d", severity=severity), message="m",
                   location=Location("a.py", 1), severity=severity, baseline_state=state, suppression=suppression)


def _runs(*findings: Finding, broken: str | None = None) -> list[ToolRun]:
    tools = dict.fromkeys(f.tool for f in findings)
    runs = [ToolRun(t, Status.OK, tuple(f for f in findings if f.tool == t)) for t in tools]
    return runs + ([ToolRun(broken, Status.MISSING)] if broken else [])


def test_the_issue_example_lists_every_reason_and_a_broken_tool_wins():
    runs = _runs(_f("semgrep", state="new"), _f("semgrep", Severity.CRITICAL, state="new"),
                 _f("secscan-api", rule="bola", state="new"), _f("bandit", state="unchanged"), broken="pip-audit")
    review = Review(baseline=".secscan-baseline.json", expired=("ig.yaml:4 (rule B1, path a.py) expired on 2026-01-01",))
    verdict = decide(runs, Policy(), review)
    assert verdict.exit_code == EXIT_SCAN_ERROR
    assert verdict.reasons == ("3 new findings at or above high (1 API bola, 2 semgrep)", "1 expired suppression",
                               "pip-audit could not run (missing)")
    assert "1 finding already in the baseline" in verdict.notes


def test_only_new_findings_fail_with_a_baseline_unless_fail_on_existing():
    runs = _runs(_f("bandit", state="unchanged"), _f("bandit", Severity.LOW, state="new"))
    verdict = decide(runs, Policy(), Review(baseline="b.json"))
    assert verdict.exit_code == EXIT_OK and verdict.reasons == ("no new finding at or above high",)
    strict = decide(runs, Policy(fail_on_existing=True), Review(baseline="b.json"))
    assert strict.exit_code == EXIT_POLICY_FAILED
    assert strict.reasons == ("1 finding at or above high (1 bandit)",)


def test_suppressed_findings_never_count_and_are_noted():
    verdict = decide(_runs(_f("bandit", Severity.CRITICAL, suppression=ACCEPTED)))
    assert verdict.exit_code == EXIT_OK
    assert verdict.notes == ("1 suppressed finding (kept in the SARIF, not counted)",)


def test_an_expired_suppression_counts_as_new_even_when_the_finding_is_in_the_baseline():
    runs = _runs(_f("bandit", state="unchanged", suppression=EXPIRED))
    verdict = decide(runs, Policy(), Review(baseline="b.json", expired=("ig.yaml:2 ... expired",)))
    assert verdict.exit_code == EXIT_POLICY_FAILED
    assert verdict.reasons == ("1 new finding at or above high (1 bandit)", "1 expired suppression")


def test_an_expired_suppression_alone_fails_the_gate():
    verdict = decide(_runs(_f("bandit", Severity.LOW)), Policy(), Review(expired=("ig.yaml:2 (...) expired",)))
    assert verdict.exit_code == EXIT_POLICY_FAILED and verdict.reasons == ("1 expired suppression",)


def test_stale_suppressions_absent_entries_and_warnings_are_notes_not_failures():
    absent = KnownFinding("0" * 32, "bandit", "B602", "a.py", "2026-01-01")
    review = Review(baseline="b.json", stale=("ig.yaml:3 (...) matches no finding",), absent=(absent,),
                    warnings=("a.py:3: 'secscan: ignore[B1]' has no reason, so it is not honoured",))
    verdict = decide(_runs(_f("bandit", Severity.LOW, state="new")), Policy(), review)
    assert verdict.exit_code == EXIT_OK
    assert verdict.notes == ("1 baseline entry no longer found (absent)", "1 stale suppression (matching no finding)",
                             "1 inline marker not honoured (see warnings)")


def test_tool_errors_can_be_tolerated_but_are_still_reasons():
    runs = _runs(_f("bandit", Severity.LOW), broken="semgrep")
    verdict = decide(runs, Policy(fail_on_tool_error=False))
    assert verdict.exit_code == EXIT_OK
    assert verdict.reasons == ("semgrep could not run (missing)", "no finding at or above high")


@pytest.mark.parametrize(("state", "counted"), [(None, True), ("new", True), ("unchanged", False), ("updated", False)])
def test_which_baseline_states_count(state: str | None, counted: bool):
    verdict = decide(_runs(_f("bandit", state=state)))
    assert (verdict.exit_code == EXIT_POLICY_FAILED) is counted


def test_long_breakdowns_name_the_biggest_groups():
    runs = _runs(*(_f("secscan-api", rule=f"r{i}") for i in range(9)), *(_f("semgrep") for _ in range(3)))
    assert decide(runs).reasons == ("12 findings at or above high (1 API r0, 1 API r1, 1 API r2, 1 API r3, 1 API r4, "
                                    "1 API r5, 1 API r6, 3 semgrep, 2 more)",)
