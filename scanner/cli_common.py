"""What the CLI commands share: their options, turning options into a `ScanRequest`, progress on stderr, and
rendering a `ScanResult` (SARIF file, HTML, stdout format, stderr summary). Only CLI modules print or exit."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from secscan import __version__, html_report, report, wording
from secscan.config import ApiSettings, SecscanConfig
from secscan.errors import UsageError
from secscan.models import Review, Severity, ToolRun
from secscan.pipeline import ScanResult
from secscan.policy import Verdict
from secscan.sarif import dumps, to_sarif
from secscan.targets import Targets, find_root, git
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
            "burst_window": "api.burst_window", "op_include": "api.include", "op_exclude": "api.exclude",
            "exclude_deprecated": "api.exclude_deprecated", "allow_unsafe": "api.allow_unsafe",
            "allow_external_refs": "api.allow_external_refs", "max_response_bytes": "api.max_response_bytes",
            "proxy": "api.proxy", "min_coverage": "api.min_coverage"}


def api_options(timeout_flag: str, prefix: str = "") -> Decorator:
    """The API probes' settings (api; scan with `--api-timeout`, `--api-include`, `--api-exclude`); defaults live
    in the config model."""
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
                         help="Global request budget, shared fairly between the probes (what one leaves over goes "
                              "to the next); a probe that reaches its share stops and the run cannot pass. [config: "
                              "api.max_requests; default: 60 per callable operation, at least 2000]"),
            click.option("--rate", type=click.FloatRange(min=0.1), metavar="R",
                         help="Client-side limit, requests per second. [config: api.rate; default: unlimited]"),
            click.option(timeout_flag, "request_timeout", type=click.FloatRange(min=0.1), metavar="SECONDS",
                         help="Seconds per request. [config: api.timeout]" + _default(ApiSettings, "timeout")),
            click.option("--allow-destructive", is_flag=True,
                         help="Also send DELETE probes and injection payloads to operations that create objects or "
                              "update them (only on objects secscan created). Every run deletes what it created, "
                              "where the spec has a DELETE. [config: api.allow_destructive]"),
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
            click.option(f"--{prefix}include", "op_include", multiple=True, metavar="OPERATION",
                         help="Probe only these operations (repeatable): 'METHOD /path/glob', '/path/glob', an "
                              "operationId or 'tag:NAME'. [config: api.include]"),
            click.option(f"--{prefix}exclude", "op_exclude", multiple=True, metavar="OPERATION",
                         help="Never call these operations (repeatable; same forms as --include). [config: "
                              "api.exclude]"),
            click.option("--exclude-deprecated", is_flag=True,
                         help="Never call operations the spec marks deprecated. [config: api.exclude_deprecated]"),
            click.option("--allow-unsafe", multiple=True, metavar="OPERATION",
                         help="Call an operation the unsafe classifier holds back (logout, reset, re-create or drop "
                              "data, shut down...), same forms as --include (repeatable). [config: api.allow_unsafe]"),
            click.option("--allow-external-refs", is_flag=True,
                         help="Resolve $refs that leave the spec (other hosts, files outside its directory). "
                              "[config: api.allow_external_refs]"),
            click.option("--max-response-bytes", type=click.IntRange(min=1024), metavar="N",
                         help="Largest decoded response body read; a bigger one is an 'unusable response' note. "
                              "[config: api.max_response_bytes]" + _default(ApiSettings, "max_response_bytes")),
            click.option("--proxy", metavar="URL",
                         help="Send the probes through this proxy (e.g. an intercepting proxy); HTTP(S)_PROXY in "
                              "the environment is ignored. [config: api.proxy]"),
            click.option("--min-coverage", type=click.FloatRange(0, 100), metavar="PERCENT",
                         help="Fail (exit 3) when fewer than PERCENT of the callable operations answered 2xx to a "
                              "tenant. [config: api.min_coverage]" + _default(ApiSettings, "min_coverage")),
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


def own_files(*outputs: str | Path | None) -> tuple[Path, ...]:
    """The files a command writes (-o, --html, baseline --file): never scanned (ScanRequest.own_files)."""
    return tuple(Path(p) for p in outputs if p is not None and str(p) != "-")


def timeout_given(ctx: click.Context) -> bool:
    return ctx.get_parameter_source("timeout") in _OVERRIDING if "timeout" in ctx.params else False


# --- progress ---------------------------------------------------------------------------------------------------


class Progress:
    """The CLI's observer: what is scanned, each tool as it finishes, a progress bar for API runs. The latest one
    keeps the runs finished so far, so that an internal error can still write them (`write_partial`)."""

    current: Progress | None = None

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.runs: list[ToolRun] = []
        self.root: Path | None = None
        Progress.current = self

    def scanning(self, targets: Targets, tools: Sequence[str]) -> None:
        self.root = targets.root
        if not self.quiet:
            stderr.print(f"secscan: scanning {len(targets.files)} files under {targets.root} with {', '.join(tools)}")

    def finished(self, run: ToolRun) -> None:
        self.runs.append(run)
        if not self.quiet:
            stderr.print(f"  {run.tool}: {run.status.value}, {len(run.findings)} findings, {run.wall_seconds:.1f}s")

    def api_progress(self) -> Any:
        from secscan.cli_progress import RunProgress

        return RunProgress(not self.quiet)


# --- before anything runs, and after an internal error --------------------------------------------------------


_sarif_output: list[str] = []  # the SARIF path of the running command, for `write_partial`


def check_outputs(sarif: str | Path | None, *others: str | Path | None) -> None:
    """Fail (exit 2) before scanning when an output file cannot be written, not after a long scan. The file is
    created and removed again, so a failed scan never leaves an empty one behind."""
    _sarif_output[:] = [str(sarif)] if sarif is not None else []
    named = [Path(g).resolve() for g in (sarif, *others) if g is not None and str(g) != "-"]
    if len(set(named)) < len(named):
        twice = next(p for p in named if named.count(p) > 1)
        raise UsageError(f"two outputs name the same file ({twice}): one report would overwrite the other")
    for given in (sarif, *others):
        if given is None or str(given) == "-":
            continue
        path = Path(given)
        existed = path.exists()
        try:
            if path.is_dir():
                raise IsADirectoryError(21, "Is a directory")
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        if not existed:
            path.unlink(missing_ok=True)


def write_partial() -> tuple[int, str | None]:
    """After an internal error: the SARIF of every run that finished before it -> (runs written, where)."""
    progress = Progress.current
    output = _sarif_output[0] if _sarif_output else None
    if progress is None or not progress.runs or output is None:
        return 0, output
    from secscan.policy import decide

    emit(progress.runs, decide(progress.runs), output, "none", progress.root or Path.cwd())
    return len(progress.runs), output


# --- rendering --------------------------------------------------------------------------------------------------


def render(result: ScanResult, output: str | None, fmt: str, html: Path | None, quiet: bool,
           hypothetical: bool = False) -> int:
    """SARIF to `output`, HTML, `fmt` on stdout, warnings and the summary on stderr; returns the exit code.
    `hypothetical`: the command does not exit with the verdict's code (the demo), so the summary says what the
    gate *would* do. The summary ends with the findings that fail the policy and where the reports went."""
    emit(result.runs, result.verdict, output, fmt, result.root, result.review)
    if html is not None:
        write_file(html, html_report.render(result.runs, result.verdict, result.review, facts=report_facts(result)))
    warn(result.runs)
    review_warnings(result.review)
    if not quiet:
        summarise(result.runs, result.verdict, hypothetical)
        for line in report.failing_lines(result.runs, result.policy):
            say(line)
        for kind, path in (("SARIF", output), ("HTML", str(html) if html is not None else None)):
            if path is not None:
                say(wording.output_line(kind, path))
    if fmt == "text" and not any(r.findings for r in result.runs):
        say(wording.NO_FINDINGS)
    return result.verdict.exit_code


def say(text: str, style: str | None = None) -> None:
    """One line on stderr, control characters stripped, never read as rich markup or emoji codes."""
    stderr.print(Text(report.one_line(text), style=style or ""), emoji=False)


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


def summary_table(runs: Sequence[ToolRun]) -> Table:
    """One row per tool; no title and no caption (`summarise` prints the verdict below it)."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1), collapse_padding=True)
    for column in report.SUMMARY_COLUMNS:
        table.add_column(column, justify="left" if column in ("tool", "status") else "right", no_wrap=True)
    for row in report.summary_rows(runs):
        name, status = report.one_line(row[0]), report.one_line(row[1])
        table.add_row(name, status if status == "ok" else Text(status, style="bold red"), *row[2:])
    return table


