"""Helpers shared by the CLI commands (static, api, scan, gate, demo): configuration and policy inputs, the one
conclude() step (finalize -> verdict -> SARIF / HTML / stdout / stderr), and the output primitives."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource
from rich.console import Console
from rich.markup import escape

from secscan import config as config_mod
from secscan import html_report, report
from secscan.baseline import Baseline, load_baseline
from secscan.errors import UsageError
from secscan.models import Review, Severity, ToolRun
from secscan.policy import Policy, Verdict, decide
from secscan.postprocess import finalize
from secscan.runner import run_tools
from secscan.sarif import dumps, to_sarif
from secscan.suppressions import NATIVE_REPORTING_ARGS, IgnoreFile, load_ignore_file
from secscan.targets import Targets, collect

stderr = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_CODES = (
    "Exit codes: 0 = pass: no counted finding at or above fail_on (suppressed findings, and with a baseline "
    "unchanged ones, do not count); 1 = policy failed: counted findings at or above fail_on, or an expired "
    "suppression; 2 = usage or configuration error (bad option, config, suppression or baseline file); 3 = a "
    "scanner could not run (missing, crashed, timed out, unparseable output); 3 wins over 1 because an incomplete "
    "scan cannot be trusted (unless fail_on_tool_error = false)."
)


def severity_option(_ctx: click.Context, _param: click.Parameter, value: str) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def progress(run: ToolRun) -> None:
    stderr.print(f"  {run.tool}: {run.status.value}, {len(run.findings)} findings, {run.wall_seconds:.1f}s")


def emit(runs: Sequence[ToolRun], verdict: Verdict, output: str | None, fmt: str, root: Path,
         review: Review | None = None) -> None:
    """SARIF to `output` ('-' = stdout, None = none); json/text findings to stdout."""
    if output is not None:
        text = dumps(to_sarif(runs, root, review, verdict if review is not None else None))
        if output == "-":
            sys.stdout.write(text)
        else:
            write_file(Path(output), text)
    if fmt == "json":
        sys.stdout.write(json.dumps(report.to_json(runs, verdict, review), indent=2, sort_keys=True) + "\n")
    elif fmt == "text":
        sys.stdout.write(report.text_lines(runs))


def write_file(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc


def summarise(runs: Sequence[ToolRun], verdict: Verdict) -> None:
    for line in report.problems(runs):
        stderr.print(f"[red]error[/]: {escape(line)}")
    stderr.print(report.summary_table(runs, verdict))
    for note in verdict.notes:
        stderr.print(f"note: {escape(note)}")


def warn(runs: Sequence[ToolRun]) -> None:
    """Warnings change what results mean (credentials stopped working, budget, scope): printed even with -q."""
    for run in runs:
        for note in run.notifications:
            if note.level == "warning":
                stderr.print(f"[yellow]warning[/]: {run.tool}: {escape(note.message)}")


# --- configuration, suppressions and baseline: the policy inputs ------------------------------------------

_OVERRIDING = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


def policy_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--config, --baseline and --html, shared by static, api, scan and gate."""
    command = click.option("--html", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
                           help="Also write a self-contained HTML report (verdict, findings by severity and tool).")(command)
    command = click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
                           help="Baseline from `secscan baseline create`: results get baselineState new/unchanged "
                                "and only new findings fail (unless fail_on_existing). [config: baseline]")(command)
    return click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
                        help="Configuration file (default: the first secscan.toml, .secscan.toml or pyproject.toml "
                             "with [tool.secscan] walking up from the scanned path).")(command)


def given(ctx: click.Context, keys: Mapping[str, str]) -> dict[str, Any]:
    """Command-line (or environment) values of the options in `keys` (param name -> dotted config key)."""
    out: dict[str, Any] = {}
    for param, key in keys.items():
        if ctx.get_parameter_source(param) in _OVERRIDING and ctx.params.get(param) is not None:
            out[key] = _config_value(ctx.params[param])
    return out


def _config_value(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value.resolve())
    if isinstance(value, (list, tuple)):
        return [_config_value(v) for v in value]
    return value


def load_config(ctx: click.Context, start: Path, keys: Mapping[str, str]) -> config_mod.Effective:
    """Defaults <- config file <- options given on the command line (see `given`)."""
    overrides = given(ctx, keys)
    if ctx.params.get("baseline") is not None:
        overrides["baseline"] = str(Path(ctx.params["baseline"]).resolve())
    return config_mod.load(start, ctx.params.get("config_file"), overrides)


