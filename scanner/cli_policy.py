"""Policy commands: `scan` (static + api, one verdict), `gate` (verdict over SARIF files), `merge`,
`baseline create|update` and `config show`. cli.py registers COMMANDS."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from secscan import pipeline, wording
from secscan.baseline import Baseline, build, load_baseline
from secscan.baseline import dumps as baseline_dumps
from secscan.cli_common import (
    API_KEYS,
    EXIT_CODES,
    STATIC_KEYS,
    Progress,
    api_options,
    check_outputs,
    gate_root,
    output_options,
    overrides,
    own_files,
    policy_options,
    render,
    static_options,
    stderr,
    timeout_given,
    write_file,
)
from secscan.config import DEFAULT_BASELINE, Effective, load, show
from secscan.errors import EXIT_OK, ToolError, UsageError
from secscan.sarif import dumps, merge_logs
from secscan.sarif_read import load_sarif
from secscan.targets import find_root


def _scan_request(ctx: click.Context, path: Path | None, **extra: Any) -> pipeline.ScanRequest:
    """`scan` and `baseline create|update`: the static tools on PATH and, when a spec is configured or given,
    the API probes."""
    return pipeline.ScanRequest(start=path or Path.cwd(), paths=(path,) if path else (), api=None,
                                config_file=ctx.params.get("config_file"),
                                overrides=overrides(ctx, {**STATIC_KEYS, **API_KEYS}),
                                timeout_for_all=timeout_given(ctx), **extra)


@click.command(epilog=EXIT_CODES)
@click.argument("path", required=False, type=click.Path(path_type=Path))
@output_options("secscan.sarif")
@static_options
@api_options("--api-timeout", prefix="api-")
@policy_options
@click.pass_context
def scan(ctx: click.Context, /, path: Path | None, output: str, fmt: str, html: Path | None, quiet: bool,
         **_: object) -> None:
    """Scan PATH (default: the config's paths, else the current directory) with the static tools and, when an
    OpenAPI spec and tokens are configured or given, the API probes: one SARIF log and one verdict, with
    suppressions and the baseline applied."""
    check_outputs(output, html)
    result = pipeline.run(_scan_request(ctx, path, own_files=own_files(output, html)), Progress(quiet))
    sys.exit(render(result, output, fmt, html, quiet))


@click.command(epilog=EXIT_CODES + " A SARIF run with executionSuccessful: false counts as a tool that could "
                                        "not run (3).")
@click.argument("sarif_files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Repository root the SARIF paths are relative to (default: the SARIF's own %SRCROOT% when that "
                   "directory exists here, else the git root of the current directory): where inline markers and "
                   ".secscan-ignore.yaml are read.")
@output_options(None)
@policy_options
@click.pass_context
def gate(ctx: click.Context, /, sarif_files: tuple[Path, ...], root: Path | None, fmt: str, output: str | None,
         html: Path | None, quiet: bool, config_file: Path | None, **_: object) -> None:
    """Evaluate the policy over existing SARIF files (secscan's or any other tool's): suppressions, baseline,
    fail_on and tool failures, exactly as a scan would. With -o, also write the evaluated results as SARIF
    (secscan's normalised form, with suppressions and baselineState)."""
    check_outputs(output, html)
    base = gate_root(sarif_files, root)
    request = pipeline.ScanRequest(start=base, static=False, config_file=config_file, sarif_inputs=sarif_files,
                                   root=base, overrides=overrides(ctx, {"fail_on": "fail_on"}))
    sys.exit(render(pipeline.run(request), output, fmt, html, quiet))


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
    stderr.print(wording.merged(len(merged["runs"]), len(logs), output))
    sys.exit(EXIT_OK)


# --- baseline -----------------------------------------------------------------------------------------------


@click.group()
def baseline() -> None:
    """Record the current findings so that scans with --baseline fail only on new ones."""


def _baseline_command(name: str, doc: str):  # type: ignore[no-untyped-def]
    @baseline.command(name=name, help=doc, epilog="Exit codes: 0 = written; 2 = usage or config error; 3 = a tool "
                                                  "could not run (no baseline is written from an incomplete scan).")
    @click.argument("path", required=False, type=click.Path(path_type=Path))
    @click.option("--file", "file", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
                  help=f"Baseline file (default: config baseline, else {DEFAULT_BASELINE} in the repository root).")
    @click.option("--from-sarif", multiple=True, type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
                  help="Take the findings from these SARIF files instead of scanning (repeatable).")
    @static_options
    @api_options("--api-timeout", prefix="api-")
    @click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
                  help="Configuration file (default: discovered from PATH).")
    @click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
    @click.pass_context
    def command(ctx: click.Context, /, path: Path | None, file: Path | None, from_sarif: tuple[Path, ...],
                quiet: bool, **_: object) -> None:
        _write_baseline(ctx, name, path, file, from_sarif, quiet)

    return command


def _write_baseline(ctx: click.Context, mode: str, path: Path | None, file: Path | None,
                    from_sarif: tuple[Path, ...], quiet: bool) -> None:
    if from_sarif:
        root = find_root((path or Path.cwd()).resolve())
        request = pipeline.ScanRequest(start=root, static=False, config_file=ctx.params.get("config_file"),
                                       sarif_inputs=from_sarif, root=root, apply_baseline=False)
    else:
        request = _scan_request(ctx, path, apply_baseline=False, own_files=own_files(file))
    plan = pipeline.prepare(request)
    target = _baseline_file(file, plan.effective, plan.root)
    previous = _previous(target, mode)
    runs = pipeline.execute(plan, Progress(quiet))
    broken = [r.tool for r in runs if not r.status.succeeded]
    if broken:
        raise ToolError(f"{', '.join(broken)} could not run; no baseline written from an incomplete scan")
    done = pipeline.conclude(plan, runs)
    entries = build((f for r in done.runs for f in r.findings), plan.today, previous)
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
    effective = load(path or Path.cwd(), config_file)
    click.echo(show(effective), nl=False)
    sys.exit(EXIT_OK)


COMMANDS = (scan, gate, merge, baseline, config_group)
