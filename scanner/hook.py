"""Hook mode (pre-commit): scan only the given files, apply config, suppressions and baseline, judge one call alone."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from secscan import config as config_mod
from secscan.baseline import Baseline, load_baseline
from secscan.depfiles import is_dep_file
from secscan.errors import UsageError
from secscan.models import Finding, KnownFinding, Review, ToolRun
from secscan.policy import Policy, Verdict, counts, decide
from secscan.postprocess import finalize
from secscan.runner import run_tools
from secscan.suppressions import NATIVE_REPORTING_ARGS, IgnoreFile, load_ignore_file
from secscan.targets import Targets, collect, find_root

API_TOOL = "secscan-api"
# Which of the configured tools each stage runs (the api stage runs the probes instead).
STAGE_TOOLS: dict[str, tuple[str, ...]] = {
    "static": ("bandit", "semgrep", "detect-secrets"),
    "deps": ("pip-audit",),
    "api": (API_TOOL,),
}
STAGES = tuple(STAGE_TOOLS)


@dataclass(frozen=True, slots=True)
class HookRequest:
    """One hook call: the stage, the files pre-commit passed, and command-line overrides (dotted config keys)."""

    stage: str = "static"
    files: tuple[Path, ...] = ()
    config_file: Path | None = None
    baseline: Path | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HookResult:
    stage: str
    root: Path
    runs: list[ToolRun]
    review: Review
    verdict: Verdict
    policy: Policy
    scanned: tuple[str, ...]  # repo-relative files this call covered


def run_hook(request: HookRequest, cwd: Path | None = None, today: date | None = None) -> HookResult:
    """Everything a call needs is read from its own files, the config, the suppression file and the baseline:
    no state is carried between calls, so pre-commit may split a long file list without changing the answer."""
    if request.stage not in STAGE_TOOLS:
        raise UsageError(f"unknown stage {request.stage!r} (choose from {', '.join(STAGES)})")
    root = find_root((cwd or Path.cwd()).resolve())
    effective = config_mod.load(root, request.config_file, request.overrides)
    cfg = effective.config
    today = today or date.today()
    ignore = _ignore_file(cfg, root)
    baseline = _baseline(cfg, root, request.baseline)
    if request.stage == "api":
        runs, scanned = _api_runs(cfg, root)
    else:
        runs, scanned = _static_runs(request, effective, root)
    done = finalize(runs, root, cfg, ignore, baseline, today)
    review = partial_review(done.review, done.runs, ignore, today, scanned)
    policy = Policy(fail_on=cfg.fail_on, fail_on_tool_error=cfg.fail_on_tool_error,
                    fail_on_existing=cfg.fail_on_existing)
    return HookResult(request.stage, root, done.runs, review, decide(done.runs, policy, review), policy, scanned)


# --- policy inputs -----------------------------------------------------------------------------------------


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _ignore_file(cfg: config_mod.SecscanConfig, root: Path) -> IgnoreFile | None:
    """The config's `suppressions` file (must exist), else `.secscan-ignore.yaml` in the root if present."""
    path = Path(cfg.suppressions) if cfg.suppressions else root / config_mod.DEFAULT_SUPPRESSIONS
    if cfg.suppressions and not path.is_file():
        raise UsageError(f"suppressions: no such file: {path}")
    return load_ignore_file(path, _display(path, root)) if path.is_file() else None


def _baseline(cfg: config_mod.SecscanConfig, root: Path, given: Path | None) -> Baseline | None:
    """--baseline, else the config's `baseline`, else `.secscan-baseline.json` in the root if present."""
    if given is not None:
        return load_baseline(given, _display(given, root))
    if cfg.baseline:
        return load_baseline(Path(cfg.baseline), _display(Path(cfg.baseline), root))
    default = root / config_mod.DEFAULT_BASELINE
    return load_baseline(default, config_mod.DEFAULT_BASELINE) if default.is_file() else None


# --- what one call scans -------------------------------------------------------------------------------------


def _static_runs(request: HookRequest, effective: config_mod.Effective,
                 root: Path) -> tuple[list[ToolRun], tuple[str, ...]]:
    cfg = effective.config
    if request.stage == "deps":
        targets = deps_targets(request.files, root, cfg)
    else:
        targets = hook_targets(request.files, root, cfg)
    tools = [name for name in cfg.tools if name in STAGE_TOOLS[request.stage]]
    scanned = tuple(targets.relative(f) for f in targets.files)
    if not tools or not targets.files:
        return [], scanned
    per_tool = effective.source("timeout") != config_mod.COMMAND_LINE  # an explicit --timeout applies to all
    options = config_mod.tool_options(cfg, per_tool_timeouts=per_tool, native_args=NATIVE_REPORTING_ARGS)
    return run_tools(tools, targets, options), scanned


def hook_targets(files: Sequence[Path], root: Path, cfg: config_mod.SecscanConfig) -> Targets:
    """The given files minus secscan's default excludes, the config's `exclude` globs, files outside the
    config's `paths` (when set) and symlinks, exactly as `secscan static` would have skipped them."""
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise UsageError(f"path does not exist: {', '.join(missing)}")
    chosen = [f for f in files if not f.is_symlink() and _in_paths(f, cfg.paths)]
    if not chosen:
        return Targets(root=root, files=(), excludes=())
    return collect(chosen, cfg.exclude, root=root)


def _in_paths(path: Path, paths: Sequence[str]) -> bool:
    resolved = path.resolve()
    return not paths or any(resolved == Path(p).resolve() or resolved.is_relative_to(Path(p).resolve())
                            for p in paths)