@dataclass(frozen=True, slots=True)
class PolicyInputs:
    """Everything the verdict needs besides the runs, loaded (and validated) before any tool runs."""

    effective: config_mod.Effective
    root: Path
    ignore: IgnoreFile | None
    baseline: Baseline | None
    today: date

    @property
    def policy(self) -> Policy:
        cfg = self.effective.config
        return Policy(fail_on=cfg.fail_on, fail_on_tool_error=cfg.fail_on_tool_error,
                      fail_on_existing=cfg.fail_on_existing)


def display_path(path: Path, root: Path) -> str:
    """Repo-relative when inside the scan root (as SARIF locations are), else the path as given."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def policy_inputs(effective: config_mod.Effective, root: Path, today: date | None = None,
                  with_baseline: bool = True) -> PolicyInputs:
    """The suppression file (config `suppressions`, else .secscan-ignore.yaml in the root, if any) and the
    baseline (config `baseline` / --baseline); both validated now, before any tool runs."""
    cfg = effective.config
    ignore_path = Path(cfg.suppressions) if cfg.suppressions else root / config_mod.DEFAULT_SUPPRESSIONS
    if cfg.suppressions and not ignore_path.is_file():
        raise UsageError(f"suppressions: no such file: {ignore_path}")
    ignore = load_ignore_file(ignore_path, display_path(ignore_path, root)) if ignore_path.is_file() else None
    baseline = None
    if cfg.baseline and with_baseline:
        baseline = load_baseline(Path(cfg.baseline), display_path(Path(cfg.baseline), root))
    return PolicyInputs(effective, root, ignore, baseline, today or date.today())


def conclude(runs: Sequence[ToolRun], inputs: PolicyInputs, output: str | None, fmt: str, html: Path | None,
             quiet: bool) -> int:
    """finalize -> decide -> SARIF, HTML, stdout format, stderr summary; returns the exit code."""
    done = finalize(runs, inputs.root, inputs.effective.config, inputs.ignore, inputs.baseline, inputs.today)
    verdict = decide(done.runs, inputs.policy, done.review)
    emit(done.runs, verdict, output, fmt, inputs.root, done.review)
    if html is not None:
        write_file(html, html_report.render(done.runs, verdict, done.review))
    warn(done.runs)
    review_warnings(done.review)
    if not quiet:
        summarise(done.runs, verdict)
    return verdict.exit_code


def review_warnings(review: Review) -> None:
    """Expired and stale suppressions and unhonoured markers: printed even with -q (they need a decision)."""
    for line in review.expired:
        stderr.print(f"[yellow]warning[/]: expired suppression: {escape(line)}")
    for line in review.stale:
        stderr.print(f"[yellow]warning[/]: stale suppression: {escape(line)}")
    for line in review.warnings:
        stderr.print(f"[yellow]warning[/]: {escape(line)}")


# --- the static scan as every policy-aware command runs it ------------------------------------------------

STATIC_KEYS = {"tools": "tools", "exclude": "exclude", "fail_on": "fail_on", "timeout": "timeout",
               "advisory_db": "advisory_db", "allow_unaudited": "allow_unaudited"}


def static_targets(paths: Sequence[Path], effective: config_mod.Effective) -> Targets:
    """Command-line PATHs, else the config's `paths`, else the current directory."""
    cfg = effective.config
    if cfg.advisory_db and not Path(cfg.advisory_db).is_dir():
        raise UsageError(f"advisory_db ({effective.source('advisory_db')}): not a directory: {cfg.advisory_db}")
    chosen = list(paths) or [Path(p) for p in cfg.paths] or [Path.cwd()]
    return collect(chosen, cfg.exclude)


def run_static(targets: Targets, effective: config_mod.Effective, quiet: bool) -> list[ToolRun]:
    """The configured tools, asked to also report what their inline markers hide (finalize() marks those)."""
    cfg = effective.config
    per_tool = effective.source("timeout") != config_mod.COMMAND_LINE  # an explicit --timeout applies to all
    options = config_mod.tool_options(cfg, per_tool_timeouts=per_tool, native_args=NATIVE_REPORTING_ARGS)
    if not quiet:
        stderr.print(f"secscan: scanning {len(targets.files)} files under {targets.root} with {', '.join(cfg.tools)}")
    return run_tools(cfg.tools, targets, options, on_done=None if quiet else progress)
