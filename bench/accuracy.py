"""Accuracy of `secscan static` on the labelled corpus in fixtures/static_cases.

Runs the real CLI once on the corpus (JSON findings on stdout), then scores every case file: a case counts as
flagged by a tool when that tool reported a non-suppressed finding in that file whose CWE belongs to the case's
category family (FAMILIES below); findings with other CWEs are ignored for scoring, as labelled benchmarks do.
Prints TPR, FPR and score (TPR - FPR, in percent) per category and overall, for each tool alone and for secscan's
merged view (any tool), plus the run time.

    .venv/bin/python bench/accuracy.py
    .venv/bin/python bench/accuracy.py --tools bandit,semgrep --json /tmp/accuracy.json

Exit status: 0 when the figures were produced (even if a scanner reported a failure: that is shown as a WARNING and
is part of the picture), 2 when they could not be: secscan missing or failing to run, unreadable output, or an
inconsistent label file (a labelled path that does not exist, a case file without a label, ...).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO / "fixtures" / "static_cases"
DEFAULT_SECSCAN = REPO / ".venv" / "bin" / "secscan"
LABELS_FILE = "labels.csv"
LABEL_COLUMNS = ["path", "category", "cwe", "vulnerable"]
NOT_CASES = frozenset({LABELS_FILE, "README.md"})
TEMPLATE_SUFFIXES = (".html", ".jinja2")
COMPANION_SUFFIX = "_view.py"  # case_0042_view.py only renders the labelled template case_0042.html
MERGED = "secscan"
OK_EXIT_CODES = frozenset({0, 1, 3})  # pass, policy failed, a scanner failed (reported as a warning)

# Category key -> the CWE its labels carry, and the family of CWEs that count as "flagged" for it.
CATEGORY_CWE: dict[str, int] = {
    "sqli": 89, "cmdi": 78, "codeinj": 94, "pathtraver": 22, "redirect": 601, "xss": 79, "xpathi": 643,
    "ldapi": 90, "xxe": 611, "deserialization": 502, "trustbound": 501, "hash": 328, "weakrand": 330,
    "securecookie": 614, "ssrf": 918,
}
FAMILIES: dict[str, frozenset[int]] = {
    "sqli": frozenset({89, 564}),
    "cmdi": frozenset({77, 78}),
    "codeinj": frozenset({94, 95}),
    "pathtraver": frozenset({22, 23, 36, 73}),
    "redirect": frozenset({601}),
    "xss": frozenset({79, 80}),
    "xpathi": frozenset({643}),
    "ldapi": frozenset({90}),
    "xxe": frozenset({611, 776}),
    "deserialization": frozenset({502}),
    "trustbound": frozenset({501}),
    "hash": frozenset({327, 328, 916}),
    "weakrand": frozenset({330, 338}),
    "securecookie": frozenset({614, 1004}),
    "ssrf": frozenset({918}),
}


class BenchError(Exception):
    """The benchmark cannot produce meaningful figures."""


@dataclass(frozen=True, slots=True)
class Case:
    path: str  # POSIX, relative to the corpus
    category: str
    cwe: int
    vulnerable: bool


@dataclass(slots=True)
class Counts:
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0

    def add(self, vulnerable: bool, flagged: bool) -> None:
        if vulnerable:
            self.tp += flagged
            self.fn += not flagged
        else:
            self.fp += flagged
            self.tn += not flagged

    @property
    def tpr(self) -> float | None:
        return 100.0 * self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def fpr(self) -> float | None:
        return 100.0 * self.fp / (self.fp + self.tn) if self.fp + self.tn else None

    @property
    def score(self) -> float | None:
        tpr, fpr = self.tpr, self.fpr
        return None if tpr is None or fpr is None else tpr - fpr

    def as_dict(self) -> dict[str, Any]:
        return {"tp": self.tp, "fn": self.fn, "fp": self.fp, "tn": self.tn,
                "tpr": _round(self.tpr), "fpr": _round(self.fpr), "score": _round(self.score)}


@dataclass(frozen=True, slots=True)
class Run:
    command: list[str]
    exit_code: int
    seconds: float
    report: dict[str, Any]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- labels -------------------------------------------------------------------------------------------------------

def load_labels(corpus: Path) -> list[Case]:
    """Read labels.csv and check it against the files on disk; every problem found is reported at once."""
    labels = corpus / LABELS_FILE
    if not labels.is_file():
        raise BenchError(f"no label file {labels}")
    problems: list[str] = []
    cases: dict[str, Case] = {}
    with labels.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != LABEL_COLUMNS:
            raise BenchError(f"{labels}: header must be {','.join(LABEL_COLUMNS)}, got {reader.fieldnames}")
        for line, row in enumerate(reader, start=2):
            where = f"{labels.name}:{line}"
            path, category = (row["path"] or "").strip(), (row["category"] or "").strip()
            cwe_text, vuln_text = (row["cwe"] or "").strip(), (row["vulnerable"] or "").strip().lower()
            if None in row or any(value is None for value in row.values()):
                problems.append(f"{where}: expected {len(LABEL_COLUMNS)} columns")
                continue
            if category not in CATEGORY_CWE:
                problems.append(f"{where}: unknown category {category!r}")
                continue
            if cwe_text != str(CATEGORY_CWE[category]):
                problems.append(f"{where}: cwe {cwe_text!r} is not {CATEGORY_CWE[category]} (category {category})")
            if vuln_text not in ("true", "false"):
                problems.append(f"{where}: vulnerable must be true or false, got {vuln_text!r}")
            if not path.startswith(f"{category}/"):
                problems.append(f"{where}: {path} is not under {category}/")
            if path in cases:
                problems.append(f"{where}: {path} is labelled twice")
            elif not (corpus / path).is_file():
                problems.append(f"{where}: labelled file {path} does not exist")
            else:
                cases[path] = Case(path, category, CATEGORY_CWE[category], vuln_text == "true")
    for path in sorted(_corpus_files(corpus)):
        if path in cases or path in NOT_CASES:
            continue
        if path.endswith(COMPANION_SUFFIX):
            stem = path[: -len(COMPANION_SUFFIX)]
            if any(stem + suffix in cases for suffix in TEMPLATE_SUFFIXES):
                continue
            problems.append(f"{path}: view without a labelled template ({stem}.html or {stem}.jinja2)")
        else:
            problems.append(f"{path}: case file without a label in {LABELS_FILE}")
    if problems:
        shown = "\n  ".join(problems[:30])
        more = f"\n  ... and {len(problems) - 30} more" if len(problems) > 30 else ""
        raise BenchError(f"inconsistent labels in {corpus}:\n  {shown}{more}")
    if not cases:
        raise BenchError(f"{labels}: no cases")
    return sorted(cases.values(), key=lambda c: c.path)


def _corpus_files(corpus: Path) -> Iterable[str]:
    for file in corpus.rglob("*"):
        rel = file.relative_to(corpus)
        if file.is_file() and "__pycache__" not in rel.parts and file.suffix not in (".pyc", ".pyo"):
            yield rel.as_posix()


# --- running secscan ----------------------------------------------------------------------------------------------

def run_secscan(secscan: Path, corpus: Path, tools: str | None, timeout: float | None) -> Run:
    """One `secscan static` run on the corpus, with an explicit minimal config so that the repository's own
    configuration (which may exclude the corpus from self-scans) does not apply."""
    if not secscan.exists():
        raise BenchError(f"secscan not found at {secscan} (install it, or pass --secscan)")
    with tempfile.TemporaryDirectory(prefix="secscan-accuracy-") as tmp:
        config = Path(tmp) / "secscan.toml"
        config.write_text("exclude = []\n", encoding="utf-8")
        command = [str(secscan), "static", str(corpus), "--format", "json", "-o", str(Path(tmp) / "accuracy.sarif"),
                   "--fail-on", "critical", "-q", "--config", str(config)]
        if tools:
            command += ["--tools", tools]
        if timeout is not None:
            command += ["--timeout", str(timeout)]
        started = time.perf_counter()
        try:
            proc = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)  # noqa: S603
        except OSError as exc:
            raise BenchError(f"cannot run {secscan}: {exc}") from exc
        seconds = time.perf_counter() - started
    if proc.returncode not in OK_EXIT_CODES:
        raise BenchError(f"secscan static exited {proc.returncode}:\n{_tail(proc.stderr or proc.stdout)}")
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise BenchError(f"secscan static (exit {proc.returncode}) printed no JSON report ({exc}):\n"
                         f"{_tail(proc.stderr or proc.stdout)}") from exc
    if not isinstance(report, dict) or not isinstance(report.get("findings"), list) \
            or not isinstance(report.get("tools"), list):
        raise BenchError("secscan's JSON report has no 'findings' and 'tools' lists")
    if tools:
        ran = {str(t.get("tool")) for t in report["tools"]}
        missing = [t for t in tools.split(",") if t.strip() and t.strip() not in ran]
        if missing:
            raise BenchError(f"requested tools missing from secscan's report: {', '.join(missing)}")
    return Run(command, proc.returncode, seconds, report)


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines()[-lines:]) or "    (no output)"


def _scan_root(corpus: Path) -> Path:
    """Where secscan's finding paths are relative to: the git work tree containing the corpus, else the corpus."""
    try:
        out = subprocess.run(["git", "-C", str(corpus), "rev-parse", "--show-toplevel"],  # noqa: S603,S607
                             capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return corpus.resolve()
    top = out.stdout.strip()
    return Path(top).resolve() if out.returncode == 0 and top else corpus.resolve()


# --- scoring ------------------------------------------------------------------------------------------------------

@dataclass(slots=True)
class Scored:
    views: list[str]  # tools in report order, then MERGED
    flagged: dict[str, set[str]]  # view -> case paths flagged
    off_family: dict[str, Counter[tuple[str, tuple[int, ...]]]]  # tool -> (category, cwes) of unscored findings
    outside_cases: Counter[str]  # tool -> findings in corpus files that are not cases (template views)


def score_findings(report: Mapping[str, Any], cases: Sequence[Case], corpus: Path) -> Scored:
    by_path = {c.path: c for c in cases}
    root, corpus_abs = _scan_root(corpus), corpus.resolve()
    tools = [str(t.get("tool")) for t in report["tools"]]
    flagged: dict[str, set[str]] = {view: set() for view in [*tools, MERGED]}
    off_family: dict[str, Counter[tuple[str, tuple[int, ...]]]] = defaultdict(Counter)
    outside: Counter[str] = Counter()
    for finding in report["findings"]:
        if finding.get("suppression"):
            continue
        tool = str(finding.get("tool"))
        rel = _corpus_relative(str(finding.get("path") or ""), root, corpus_abs)
        if rel is None:
            continue
        case = by_path.get(rel)
        if case is None:
            outside[tool] += 1
            continue
        cwes = tuple(int(c) for c in finding.get("cwe") or ())
        if FAMILIES[case.category].isdisjoint(cwes):
            off_family[tool][(case.category, cwes)] += 1
            continue
        flagged.setdefault(tool, set()).add(rel)
        flagged[MERGED].add(rel)
    views = [*tools, *(t for t in flagged if t not in tools and t != MERGED), MERGED]
    return Scored(views, flagged, off_family, outside)


def _corpus_relative(path: str, root: Path, corpus: Path) -> str | None:
    if not path:
        return None
    candidate = Path(path)
    absolute = candidate if candidate.is_absolute() else root / candidate
    try:
        return absolute.resolve().relative_to(corpus).as_posix()
    except ValueError:
        return None


def tabulate(cases: Sequence[Case], scored: Scored) -> tuple[dict[str, dict[str, Counts]], dict[str, Counts]]:
    """Per category and view counts, plus pooled counts per view."""
    per_cat: dict[str, dict[str, Counts]] = {}
    pooled = {view: Counts() for view in scored.views}
    for case in cases:
        row = per_cat.setdefault(case.category, {view: Counts() for view in scored.views})
        for view in scored.views:
            hit = case.path in scored.flagged.get(view, set())
            row[view].add(case.vulnerable, hit)
            pooled[view].add(case.vulnerable, hit)
    return dict(sorted(per_cat.items())), pooled


def category_means(per_cat: Mapping[str, Mapping[str, Counts]], view: str) -> dict[str, float | None]:
    """Overall figures as the mean over categories (categories lacking positives or negatives are left out)."""
    rows = [counts[view] for counts in per_cat.values() if counts[view].score is not None]
    if not rows:
        return {"tpr": None, "fpr": None, "score": None}
    tpr = sum(c.tpr or 0.0 for c in rows) / len(rows)
    fpr = sum(c.fpr or 0.0 for c in rows) / len(rows)
    return {"tpr": tpr, "fpr": fpr, "score": tpr - fpr}


# --- output -------------------------------------------------------------------------------------------------------

def _pct(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.1f}" if signed else f"{value:.1f}"


def _cell(tpr: float | None, fpr: float | None, score: float | None) -> str:
    return f"{_pct(tpr):>6}{_pct(fpr):>6}{_pct(score, signed=True):>7}"


def shown_views(scored: Scored) -> list[str]:
    """bandit and semgrep always; other tools only when they flagged something in a scored family."""
    out = []
    for view in scored.views:
        if view in ("bandit", "semgrep", MERGED) or scored.flagged.get(view):
            out.append(view)
    return out


def print_report(run: Run, cases: Sequence[Case], scored: Scored, per_cat: Mapping[str, Mapping[str, Counts]],
                 pooled: Mapping[str, Counts], total_seconds: float, corpus: Path) -> None:
    views = shown_views(scored)
    vulnerable = sum(c.vulnerable for c in cases)
    print(f"corpus: {_display(corpus)}: {len(cases)} cases in {len(per_cat)} categories "
          f"({vulnerable} vulnerable, {len(cases) - vulnerable} not)")
    print(f"command: {' '.join(_display_arg(a) for a in run.command)}")
    print(f"secscan exit code {run.exit_code}, verdict: "
          f"{'; '.join(run.report.get('verdict', {}).get('reasons', [])) or 'n/a'}")
    print()
    print(f"{'tool':<16}{'version':<10}{'status':<9}{'findings':>9}{'wall s':>9}  notes")
    for tool in run.report["tools"]:
        notes = tool.get("notifications") or []
        note = f"{len(notes)} notification(s), e.g. {notes[0]}" if notes else ""
        wall = tool.get("wallSeconds")
        print(f"{tool.get('tool', '?'):<16}{str(tool.get('version') or '?'):<10}{tool.get('status', '?'):<9}"
              f"{tool.get('findings', 0):>9}{wall if wall is not None else '?':>9}  {note}")
    for tool in run.report["tools"]:
        if tool.get("status") != "ok":
            print(f"WARNING: {tool.get('tool')} did not finish ok ({tool.get('status')}); its figures (and the merged"
                  f" view) cover only what it reported ({len(tool.get('notifications') or [])} notification(s))")
    hidden = [v for v in scored.views if v not in views]
    if hidden:
        print(f"(no finding with a scored CWE from {', '.join(hidden)}: columns left out)")
    print()
    header = f"{'category':<16}{'cases':>6}{'vuln':>5}  " + "".join(f"| {v:<19}" for v in views)
    sub = f"{'':<16}{'':>6}{'':>5}  " + "".join(f"|{'TPR':>6}{'FPR':>6}{'Score':>7} " for _ in views)
    print(header)
    print(sub)
    print("-" * len(sub))
    for category, row in per_cat.items():
        n = row[views[0]].tp + row[views[0]].fn + row[views[0]].fp + row[views[0]].tn
        p = row[views[0]].tp + row[views[0]].fn
        print(f"{category:<16}{n:>6}{p:>5}  " + "".join(f"|{_cell(row[v].tpr, row[v].fpr, row[v].score)} "
                                                         for v in views))
    print("-" * len(sub))
    means = {v: category_means(per_cat, v) for v in views}
    print(f"{'overall (mean)':<16}{len(cases):>6}{vulnerable:>5}  "
          + "".join(f"|{_cell(means[v]['tpr'], means[v]['fpr'], means[v]['score'])} " for v in views))
    print(f"{'overall (pooled)':<16}{'':>6}{'':>5}  "
          + "".join(f"|{_cell(pooled[v].tpr, pooled[v].fpr, pooled[v].score)} " for v in views))
    print()
    print("TPR/FPR in %, score = TPR - FPR. 'mean' averages the categories (the score is the mean of the category")
    print("scores); 'pooled' counts all cases together. A case is flagged when the tool reported a non-suppressed")
    print("finding in that file with a CWE of the category's family.")
    off = [(tool, key, n) for tool, counter in scored.off_family.items() for key, n in counter.items()]
    if off:
        print()
        print("findings in case files with no CWE of the case's family (not scored):")
        for tool in sorted({t for t, _, _ in off}):
            parts = sorted(((n, cat, cwes) for t, (cat, cwes), n in off if t == tool), reverse=True)
            text = ", ".join(f"{cat} CWE-{'/'.join(map(str, cwes)) or 'none'} x{n}" for n, cat, cwes in parts)
            print(f"  {tool}: {text}")
    if scored.outside_cases:
        print("findings in corpus files that are not cases (template views, not scored): "
              + ", ".join(f"{tool} {n}" for tool, n in sorted(scored.outside_cases.items())))
    print()
    print(f"run time: secscan static {run.seconds:.1f} s, whole benchmark {total_seconds:.1f} s")


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(REPO).as_posix()
    except ValueError:
        return str(path)


def _display_arg(arg: str) -> str:
    return _display(Path(arg)) if arg.startswith("/") else arg


def write_json(target: Path, run: Run, cases: Sequence[Case], scored: Scored,
               per_cat: Mapping[str, Mapping[str, Counts]], pooled: Mapping[str, Counts], total_seconds: float) -> None:
    data = {
        "command": run.command,
        "exit_code": run.exit_code,
        "secscan_seconds": round(run.seconds, 3),
        "total_seconds": round(total_seconds, 3),
        "tools": [{k: t.get(k) for k in ("tool", "version", "status", "findings", "wallSeconds")}
                  | {"notifications": len(t.get("notifications") or [])} for t in run.report["tools"]],
        "families": {cat: sorted(cwes) for cat, cwes in FAMILIES.items()},
        "categories": {
            cat: {"cases": sum(1 for c in cases if c.category == cat),
                  "vulnerable": sum(1 for c in cases if c.category == cat and c.vulnerable),
                  "views": {view: counts.as_dict() for view, counts in row.items()}}
            for cat, row in per_cat.items()
        },
        "overall": {
            view: {"mean": {k: _round(v) for k, v in category_means(per_cat, view).items()},
                   "pooled": pooled[view].as_dict()}
            for view in scored.views
        },
        "flagged": {view: sorted(paths) for view, paths in scored.flagged.items()},
    }
    target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


# --- main ---------------------------------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="labelled corpus (default: %(default)s)")
    parser.add_argument("--tools", help="passed to `secscan static --tools` (default: secscan's default, all four)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also save the per-category figures as JSON")
    parser.add_argument("--secscan", type=Path, default=DEFAULT_SECSCAN,
                        help="secscan executable (default: %(default)s)")
    parser.add_argument("--timeout", type=float, help="passed to `secscan static --timeout` (seconds per tool)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        corpus = args.corpus.resolve()
        if not corpus.is_dir():
            raise BenchError(f"corpus {args.corpus} is not a directory")
        cases = load_labels(corpus)
        run = run_secscan(args.secscan, corpus, args.tools, args.timeout)
        scored = score_findings(run.report, cases, corpus)
        per_cat, pooled = tabulate(cases, scored)
        total = time.perf_counter() - started
        print_report(run, cases, scored, per_cat, pooled, total, corpus)
        if args.json:
            write_json(args.json, run, cases, scored, per_cat, pooled, total)
            print(f"figures saved to {args.json}")
    except BenchError as exc:
        print(f"accuracy: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