def deps_targets(files: Sequence[Path], root: Path, cfg: config_mod.SecscanConfig) -> Targets:
    """Dependency files: the given ones, else every one git tracks (the index pre-commit is about to commit),
    else (not a git repository) every one under the config's paths or the root."""
    if files:
        targets = hook_targets(files, root, cfg)
    elif (tracked := git_files(root)) is not None:
        targets = hook_targets([root / name for name in tracked if is_dep_file(Path(name))], root, cfg)
    else:
        targets = collect([Path(p) for p in cfg.paths] or [root], cfg.exclude, root=root)
    return dataclasses.replace(targets, files=tuple(f for f in targets.files if is_dep_file(f)))


def git_files(root: Path) -> list[str] | None:
    """Files in git's index under `root` that exist in the work tree (None outside a git repository)."""
    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached"],  # noqa: S603,S607
                             capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    names = [n for n in out.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
    return [n for n in names if (root / n).is_file()]


def _api_runs(cfg: config_mod.SecscanConfig, root: Path) -> tuple[list[ToolRun], tuple[str, ...]]:
    """The dynamic probes from the config's [api] table (imported only here: schemathesis is heavy)."""
    if not cfg.api.openapi or not cfg.api.tokens:
        raise UsageError("the api stage needs api.openapi and api.tokens in the secscan config")
    from secscan.cli_api import api_settings  # the core reaches the probes only through their command
    from secscan_probes.engine import run_api_scan

    run = run_api_scan(api_settings(cfg.api, quiet=True, root=root))
    return [run], tuple(sorted({f.location.path for f in run.findings}))


# --- judging one call alone ----------------------------------------------------------------------------------


def partial_review(review: Review, runs: Sequence[ToolRun], ignore: IgnoreFile | None, today: date,
                   scanned: Sequence[str]) -> Review:
    """The review of a partial scan: nothing about files this call did not see.

    Expired suppressions count only when they matched a finding here; "stale" cannot be judged from a subset;
    absent baseline entries are kept only for scanned files (there they mean "fixed")."""
    findings = [f for r in runs for f in r.findings]
    expired = tuple(
        f"{ignore.display}:{e.line} ({e.describe()}) expired on {e.expires}"
        for e in (ignore.entries if ignore else ()) if e.expired(today) and any(e.matches(f) for f in findings)
    )
    ran = {r.tool for r in runs if r.status.succeeded}
    seen = set(scanned)
    absent = tuple(e for e in review.absent if _covered(e, ran, seen))
    return dataclasses.replace(review, expired=expired, stale=(), absent=absent)


def _covered(entry: KnownFinding, ran: set[str], scanned: set[str]) -> bool:
    return entry.tool in ran and (entry.tool == API_TOOL or entry.path in scanned)


def new_findings(result: HookResult) -> list[Finding]:
    """Findings that take part in the verdict (not suppressed; with a baseline only new ones), any severity."""
    found = [f for r in result.runs for f in r.findings if counts(f, result.policy)]
    return sorted(found, key=lambda f: (f.location.path, f.location.start_line, f.tool, f.rule.id))


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def finding_line(f: Finding) -> str:
    expired = " (expired suppression)" if f.suppression is not None else ""
    return (f"{f.location.path}:{f.location.start_line}: {f.severity.label.upper()} [{f.tool} {f.rule.id}] "
            f"{_one_line(f.message)}{expired}")


def hook_lines(result: HookResult) -> list[str]:
    """What the hook prints: one line per new finding, one per tool error or warning (warnings change what a
    pass means, e.g. unaudited dependencies), then the verdict."""
    lines = [finding_line(f) for f in new_findings(result)]
    lines += [f"secscan: {n.level}: {r.tool}: {n.message.splitlines()[0]}"
              for r in result.runs for n in r.notifications if n.level in ("error", "warning")]
    lines += [f"secscan: warning: {w}" for w in result.review.warnings]  # e.g. an inline marker not honoured
    word = "PASS" if result.verdict.passed else "FAIL"
    files = f"{len(result.scanned)} file{'s' if len(result.scanned) != 1 else ''}"
    scope = "API" if result.stage == "api" else files
    reasons = "; ".join(result.verdict.reasons)
    return [*lines, f"secscan hook ({result.stage}, {scope}): {word} (exit {result.verdict.exit_code}): {reasons}"]


# --- optional SARIF ------------------------------------------------------------------------------------------


def partial_sarif(result: HookResult) -> dict[str, Any]:
    """The SARIF log of this call; every run is marked `properties.partialScan: true` (never uploadable)."""
    from secscan.sarif import to_sarif  # sarif_om is slow to import: only when --output is given

    doc = to_sarif(result.runs, result.root, result.review, result.verdict)
    for run in doc.get("runs", []):
        run.setdefault("properties", {})["partialScan"] = True
    return doc


def sarif_path(output: Path, result: HookResult) -> Path:
    """`output` itself, or for a directory one file per call, named after the stage and the files it covered
    (pre-commit may split one commit into several calls: they must not overwrite each other)."""
    if not output.is_dir():
        return output
    digest = hashlib.sha256("\0".join(result.scanned).encode()).hexdigest()[:12]
    return output / f"secscan-hook-{result.stage}-{digest}.sarif"


def write_partial_sarif(output: Path, result: HookResult) -> Path:
    from secscan.sarif import dumps

    target = sarif_path(output, result)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dumps(partial_sarif(result)), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target
