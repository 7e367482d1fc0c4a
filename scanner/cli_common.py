"""What the CLI commands share: their options, turning options into a `ScanRequest`, progress on stderr, and
rendering a `ScanResult` (SARIF file, HTML, stdout format, stderr summary). Only CLI modules print or exit."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from secscan import html_report, report
from secscan.config import ApiSettings, SecscanConfig
from secscan.errors import UsageError
from secscan.models import Review, Severity, ToolRun
from secscan.pipeline import ScanResult
from secscan.policy import Verdict
from secscan.sarif import dumps, to_sarif
from secscan.targets import Targets
from secscan.tools import TOOLS
from secscan.tools.base import DEFAULT_TIMEOUT

stderr = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_CODES = (
    "Exit codes: 0 = pass: no counted finding at or above fail_on (suppressed findings, and with a baseline "
    "unchanged ones, do not count); 1 = policy failed: counted findings at or above fail_on, or an expired "
    "suppression; 2 = usage or configuration error (bad option, config, suppression or baseline file); 3 = a "
    "scanner could not run (missing, crashed, timed out, unparseable output); 3 wins over 1 because an incomplete "
    "scan cannot be trusted (unless fail_on_tool_error = false)."
)
FORMATS = ("none", "json", "text")
Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def severity_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Severity | None:
    if value is None:
        return None
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def tool_list(_ctx: click.Context, _param: click.Parameter, value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in TOOLS]
    if unknown or not names:
        raise click.BadParameter(f"unknown tool {', '.join(unknown) or '(empty)'}; choose from {', '.join(TOOLS)}")
    return list(dict.fromkeys(names))


def probe_list(_ctx: click.Context, _param: click.Parameter, value: str | None) -> list[str] | None:
    if value is None:
        return None
    from secscan.pipeline import probe_names

    known = probe_names()
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise click.BadParameter(f"unknown probe {', '.join(unknown) or '(empty)'}; choose from {', '.join(known)}")
    return list(dict.fromkeys(names))


def _format(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if value == "sarif":  # the wave-1 spelling of "print nothing": SARIF always goes to -o
        stderr.print("[yellow]warning[/]: --format sarif is now --format none (the SARIF log always goes to -o)")
        return "none"
    return value


def _default(model: type[SecscanConfig] | type[ApiSettings], key: str) -> str:
    return f" [default: {model.model_fields[key].default}]"


# --- option groups --------------------------------------------------------------------------------------------


def _apply(command: Callable[..., Any], decorators: Sequence[Decorator]) -> Callable[..., Any]:
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def output_options(default_output: str | None) -> Decorator:
    """-o, --format, --html and -q (for static, api and scan)."""
    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        return _apply(command, [
            click.option("-o", "--output", default=default_output, show_default=default_output is not None,
                         metavar="FILE", help="Where the SARIF log goes ('-' for stdout). Always written, even when "
                                              "a tool fails."),
            click.option("--format", "fmt", type=click.Choice([*FORMATS, "sarif"]), default="none",
                         show_default=True, callback=_format,
                         help="What to print on stdout (the SARIF log always goes to -o): nothing (none), secscan's "
                              "normalised findings (json) or one line per finding (text)."),
            click.option("--html", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
                         help="Also write a self-contained HTML report (verdict, findings by severity and tool)."),
            click.option("-q", "--quiet", is_flag=True, help="No progress and no summary table on stderr."),
        ])
    return decorate


def policy_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--config, --baseline and --fail-on, shared by every policy-aware command."""
    return _apply(command, [
        click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
                     help="Configuration file (default: the first secscan.toml, .secscan.toml or pyproject.toml "
                          "with [tool.secscan] walking up from the scanned path)."),
        click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
                     help="Baseline from `secscan baseline create`: results get baselineState new/unchanged and "
                          "only new findings fail (unless fail_on_existing). [config: baseline]"),
        click.option("--fail-on", callback=severity_option, metavar="SEVERITY",
                     help="Lowest severity that fails the run: low, medium, high or critical. "
                          "[config: fail_on; default: high]"),
    ])


STATIC_KEYS = {"tools": "tools", "exclude": "exclude", "timeout": "timeout", "advisory_db": "advisory_db",
               "allow_unaudited": "allow_unaudited", "fail_on": "fail_on"}


