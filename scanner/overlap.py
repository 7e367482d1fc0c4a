"""One finding per flaw: when two tools report the same weakness at the same place, it counts once.

bandit and semgrep (secscan's rules) look for many of the same flaws in code. Two of their findings are the same
flaw when they come from different tools, are in the same file, their line ranges overlap, and their CWEs fall in
one family (`FAMILIES`: e.g. CWE-89 and CWE-564 are both SQL injection; a CWE in no family is a family of its own).
bandit's imprecise CWEs are corrected per test id in its adapter (`secscan.tools.bandit.CWE_FIXES`) so that
families match.
detect-secrets (a credential-shaped value, identified by its hash) and pip-audit (a dependency) report other things
and are left alone, even where bandit flags the same line as a hard-coded password.

Of each such group one finding counts (`primary`, listing the others in `duplicates`); the others get
`duplicate_of` and take no part in the verdict. The primary is the most severe one; on a tie the one a baseline
already knows (a flaw that was accepted stays accepted when a second tool starts reporting it), then semgrep's
(its messages name the data flow). Suppressed findings are left out: a marker or an entry that silences one tool's
finding does not silence the other tool's.

Runs after `postprocess.finalize` (suppressions and baseline states known) and before the verdict. Pure.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence

from secscan.models import Finding, FindingRef, Rule, ToolRun
from secscan.postprocess import Finalized

# CWE families: different CWE ids tools use for one kind of flaw. Only CWEs of one family match each other.
FAMILIES: dict[str, frozenset[int]] = {
    "sql-injection": frozenset({89, 564}),
    "os-command-injection": frozenset({77, 78, 88}),
    "code-injection": frozenset({94, 95, 1336}),  # eval/exec and server-side template injection
    "path-traversal": frozenset({22, 23, 36, 73}),
    "open-redirect": frozenset({601}),
    "xss": frozenset({79, 80, 116}),
    "xpath-injection": frozenset({643}),
    "ldap-injection": frozenset({90}),
    "xxe": frozenset({611, 776, 827}),
    "deserialization": frozenset({502}),
    "trust-boundary": frozenset({501}),
    "weak-hash": frozenset({327, 328, 916}),
    "weak-random": frozenset({330, 338}),
    "insecure-cookie": frozenset({614, 1004}),
    "ssrf": frozenset({918}),
    "hard-coded-credentials": frozenset({259, 321, 798}),
    "certificate-validation": frozenset({295, 297}),
    "debug-enabled": frozenset({215, 489}),
    "bind-all-interfaces": frozenset({605, 1327}),
    "temp-file": frozenset({377, 379}),
}
_FAMILY_OF = {cwe: name for name, cwes in FAMILIES.items() for cwe in cwes}
CODE_TOOLS = frozenset({"bandit", "semgrep"})  # the tools whose findings are compared
PREFERRED_TOOLS = ("semgrep", "bandit")  # the primary on a tie, in this order
_KNOWN_FIRST = {"unchanged": 0, "updated": 0, None: 1, "new": 2}


def cwe_families(cwes: Iterable[int]) -> frozenset[str]:
    """The families of some CWEs (`CWE-<n>` for one in no family)."""
    return frozenset(_FAMILY_OF.get(cwe, f"CWE-{cwe}") for cwe in cwes)


def families(rule: Rule) -> frozenset[str]:
    """The families of a rule's CWEs."""
    return cwe_families(rule.cwe)


def same_flaw(a: Finding, b: Finding) -> bool:
    """Different tools, same file, overlapping lines, a CWE family in common."""
    if a.tool == b.tool or a.location.path != b.location.path:
        return False
    a_end = max(a.location.end_line or a.location.start_line, a.location.start_line)
    b_end = max(b.location.end_line or b.location.start_line, b.location.start_line)
    if a.location.start_line > b_end or b.location.start_line > a_end:
        return False
    return not families(a.rule).isdisjoint(families(b.rule))


def _rank(f: Finding) -> tuple[int, int, int, int, str, str, int]:
    """Best first. A finding whose suppression entry expired leads its flaw: the user wrote that entry about
    it, so it is the line they recognise (and it carries the expiry)."""
    tool = PREFERRED_TOOLS.index(f.tool) if f.tool in PREFERRED_TOOLS else len(PREFERRED_TOOLS)
    expired = 0 if f.suppression is not None and not f.suppressed else 1
    return (expired, -f.severity, _KNOWN_FIRST.get(f.baseline_state, 1), tool, f.tool, f.rule.id, f.location.start_line)


def ref(f: Finding) -> FindingRef:
    return FindingRef(f.tool, f.rule.id, f.location.path, f.location.start_line, f.fingerprint)


def mark(runs: Sequence[ToolRun]) -> list[ToolRun]:
    """The runs with duplicates marked: each finding that another tool's better-ranked finding covers gets
    `duplicate_of` (that finding), which gets `duplicates`. A duplicate covers nothing itself (no chains)."""
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for run in runs:
        for f in run.findings:
            if f.tool in CODE_TOOLS and not f.suppressed and f.rule.cwe:
                by_path[f.location.path].append(f)
    primary_of: dict[int, Finding] = {}  # id(duplicate) -> its primary
    covered: dict[int, list[Finding]] = defaultdict(list)  # id(primary) -> its duplicates
    for candidates in by_path.values():
        if len({f.tool for f in candidates}) < 2:
            continue
        ordered = sorted(candidates, key=_rank)
        for i, primary in enumerate(ordered):
            if id(primary) in primary_of:
                continue
            for other in ordered[i + 1:]:
                if id(other) not in primary_of and not covered.get(id(other)) and same_flaw(primary, other):
                    primary_of[id(other)] = primary
                    covered[id(primary)].append(other)
    if not primary_of:
        return list(runs)

    def marked(f: Finding) -> Finding:
        if id(f) in primary_of:
            return dataclasses.replace(f, duplicate_of=ref(primary_of[id(f)]))
        if covered.get(id(f)):
            return dataclasses.replace(f, duplicates=tuple(ref(d) for d in covered[id(f)]))
        return f

    return [dataclasses.replace(run, findings=tuple(marked(f) for f in run.findings)) for run in runs]


def mark_duplicates(done: Finalized) -> Finalized:
    """`mark` on finalized runs (the pipeline's one call, between finalize and the verdict)."""
    return dataclasses.replace(done, runs=mark(done.runs))

