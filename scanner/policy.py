"""The verdict: one pure function from tool runs and settings to pass/fail with reasons and an exit code."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from scanner.errors import EXIT_OK, EXIT_POLICY_FAILED, EXIT_SCAN_ERROR
from scanner.models import Severity, ToolRun


@dataclass(frozen=True, slots=True)
class Policy:
    fail_on: Severity = Severity.HIGH
    fail_on_tool_error: bool = True


@dataclass(frozen=True, slots=True)
class Verdict:
    exit_code: int
    reasons: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return self.exit_code == EXIT_OK


def decide(runs: Sequence[ToolRun], policy: Policy = Policy()) -> Verdict:
    """Failing findings -> 1; a tool that could not run -> 3 (wins: the scan is incomplete); else 0."""
    failing = Counter(f.tool for r in runs for f in r.findings if f.severity >= policy.fail_on)
    broken = [r for r in runs if not r.status.succeeded]
    reasons: list[str] = []
    if failing:
        by_tool = ", ".join(f"{n} {tool}" for tool, n in sorted(failing.items()))
        total = sum(failing.values())
        reasons.append(f"{total} finding{'s' if total != 1 else ''} at or above {policy.fail_on.label} ({by_tool})")
    reasons.extend(f"{r.tool} could not run ({r.status.value})" for r in broken)
    if broken and policy.fail_on_tool_error:
        return Verdict(EXIT_SCAN_ERROR, tuple(reasons))
    if failing:
        return Verdict(EXIT_POLICY_FAILED, tuple(reasons))
    return Verdict(EXIT_OK, tuple(reasons) or (f"no finding at or above {policy.fail_on.label}",))
