"""Command line: the only modules that print or exit are this one and cli_common / secscan.cli_api."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from secscan import __version__
from secscan.cli_common import (
    EXIT_CODES, STATIC_KEYS, conclude, load_config, policy_inputs, policy_options, progress, run_static, severity_option,
    static_targets, stderr,
)
from secscan.demo import run_demo
from secscan.errors import SecscanError
from secscan.models import ToolRun
from secscan.postprocess import finalize
from secscan.runner import run_tools
from secscan.suppressions import NATIVE_REPORTING_ARGS
from secscan.targets import collect
from secscan.tools import TOOLS, ToolOptions
from secscan.tools.base import DEFAULT_TIMEOUT


def _tool_list(_ctx: click.Context, _param: click.Parameter, value: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in TOOLS]
    if unknown or not names:
        raise click.BadParameter(f"unknown tool {', '.join(unknown) or '(empty)'}; choose from {', '.join(TOOLS)}")
    return list(dict.fromkeys(names))


class SecscanGroup(click.Group):
    """Turns expected failures (SecscanError) into one line on stderr and their exit code; bugs keep a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SecscanError as exc:
            click.echo(f"secscan: error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=SecscanGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="secscan")
def cli() -> None:
    """secscan runs the standard Python security scanners and OWASP API probes and writes one SARIF 2.1.0 log
    that GitHub code scanning accepts, plus a short summary on stderr."""


@cli.command(epilog=EXIT_CODES)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-o", "--output", default="secscan.sarif", show_default=True, metavar="FILE",
              help="Where the SARIF log goes ('-' for stdout). Always written, even when a tool fails.")
@click.option("--format", "fmt", type=click.Choice(["sarif", "json", "text"]), default="sarif", show_default=True,
              help="What to print on stdout besides the SARIF file: nothing (sarif), secscan's normalised "
                   "findings (json) or one line per finding (text).")
@click.option("--tools", default=",".join(TOOLS), show_default=True, callback=_tool_list,
              help="Comma-separated tools to run. [config: tools]")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Extra exclude glob (repeatable), applied to every tool alike, on top of the defaults "
                   "(VCS folders, virtualenvs, node_modules, caches, build/dist). [config: exclude]")
@click.option("--fail-on", default="high", show_default=True, callback=severity_option,
              help="Lowest severity that fails the run: low, medium, high or critical. [config: fail_on]")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds each tool may run before it is killed and recorded as timed out (given here, it also "
                   "replaces per-tool timeouts from the config). [config: timeout, tool_options.<tool>.timeout]")
@click.option("--advisory-db", type=click.Path(path_type=Path), envvar="SECSCAN_ADVISORY_DB",
              help="Offline dependency audit: a directory of OSV advisories (YAML or JSON), e.g. a checkout of the "
                   "PyPA advisory database. [env: SECSCAN_ADVISORY_DB; config: advisory_db]")
@click.option("--allow-unaudited", is_flag=True,
              help="Do not fail pip-audit's run when some dependencies could not be audited (they are still "
                   "reported). [config: allow_unaudited]")
@policy_options
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary table on stderr.")
@click.pass_context
def static(ctx: click.Context, paths: tuple[Path, ...], output: str, fmt: str, html: Path | None, quiet: bool,
           **_: object) -> None:
    """Run bandit, semgrep (secscan's rule pack), pip-audit and detect-secrets concurrently on PATHS
    (default: the config's paths, else the current directory) and merge their findings into one SARIF log.

    Settings come from the command line, then the config file, then the defaults. Suppressions
    (.secscan-ignore.yaml, inline markers) and --baseline are applied before the verdict."""
    effective = load_config(ctx, paths[0] if paths else Path.cwd(), STATIC_KEYS)
    targets = static_targets(paths, effective)
    inputs = policy_inputs(effective, targets.root)
    runs = run_static(targets, effective, quiet)
    sys.exit(conclude(runs, inputs, output, fmt, html, quiet))


def static_scan(paths: list[Path], exclude: Sequence[str], tools: list[str], options: ToolOptions,
                quiet: bool) -> tuple[list[ToolRun], Path]:
    targets = collect(paths, exclude)
    if not quiet:
        stderr.print(f"secscan: scanning {len(targets.files)} files under {targets.root} with {', '.join(tools)}")
    return run_tools(tools, targets, options, on_done=None if quiet else progress), targets.root


@cli.command()
@click.option("-o", "--output", default="secscan-demo.sarif", show_default=True, metavar="FILE",
              help="Where the demo's SARIF log goes.")
def demo(output: str) -> None:
    """Scan the bundled vulnerable example end to end (needs a source checkout): the static scanners on
    fixtures/vuln_apps/static_vuln, then the API probes against fixtures/vuln_apps/tenant_api started on
    127.0.0.1. Writes one SARIF and prints the summary.

    Exits 0 when every tool ran (the example is vulnerable on purpose, so findings are expected), 3 otherwise."""
    sys.exit(run_demo(output, _demo_static))


def _demo_static(paths: list[Path], options: ToolOptions) -> tuple[list[ToolRun], Path]:
    """The demo's static part, post-processed like every other command (default configuration)."""
    options = dataclasses.replace(options, extra_args={**NATIVE_REPORTING_ARGS, **options.extra_args})
    runs, root = static_scan(paths, (), list(TOOLS), options, False)
    return finalize(runs, root).runs, root


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (click exits 2 on usage errors, matching EXIT_USAGE)."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="secscan")


def _register_api() -> None:
    from secscan.cli_api import api  # the core reaches the probes only through this command and its registry

    cli.add_command(api)


def _register_policy() -> None:
    from secscan.cli_policy import COMMANDS

    for command in COMMANDS:
        cli.add_command(command)


def _register_upload() -> None:
    from secscan.cli_upload import upload

    cli.add_command(upload)


def _register_hook() -> None:
    from secscan.cli_hook import hook  # pre-commit runs secscan.cli_hook directly (lighter import)

    cli.add_command(hook)


_register_api()
_register_policy()
_register_upload()
_register_hook()

if __name__ == "__main__":
    main()