def static_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """What the static tools scan and how (static, scan and baseline create|update)."""
    return _apply(command, [
        click.option("--tools", callback=tool_list, metavar="LIST",
                     help=f"Comma-separated tools to run. [config: tools; default: {','.join(TOOLS)}]"),
        click.option("--exclude", multiple=True, metavar="GLOB",
                     help="Extra exclude glob (repeatable), applied to every tool alike, on top of the defaults "
                          "(VCS folders, virtualenvs, node_modules, caches, build/dist). [config: exclude]"),
        click.option("--timeout", type=click.FloatRange(min=0.1), metavar="SECONDS",
                     help="Seconds each tool may run before it is killed and recorded as timed out (given here, it "
                          "also replaces per-tool timeouts from the config). [config: timeout, "
                          f"tool_options.<tool>.timeout; default: {DEFAULT_TIMEOUT:g}]"),
        click.option("--advisory-db", type=click.Path(path_type=Path), envvar="SECSCAN_ADVISORY_DB",
                     help="Offline dependency audit: a directory of OSV advisories (YAML or JSON), e.g. a checkout "
                          "of the PyPA advisory database. [env: SECSCAN_ADVISORY_DB; config: advisory_db]"),
        click.option("--allow-unaudited", is_flag=True,
                     help="Do not fail pip-audit's run when some dependencies could not be audited (they are still "
                          "reported). [config: allow_unaudited]"),
    ])


API_KEYS = {"openapi": "api.openapi", "tokens": "api.tokens", "base_url": "api.base_url", "probes": "api.probes",
            "max_requests": "api.max_requests", "rate": "api.rate", "request_timeout": "api.timeout",
            "allow_destructive": "api.allow_destructive", "concurrency": "api.concurrency", "burst": "api.burst",
            "burst_window": "api.burst_window"}


def api_options(timeout_flag: str) -> Decorator:
    """The API probes' settings (api, and scan with `--api-timeout`); defaults live in the config model."""
    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        return _apply(command, [
            click.option("--openapi", metavar="PATH_OR_URL",
                         help="OpenAPI 2.0/3.0/3.1 spec: a file or an URL. [config: api.openapi]"),
            click.option("--tokens", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
                         help="tenants.yaml: credentials per tenant (${VAR} read from the environment), role, owned "
                              "objects. [config: api.tokens]"),
            click.option("--base-url", metavar="URL",
                         help="API base URL (default: the spec's servers). Only its scheme, host and port are ever "
                              "contacted. [config: api.base_url]"),
            click.option("--probes", callback=probe_list, metavar="LIST",
                         help="Comma-separated probes. [config: api.probes; default: all]"),
            click.option("--max-requests", type=click.IntRange(min=1), metavar="N",
                         help="Global request budget; the run stops cleanly when it is used up. [config: "
                              "api.max_requests]" + _default(ApiSettings, "max_requests")),
            click.option("--rate", type=click.FloatRange(min=0.1), metavar="R",
                         help="Client-side limit, requests per second. [config: api.rate; default: unlimited]"),
            click.option(timeout_flag, "request_timeout", type=click.FloatRange(min=0.1), metavar="SECONDS",
                         help="Seconds per request. [config: api.timeout]" + _default(ApiSettings, "timeout")),
            click.option("--allow-destructive", is_flag=True,
                         help="Allow DELETE probes (only on objects secscan created) and delete secscan's objects "
                              "afterwards. [config: api.allow_destructive]"),
            click.option("--concurrency", type=click.IntRange(min=1, max=64), metavar="N",
                         help="Requests in flight at once. [config: api.concurrency]"
                              + _default(ApiSettings, "concurrency")),
            click.option("--burst", type=click.IntRange(min=1), metavar="N",
                         help="rate-limit probe: requests per burst against each login/token/reset/OTP operation "
                              "(never more than the remaining budget). [config: api.burst]"
                              + _default(ApiSettings, "burst")),
            click.option("--burst-window", type=click.FloatRange(min=0.1), metavar="SECONDS",
                         help="rate-limit probe: seconds the burst must fit in. [config: api.burst_window]"
                              + _default(ApiSettings, "burst_window")),
        ])
    return decorate


# --- from options to a request --------------------------------------------------------------------------------

_OVERRIDING = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


