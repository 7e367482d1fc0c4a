"""Policy commands: `scan` (static + api, one verdict), `gate` (verdict over SARIF files), `merge`,
`baseline create|update` and `config show`. cli.py registers COMMANDS."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click

from secscan.baseline import Baseline, build, dumps as baseline_dumps, load_baseline
from secscan.cli_common import (
    EXIT_CODES, STATIC_KEYS, PolicyInputs, conclude, load_config, policy_inputs, policy_options, run_static,
    severity_option, static_targets, stderr, write_file,
)
from secscan.config import DEFAULT_BASELINE, Effective, show
from secscan.errors import EXIT_OK, ToolError, UsageError
from secscan.models import ToolRun
from secscan.postprocess import finalize
from secscan.sarif import dumps, merge_logs
from secscan.sarif_read import load_sarif, read_runs
from secscan.targets import Targets, find_root
from secscan.tools import TOOLS

API_OVERRIDES = {"openapi": "api.openapi", "tokens": "api.tokens", "base_url": "api.base_url",
                 "max_requests": "api.max_requests", "rate": "api.rate"}


def _tool_list(_ctx: click.Context, _param: click.Parameter, value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in TOOLS]
    if unknown or not names:
        raise click.BadParameter(f"unknown tool {', '.join(unknown) or '(empty)'}; choose from {', '.join(TOOLS)}")
    return list(dict.fromkeys(names))


def _scan_options(command):  # type: ignore[no-untyped-def]
    """Options of `scan` and `baseline create|update`: what to scan, statically and (if configured) the API."""
    for decorator in reversed([
        click.argument("path", required=False, type=click.Path(path_type=Path)),
        click.option("--tools", callback=_tool_list, metavar="LIST",
                     help=f"Comma-separated static tools (default: config, else {','.join(TOOLS)})."),
        click.option("--exclude", multiple=True, metavar="GLOB", help="Exclude glob (repeatable). [config: exclude]"),
        click.option("--timeout", type=click.FloatRange(min=0.1), help="Seconds per static tool. [config: timeout]"),
        click.option("--advisory-db", type=click.Path(path_type=Path), envvar="SECSCAN_ADVISORY_DB",
                     help="Offline OSV advisory directory for pip-audit. [env: SECSCAN_ADVISORY_DB]"),
        click.option("--openapi", metavar="PATH_OR_URL", help="Also probe this API (needs --tokens). [config: api.openapi]"),
        click.option("--tokens", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
                     help="tenants.yaml for the API probes. [config: api.tokens]"),
        click.option("--base-url", metavar="URL", help="API base URL. [config: api.base_url]"),
        click.option("--max-requests", type=click.IntRange(min=1), help="API request budget. [config: api.max_requests]"),
        click.option("--rate", type=click.FloatRange(min=0.1), help="API requests per second. [config: api.rate]"),
        click.option("-q", "--quiet", is_flag=True, help="No progress and no summary table on stderr."),
    ]):
        command = decorator(command)
    return command


@dataclass(frozen=True, slots=True)
class _Plan:
    inputs: PolicyInputs
    targets: Targets


def _plan(ctx: click.Context, path: Path | None, with_baseline: bool = True) -> _Plan:
    """Configuration, file list and policy inputs: everything that can fail with exit 2, before any tool runs."""
    effective = load_config(ctx, path or Path.cwd(), {**STATIC_KEYS, **API_OVERRIDES})
    targets = static_targets([path] if path else [], effective)
    api_cfg = effective.config.api
    if bool(api_cfg.openapi) != bool(api_cfg.tokens):
        raise UsageError("the API scan needs both an OpenAPI spec and tokens (--openapi/--tokens or api.openapi/"
                         "api.tokens); only one was given")
    return _Plan(policy_inputs(effective, targets.root, with_baseline=with_baseline), targets)


def _run_plan(plan: _Plan, quiet: bool) -> list[ToolRun]:
    """Static tools on the targets, then the API probes when a spec and tokens are configured or given."""
    runs = run_static(plan.targets, plan.inputs.effective, quiet)
    api_cfg = plan.inputs.effective.config.api
    if api_cfg.openapi:
        from secscan.cli_api import api_settings  # the core reaches the probes only through their command
        from secscan_probes.engine import run_api_scan

        runs.append(run_api_scan(api_settings(api_cfg, quiet, root=plan.targets.root)))
    return runs


@click.command(epilog=EXIT_CODES)
@_scan_options
@click.option("-o", "--output", default="secscan.sarif", show_default=True, metavar="FILE",
              help="Where the SARIF log goes ('-' for stdout).")
@click.option("--format", "fmt", type=click.Choice(["sarif", "json", "text"]), default="sarif", show_default=True,
              help="What to print on stdout besides the SARIF file.")
@click.option("--fail-on", callback=lambda c, p, v: None if v is None else severity_option(c, p, v),
              help="Lowest severity that fails: low, medium, high or critical. [config: fail_on, default high]")
@policy_options
@click.pass_context
def scan(ctx: click.Context, path: Path | None, output: str, fmt: str, html: Path | None, quiet: bool,
         **_: object) -> None:
    """Scan PATH (default: the config's paths, else the current directory) with the static tools and, when an
    OpenAPI spec and tokens are configured or given, the API probes: one SARIF log and one verdict, with
    suppressions and the baseline applied."""
    plan = _plan(ctx, path)
    sys.exit(conclude(_run_plan(plan, quiet), plan.inputs, output, fmt, html, quiet))


@click.command(epilog=EXIT_CODES + " A SARIF run with executionSuccessful: false counts as a tool that could "
                                        "not run (3).")
@click.argument("sarif_files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Repository root the SARIF paths are relative to (default: the git root of the current "
                   "directory): where inline markers and .secscan-ignore.yaml are read.")
@click.option("--fail-on", callback=lambda c, p, v: None if v is None else severity_option(c, p, v),
              help="Lowest severity that fails: low, medium, high or critical. [config: fail_on, default high]")
@click.option("--format", "fmt", type=click.Choice(["none", "json", "text"]), default="none", show_default=True,
              help="Findings on stdout: none, normalised json, or one line per finding.")
@click.option("-o", "--output", metavar="FILE", help="Also write the evaluated results as SARIF (secscan's "
                                                     "normalised form, with suppressions and baselineState).")
@policy_options
@click.option("-q", "--quiet", is_flag=True, help="No summary table on stderr.")
@click.pass_context
def gate(ctx: click.Context, sarif_files: tuple[Path, ...], root: Path | None, fmt: str, output: str | None,
         html: Path | None, quiet: bool, **_: object) -> None:
    """Evaluate the policy over existing SARIF files (secscan's or any other tool's): suppressions, baseline,
    fail_on and tool failures, exactly as a scan would."""
    base = (root or find_root(Path.cwd())).resolve()
    effective = load_config(ctx, base, {"fail_on": "fail_on"})
    inputs = policy_inputs(effective, base)
    runs = [run for file in sarif_files for run in read_runs(file, base)]
    sys.exit(conclude(runs, inputs, output, "sarif" if fmt == "none" else fmt, html, quiet))


@click.command(epilog="Exit codes: 0 = merged; 2 = unreadable input or a duplicate run GitHub would reject.")
@click.argument("sarif_files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--output", required=True, metavar="FILE", help="The merged SARIF log ('-' for stdout).")
@click.option("--rename-duplicates", is_flag=True,
              help="Give a run whose tool and category are already taken a new category (name-2/) instead of "
                   "refusing.")
def merge(sarif_files: tuple[Path, ...], output: str, rename_duplicates: bool) -> None:
    """Merge SARIF logs into one, keeping one run per tool and category (GitHub rejects an upload with two runs
    of the same tool and category)."""
    logs = [(str(f), load_sarif(f)) for f in sarif_files]
    try:
        merged, messages = merge_logs(logs, rename=rename_duplicates)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for line in messages:
        stderr.print(f"[yellow]warning[/]: {line}")
    text = dumps(merged)
    if output == "-":
        sys.stdout.write(text)
    else:
        write_file(Path(output), text)
    stderr.print(f"secscan: merged {len(merged['runs'])} runs from {len(logs)} files into {output}")
    sys.exit(EXIT_OK)


# --- baseline -----------------------------------------------------------------------------------------------


@click.group()
def baseline() -> None:
    """Record the current findings so that scans with --baseline fail only on new ones."""


def _baseline_command(name: str, doc: str):  # type: ignore[no-untyped-def]
    @baseline.command(name=name, help=doc, epilog="Exit codes: 0 = written; 2 = usage or config error; 3 = a tool "
                                                  "could not run (no baseline is written from an incomplete scan).")
    @_scan_options
    @click.option("--file", "file", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
                  help=f"Baseline file (default: config baseline, else {DEFAULT_BASELINE} in the repository root).")
    @click.option("--from-sarif", multiple=True, type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
                  help="Take the findings from these SARIF files instead of scanning (repeatable).")
    @click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
                  help="Configuration file (default: discovered from PATH).")
    @click.pass_context
    def command(ctx: click.Context, path: Path | None, file: Path | None, from_sarif: tuple[Path, ...],
                quiet: bool, **_: object) -> None:
        _write_baseline(ctx, name, path, file, from_sarif, quiet)

    return command


def _write_baseline(ctx: click.Context, mode: str, path: Path | None, file: Path | None,
                    from_sarif: tuple[Path, ...], quiet: bool) -> None:
    plan = None
    if from_sarif:
        root = find_root((path or Path.cwd()).resolve())
        inputs = policy_inputs(load_config(ctx, root, {}), root, with_baseline=False)
    else:
        plan = _plan(ctx, path, with_baseline=False)
        inputs = plan.inputs
    target = _baseline_file(file, inputs.effective, inputs.root)
    previous = _previous(target, mode)
    if plan is not None:
        runs = _run_plan(plan, quiet)
    else:
        runs = [run for f in from_sarif for run in read_runs(f, inputs.root)]
    broken = [r.tool for r in runs if not r.status.succeeded]
    if broken:
        raise ToolError(f"{', '.join(broken)} could not run; no baseline written from an incomplete scan")
    done = finalize(runs, inputs.root, inputs.effective.config, inputs.ignore, None, inputs.today)
    entries = build((f for r in done.runs for f in r.findings), inputs.today, previous)
    write_file(target, baseline_dumps(entries))
    kept = len(previous.fingerprints & {e.fingerprint for e in entries}) if previous else 0
    gone = len(previous.entries) - kept if previous else 0
    stderr.print(f"secscan: baseline {target}: {len(entries)} findings ({len(entries) - kept} added, {kept} kept, "
                 f"{gone} removed)")
    sys.exit(EXIT_OK)


def _baseline_file(file: Path | None, effective: Effective, root: Path) -> Path:
    if file is not None:
        return file
    configured = effective.config.baseline
    return Path(configured) if configured else root / DEFAULT_BASELINE


def _previous(target: Path, mode: str) -> Baseline | None:
    if mode == "create":
        if target.exists() and not click.get_current_context().params.get("force"):
            raise UsageError(f"{target} already exists: use `secscan baseline update` (keeps first_seen dates) "
                             "or --force")
        return None
    return load_baseline(target) if target.exists() else None


create = _baseline_command("create", "Scan (or read --from-sarif) and write a new baseline of every current "
                                     "finding: tool, rule, path, line-free fingerprint and first_seen.")
create = click.option("--force", is_flag=True, help="Overwrite an existing baseline file.")(create)
update = _baseline_command("update", "Scan (or read --from-sarif) and rewrite the baseline: findings still present "
                                     "keep their first_seen date, new ones are added, absent ones dropped.")


# --- config ---------------------------------------------------------------------------------------------------


@click.group(name="config")
def config_group() -> None:
    """Inspect secscan's configuration."""


@config_group.command(name="show", epilog="Exit codes: 0 = shown; 2 = the configuration is invalid.")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Configuration file (default: discovered walking up from PATH).")
@click.pass_context
def config_show(ctx: click.Context, path: Path | None, config_file: Path | None) -> None:
    """Print the effective configuration and where each value came from (default, the config file, or the
    command line)."""
    effective = load_config(ctx, path or Path.cwd(), {})
    click.echo(show(effective), nl=False)
    sys.exit(EXIT_OK)


COMMANDS = (scan, gate, merge, baseline, config_group)