def print_table(table: Table) -> None:
    """Print `table` at its natural width even on a narrow terminal (the terminal wraps; rich would cut
    columns, e.g. the tool name)."""
    needed = Measurement.get(stderr, stderr.options.update(width=10_000), table).maximum
    width = stderr.width
    stderr.width = max(width, needed)
    try:
        stderr.print(table)
    finally:
        stderr.width = width


def summarise(runs: Sequence[ToolRun], verdict: Verdict, hypothetical: bool = False) -> None:
    for line in report.problems(runs):
        stderr.print(f"[red]error[/]: {escape(report.one_line(line))}", emoji=False)
    print_table(summary_table(runs))
    say(report.verdict_line(verdict, hypothetical), "bold green" if verdict.passed else "bold red")
    for run in runs:  # a PASS covers what was tested: say how much that was
        if summary := report.coverage_summary(run):
            say(f"{run.tool} coverage: {summary}")
    for note in verdict.notes:
        say(f"note: {note}")


def warn(runs: Sequence[ToolRun]) -> None:
    """Warnings change what results mean (credentials stopped working, budget, scope): printed even with -q."""
    for run in runs:
        for note in run.notifications:
            if note.level == "warning":
                stderr.print(f"[yellow]warning[/]: {escape(report.one_line(f'{run.tool}: {note.message}'))}",
                             emoji=False)