def overrides(ctx: click.Context, keys: Mapping[str, str]) -> dict[str, Any]:
    """Dotted config keys for the options in `keys` (param name -> key) given on the command line or in the
    environment, plus --baseline; command-line paths become absolute."""
    out: dict[str, Any] = {}
    for param, key in keys.items():
        if ctx.get_parameter_source(param) in _OVERRIDING and ctx.params.get(param) is not None:
            out[key] = _config_value(ctx.params[param])
    if ctx.params.get("baseline") is not None:
        out["baseline"] = str(Path(ctx.params["baseline"]).resolve())
    return out


def _config_value(value: Any) -> Any:
    if isinstance(value, Severity):
        return value.label
    if isinstance(value, Path):
        return str(value.resolve())
    if isinstance(value, (list, tuple)):
        return [_config_value(v) for v in value]
    return value


def timeout_given(ctx: click.Context) -> bool:
    return ctx.get_parameter_source("timeout") in _OVERRIDING if "timeout" in ctx.params else False


# --- progress ---------------------------------------------------------------------------------------------------


class Progress:
    """The CLI's observer: what is scanned, each tool as it finishes, a progress bar for API runs."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.runs: list[ToolRun] = []

    def scanning(self, targets: Targets, tools: Sequence[str]) -> None:
        if not self.quiet:
            stderr.print(f"secscan: scanning {len(targets.files)} files under {targets.root} with {', '.join(tools)}")

    def finished(self, run: ToolRun) -> None:
        self.runs.append(run)
        if not self.quiet:
            stderr.print(f"  {run.tool}: {run.status.value}, {len(run.findings)} findings, {run.wall_seconds:.1f}s")

    def api_progress(self, budget: int) -> Any:
        from secscan.cli_progress import RunProgress

        return RunProgress(not self.quiet, budget)


# --- rendering --------------------------------------------------------------------------------------------------


def render(result: ScanResult, output: str | None, fmt: str, html: Path | None, quiet: bool,
           hypothetical: bool = False) -> int:
    """SARIF to `output`, HTML, `fmt` on stdout, warnings and the summary on stderr; returns the exit code.
    `hypothetical`: the command does not exit with the verdict's code (the demo), so the summary says what the
    gate *would* do."""
    emit(result.runs, result.verdict, output, fmt, result.root, result.review)
    if html is not None:
        write_file(html, html_report.render(result.runs, result.verdict, result.review))
    warn(result.runs)
    review_warnings(result.review)
    if not quiet:
        summarise(result.runs, result.verdict, hypothetical)
    return result.verdict.exit_code


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


def summary_table(runs: Sequence[ToolRun], verdict: Verdict, hypothetical: bool = False) -> Table:
    table = Table(caption=report.verdict_line(verdict, hypothetical), caption_justify="left")
    for column in report.SUMMARY_COLUMNS:
        table.add_column(column, justify="left" if column in ("tool", "status") else "right",
                         no_wrap=column == "tool")
    for row in report.summary_rows(runs):
        status = row[1] if row[1] == "ok" else f"[bold red]{row[1]}[/]"
        table.add_row(escape(row[0]), status, *row[2:])
    return table


def summarise(runs: Sequence[ToolRun], verdict: Verdict, hypothetical: bool = False) -> None:
    for line in report.problems(runs):
        stderr.print(f"[red]error[/]: {escape(line)}")
    stderr.print(summary_table(runs, verdict, hypothetical))
    for note in verdict.notes:
        stderr.print(f"note: {escape(note)}")


def warn(runs: Sequence[ToolRun]) -> None:
    """Warnings change what results mean (credentials stopped working, budget, scope): printed even with -q."""
    for run in runs:
        for note in run.notifications:
            if note.level == "warning":
                stderr.print(f"[yellow]warning[/]: {run.tool}: {escape(note.message)}")


def review_warnings(review: Review) -> None:
    """Expired and stale suppressions and unhonoured markers: printed even with -q (they need a decision)."""
    for line in review.expired:
        stderr.print(f"[yellow]warning[/]: expired suppression: {escape(line)}")
    for line in review.stale:
        stderr.print(f"[yellow]warning[/]: stale suppression: {escape(line)}")
    for line in review.warnings:
        stderr.print(f"[yellow]warning[/]: {escape(line)}")
