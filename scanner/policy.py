"""The verdict: one pure function from tool runs, settings and the post-processing review to pass/fail with reasons."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from secscan.errors import EXIT_OK, EXIT_POLICY_FAILED, EXIT_SCAN_ERROR
from secscan.models import API_TOOL, Finding, Review, Severity, ToolRun

_DETAIL = 8  # sources named in a failing reason; the rest are counted


@dataclass(frozen=True, slots=True)
class Policy:
    fail_on: Severity = Severity.HIGH
    fail_on_tool_error: bool = True
    fail_on_existing: bool = False  # with a baseline: unchanged findings fail too


@dataclass(frozen=True, slots=True)
class Verdict:
    exit_code: int
    reasons: tuple[str, ...]
    notes: tuple[str, ...] = ()  # worth reading, never failing: stale suppressions, absent baseline entries

    @property
    def passed(self) -> bool:
        return self.exit_code == EXIT_OK


def counts(finding: Finding, policy: Policy) -> bool:
    """Does this finding take part in the verdict (before the severity threshold)?

    Suppressed: no. Another tool's finding of the same flaw counts instead (`duplicate_of`): no. An expired
    suppression: yes, always (it counts as new, whatever the baseline says). Otherwise only new findings, unless
    there is no baseline state or `fail_on_existing` is set.
    """
    if finding.suppressed or finding.duplicate_of is not None:
        return False
    if finding.suppression is not None or policy.fail_on_existing:
        return True
    return finding.baseline_state in (None, "new")


def decide(runs: Sequence[ToolRun], policy: Policy = Policy(), review: Review = Review()) -> Verdict:
    """Failing findings or expired suppressions -> 1; a tool that could not run -> 3 (wins: the scan is
    incomplete, unless `fail_on_tool_error` is off); else 0."""
    findings = [f for r in runs for f in r.findings]
    baseline = review.baseline is not None or any(f.baseline_state for f in findings)
    failing = [f for f in findings if counts(f, policy) and f.severity >= policy.fail_on]
    broken = [r for r in runs if not r.status.succeeded]
    reasons: list[str] = []
    if failing:
        reasons.append(_failing_reason(failing, policy, baseline))
    if review.expired:
        reasons.append(_plural(len(review.expired), "expired suppression"))
    reasons.extend(f"{r.tool} could not run ({r.status.value})" for r in broken)
    notes = _notes(findings, review)
    if broken and policy.fail_on_tool_error:
        return Verdict(EXIT_SCAN_ERROR, tuple(reasons), notes)
    if failing or review.expired:
        return Verdict(EXIT_POLICY_FAILED, tuple(reasons), notes)
    passing = f"no {'new ' if baseline else ''}finding at or above {policy.fail_on.label}"
    return Verdict(EXIT_OK, (*reasons, passing) if reasons else (passing,), notes)


def _failing_reason(failing: Sequence[Finding], policy: Policy, baseline: bool) -> str:
    """'3 new findings at or above high (2 semgrep, 1 bandit+semgrep, 1 API bola)'."""
    counts = Counter(f"API {f.rule.id}" if f.tool == API_TOOL else reported_by(f) for f in failing)
    shown = sorted(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:_DETAIL])  # the biggest, by name
    detail = ", ".join(f"{n} {source}" for source, n in shown)
    if len(counts) > _DETAIL:
        detail += f", {len(failing) - sum(n for _, n in shown)} more"
    new = "new " if baseline and not policy.fail_on_existing else ""
    total = len(failing)
    return f"{total} {new}finding{'s' if total != 1 else ''} at or above {policy.fail_on.label} ({detail})"


def reported_by(finding: Finding) -> str:
    """Who reported a flaw: 'bandit+semgrep' when other tools reported it too (counted once), else the tool."""
    return "+".join(sorted({finding.tool, *(d.tool for d in finding.duplicates)}))


def _notes(findings: Sequence[Finding], review: Review) -> tuple[str, ...]:
    notes: list[str] = []
    duplicates = sum(1 for f in findings if f.duplicate_of is not None)
    if duplicates:
        notes.append(f"{_plural(duplicates, 'duplicate finding')} (the same flaw as another tool's finding, "
                     "counted once)")
    suppressed = sum(1 for f in findings if f.suppressed)
    unchanged = sum(1 for f in findings
                    if f.baseline_state == "unchanged" and not f.suppressed and f.duplicate_of is None)
    if suppressed:
        notes.append(f"{_plural(suppressed, 'suppressed finding')} (kept in the SARIF, not counted)")
    if unchanged:
        notes.append(f"{_plural(unchanged, 'finding')} already in the baseline")
    if review.absent:
        notes.append(f"{_plural(len(review.absent), 'baseline entry', 'baseline entries')} no longer found (absent)")
    if review.stale:
        notes.append(f"{_plural(len(review.stale), 'stale suppression')} (matching no finding)")
    if review.warnings:
        notes.append(f"{_plural(len(review.warnings), 'inline marker')} not honoured (see warnings)")
    return tuple(notes)


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"
