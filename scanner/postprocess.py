"""finalize(): the one post-processing step every command runs after the tools (static, api, scan, gate, baseline).

rule settings (disable / re-rate) -> fingerprints (if missing) -> inline markers -> `.secscan-ignore.yaml`
-> baseline states -> a Review (expired / stale suppressions, absent baseline entries) for the verdict.
Only the source files of flagged lines are read; everything else is dataclasses.replace on frozen findings.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from secscan import baseline as baseline_mod
from secscan.baseline import Baseline
from secscan.config import RuleSettings, SecscanConfig
from secscan.fingerprints import annotate
from secscan.models import API_TOOL, Finding, KnownFinding, Notification, Review, Rule, ToolRun
from secscan.suppressions import IgnoreEntry, IgnoreFile, SourceFile, inline_suppression, read_source

_LISTED = 10


@dataclass(frozen=True, slots=True)
class Finalized:
    runs: list[ToolRun]
    review: Review


def finalize(runs: Sequence[ToolRun], root: Path, config: SecscanConfig | None = None,
             ignore: IgnoreFile | None = None, baseline: Baseline | None = None,
             today: date | None = None) -> Finalized:
    config = config or SecscanConfig()
    today = today or date.today()
    runs = [_with_rule_settings(run, config.rules) for run in runs]
    runs = [_fingerprinted(run, root) for run in runs]
    sources: dict[str, SourceFile | None] = {}
    warnings: list[str] = []
    runs = [_inline(run, root, sources, warnings) for run in runs]
    used: set[int] = set()
    if ignore is not None:
        runs = [_external(run, ignore, today, used) for run in runs]
    absent: tuple[KnownFinding, ...] = ()
    if baseline is not None:
        runs = [dataclasses.replace(r, findings=tuple(baseline_mod.mark(r.findings, baseline))) for r in runs]
        ran = {r.tool for r in runs if r.status.succeeded}
        absent = baseline_mod.absent(baseline, [f for r in runs for f in r.findings], ran)
        runs = [_absent_note(r, baseline, absent) for r in runs]
    review = Review(
        baseline=baseline.display if baseline is not None else None,
        expired=_expired(ignore, today, runs) if ignore else (),
        stale=_stale(ignore, today, used, runs, config) if ignore else (),
        absent=absent, warnings=tuple(dict.fromkeys(warnings)),
    )
    return Finalized(runs=runs, review=review)


# --- rule settings ----------------------------------------------------------------------------------------


def _setting(rules: Mapping[str, RuleSettings], tool: str, rule: Rule) -> RuleSettings | None:
    setting = rules.get(rule.id)
    return setting if setting is not None and setting.tool in (None, tool) else None


def _with_rule_settings(run: ToolRun, rules: Mapping[str, RuleSettings]) -> ToolRun:
    if not rules:
        return run
    findings = []
    for f in run.findings:
        setting = _setting(rules, f.tool, f.rule)
        if setting is None:
            findings.append(f)
        elif setting.enabled:
            findings.append(_re_rated(f, setting))
    settings = [(r, _setting(rules, run.tool, r)) for r in run.extra_rules]
    extra = tuple(_rule_override(r, s) for r, s in settings if s is None or s.enabled)
    return dataclasses.replace(run, findings=tuple(findings), extra_rules=extra)


def _rule_override(rule: Rule, setting: RuleSettings | None) -> Rule:
    if setting is None or setting.severity is None or setting.severity == rule.severity:
        return rule
    return dataclasses.replace(rule, severity=setting.severity, security_severity=None)


def _re_rated(finding: Finding, setting: RuleSettings) -> Finding:
    if setting.severity is None or setting.severity == finding.severity:
        return finding
    return dataclasses.replace(finding, severity=setting.severity, rule=_rule_override(finding.rule, setting),
                               properties={**finding.properties, "originalSeverity": finding.severity.label})


# --- fingerprints, inline markers, suppression file -------------------------------------------------------


def _fingerprinted(run: ToolRun, root: Path) -> ToolRun:
    if all(f.fingerprint for f in run.findings):
        return run
    done = [f for f in run.findings if f.fingerprint]
    return dataclasses.replace(run, findings=(*done, *annotate([f for f in run.findings if not f.fingerprint], root)))


def _inline(run: ToolRun, root: Path, sources: dict[str, SourceFile | None], warnings: list[str]) -> ToolRun:
    findings = []
    for f in run.findings:
        if f.suppressed:
            findings.append(f)
            continue
        path = f.location.path
        if path not in sources:
            sources[path] = read_source(root / path) if not path.startswith("../") else None
        source = sources[path]
        suppression, warning = inline_suppression(f, source) if source is not None else (None, None)
        if warning:
            warnings.append(warning)
        findings.append(dataclasses.replace(f, suppression=suppression) if suppression else f)
    return dataclasses.replace(run, findings=tuple(findings))


def _external(run: ToolRun, ignore: IgnoreFile, today: date, used: set[int]) -> ToolRun:
    findings = []
    for f in run.findings:
        matching = [e for e in ignore.entries if e.matches(f)]
        used.update(e.number for e in matching)
        if f.suppressed or not matching:
            findings.append(f)
            continue
        entry = next((e for e in matching if not e.expired(today)), matching[0])
        findings.append(dataclasses.replace(f, suppression=ignore.suppression(entry, today)))
    return dataclasses.replace(run, findings=tuple(findings))


def _expired(ignore: IgnoreFile, today: date, runs: Sequence[ToolRun]) -> tuple[str, ...]:
    out = []
    for entry in ignore.entries:
        if entry.expired(today):
            hits = sum(1 for r in runs for f in r.findings if entry.matches(f) and not f.suppressed)
            still = f", still matches {hits} finding{'s' if hits != 1 else ''}" if hits else ""
            out.append(f"{ignore.display}:{entry.line} ({entry.describe()}) expired on {entry.expires}{still}")
    return tuple(out)


def _stale(ignore: IgnoreFile, today: date, used: set[int], runs: Sequence[ToolRun],
           config: SecscanConfig) -> tuple[str, ...]:
    """Entries that matched nothing, judged only for tools that ran successfully and could have reported them."""
    ran = {r.tool for r in runs if r.status.succeeded}
    return tuple(f"{ignore.display}:{entry.line} ({entry.describe()}) matches no finding" for entry in ignore.entries
                 if entry.number not in used and not entry.expired(today) and _judgeable(entry, runs, ran, config))


def _judgeable(entry: IgnoreEntry, runs: Sequence[ToolRun], ran: set[str], config: SecscanConfig) -> bool:
    """A `tool` (or an API `operation`) names the one tool that decides; a rule without a tool is decided by any
    tool that could report that rule; a bare fingerprint (any tool's) only by a scan in which every tool ran."""
    if entry.tool or entry.operation:
        return (entry.tool or API_TOOL) in ran
    if entry.rule is not None:
        return bool(producers(entry.rule, runs) & ran)
    from secscan.tools import TOOLS

    wanted = {*TOOLS, *((API_TOOL,) if config.api.openapi else ())}
    return wanted <= ran and all(r.status.succeeded for r in runs)


def producers(rule_id: str, runs: Sequence[ToolRun]) -> set[str]:
    """The tools that could have reported `rule_id`: the runs that know the rule (their rules and findings), else
    the static tool whose rule ids it belongs to, else the API probes (the only other rule ids secscan has)."""
    known = {r.tool for r in runs if any(rule.id == rule_id for rule in r.rules)}
    if known:
        return known
    return {tool for tool, owns in _RULE_FAMILIES.items() if owns(rule_id)} or {API_TOOL}


@functools.cache
def _semgrep_rule_ids() -> frozenset[str]:
    from secscan.tools.semgrep import rules_dir  # the rule pack's ids, without parsing YAML

    ids = (re.findall(r"(?m)^\s*-\s*id:\s*['\"]?([\w.-]+)", p.read_text(encoding="utf-8", errors="replace"))
           for p in rules_dir().glob("*.y*ml"))
    return frozenset(rule for found in ids for rule in found)


@functools.cache
def _secret_types() -> frozenset[str]:
    """detect-secrets' rule ids (secscan's spelling of its plugins' secret types)."""
    try:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    except ImportError:
        return frozenset()
    return frozenset(kind.lower().replace(" ", "-") for kind in get_mapping_from_secret_type_to_class())


_RULE_FAMILIES: dict[str, Callable[[str], bool]] = {
    "bandit": lambda rule: re.fullmatch(r"B\d{3}", rule) is not None,
    "semgrep": lambda rule: rule in _semgrep_rule_ids(),
    "pip-audit": lambda rule: re.match(r"(PYSEC|GHSA|CVE|OSV|GSD|PYUP|MAL|BIT)-", rule) is not None,
    "detect-secrets": lambda rule: rule in _secret_types(),
}


def _absent_note(run: ToolRun, baseline: Baseline, absent: Sequence[KnownFinding]) -> ToolRun:
    mine = [e for e in absent if e.tool == run.tool]
    if not mine:
        return run
    listed = ", ".join(f"{e.rule} in {e.path}" for e in mine[:_LISTED]) + (", …" if len(mine) > _LISTED else "")
    note = Notification("note", f"baseline {baseline.display}: {len(mine)} recorded finding"
                                f"{'s' if len(mine) != 1 else ''} no longer reported (absent): {listed}")
    return dataclasses.replace(run, notifications=(*run.notifications, note))


# --- judging one call of a partial (hook) scan alone ------------------------------------------------------


def partial_review(review: Review, runs: Sequence[ToolRun], ignore: IgnoreFile | None, today: date,
                   scanned: Sequence[str]) -> Review:
    """The review of a partial scan: nothing about files this call did not see.

    Expired suppressions count only when they matched a finding here; "stale" cannot be judged from a subset;
    absent baseline entries are kept only for scanned files (there they mean "fixed")."""
    findings = [f for r in runs for f in r.findings]
    expired = tuple(
        f"{ignore.display}:{e.line} ({e.describe()}) expired on {e.expires}"
        for e in ignore.entries if e.expired(today) and any(e.matches(f) for f in findings)
    ) if ignore is not None else ()
    ran = {r.tool for r in runs if r.status.succeeded}
    seen = set(scanned)
    absent = tuple(e for e in review.absent if e.tool in ran and (e.tool == API_TOOL or e.path in seen))
    return dataclasses.replace(review, expired=expired, stale=(), absent=absent)