def review_warnings(review: Review) -> None:
    """Expired and stale suppressions and unhonoured markers: printed even with -q (they need a decision)."""
    lines = [*(f"expired suppression: {x}" for x in review.expired), *(f"stale suppression: {x}" for x in review.stale),
             *review.warnings]
    for line in lines:
        stderr.print(f"[yellow]warning[/]: {escape(report.one_line(line))}", emoji=False)


# --- what the HTML report says about the scan ---------------------------------------------------------------------


def report_facts(result: ScanResult) -> html_report.ReportFacts:
    """What was scanned (targets or SARIF inputs, API base URL, git commit and branch of the root), built here so
    that html_report stays a pure function; git is asked through secscan.targets.git."""
    from secscan.snippets import read_snippets

    plan = result.plan
    request = plan.request
    api = plan.api
    commit = (git(result.root, "rev-parse", "HEAD", timeout=10) or "").strip() or None
    branch = (git(result.root, "rev-parse", "--abbrev-ref", "HEAD", timeout=10) or "").strip() or None
    return html_report.ReportFacts(
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), version=__version__,
        root=str(result.root), targets=_targets(result), sarif_inputs=tuple(str(p) for p in request.sarif_inputs),
        base_url=api.base_url if api is not None else None, openapi=api.openapi if api is not None else None,
        commit=commit, branch=None if branch == "HEAD" else branch, policy=result.policy,
        snippets=read_snippets(result.runs, result.root) if _may_quote_source(result) else {})


def _may_quote_source(result: ScanResult) -> bool:
    """Source lines go into the HTML for a scan of the user's tree; for `gate` (a SARIF file from anywhere, which
    names its own root and paths) only when that root is a git checkout, never `/` or a home directory."""
    if not result.plan.request.sarif_inputs:
        return True
    root = result.root.resolve()
    return (root / ".git").exists() and root != Path(root.anchor) and root != Path.home().resolve()


def _targets(result: ScanResult) -> tuple[str, ...]:
    """The static targets as given (repo-relative when inside the root); none for gate and API-only runs."""
    plan = result.plan
    if plan.targets is None:
        return ()
    chosen = [*plan.request.paths] or [Path(p) for p in plan.config.paths] or [plan.request.start]
    out = []
    for path in chosen:
        try:
            out.append(path.resolve().relative_to(result.root).as_posix() or ".")
        except ValueError:
            out.append(str(path))
    return tuple(out)


# --- gate: which checkout the SARIF's paths belong to ------------------------------------------------------------


def gate_root(sarif_files: Sequence[Path], given: Path | None) -> Path:
    """--root when given, else the SARIF's own %SRCROOT% when that directory exists here, else the git root of
    the current directory, said on stderr (the paths, inline markers and suppressions depend on it)."""
    from secscan.sarif_read import declared_roots

    if given is not None:
        return given.resolve()
    declared = declared_roots(sarif_files)
    here = next((path for _, path in declared if path.is_dir()), None)
    if here is not None:
        return here.resolve()
    fallback = find_root(Path.cwd())
    why = wording.srcroot_missing(declared[0][0]) if declared else wording.NO_SRCROOT
    say(f"note: {wording.assumed_root(str(fallback), why)}")
    return fallback
