"""The `secscan` command group and `secscan static`; the other commands live in the cli_* modules.

CLI modules are the only ones that print or exit: each builds a `pipeline.ScanRequest`, runs the pipeline and
renders the result (cli_common.render)."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

import click

from secscan import __version__, pipeline
from secscan.cli_common import (
    EXIT_CODES,
    STATIC_KEYS,
    Progress,
    check_outputs,
    output_options,
    overrides,
    own_files,
    policy_options,
    render,
    static_options,
    stderr,
    timeout_given,
    write_partial,
)
from secscan.errors import EXIT_SCAN_ERROR, SecscanError


class SecscanGroup(click.Group):
    """Expected failures (SecscanError) become one line on stderr and their exit code. Anything else is a bug:
    one line too, exit 3 ("could not run", never 1, which means "findings"), and the SARIF of whatever finished
    before it is still written; `--debug` (or SECSCAN_DEBUG=1) shows the traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SecscanError as exc:
            click.echo(f"secscan: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into exit 3
            ctx.exit(internal_error(ctx, exc))
        return None


def internal_error(ctx: click.Context, exc: Exception) -> int:
    if ctx.params.get("debug"):
        traceback.print_exception(exc)
    try:
        kept, output = write_partial()
    except Exception:  # noqa: BLE001 - the report of the first error must not be lost to a second one
        kept, output = 0, None
    saved = f"; the {kept} tool run(s) that finished are in {output}" if kept else ""
    click.echo(f"secscan: internal error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}{saved}; "
               "rerun with --debug for the traceback", err=True)
    return EXIT_SCAN_ERROR


@click.group(cls=SecscanGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="secscan")
@click.option("--debug", is_flag=True, envvar="SECSCAN_DEBUG", help="Show the traceback of an internal error.")
def cli(debug: bool) -> None:
    """secscan runs the standard Python security scanners and OWASP API probes and writes one SARIF 2.1.0 log
    that GitHub code scanning accepts, plus a short summary on stderr."""


@cli.command(epilog=EXIT_CODES)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@output_options("secscan.sarif")
@static_options
@policy_options
@click.pass_context
def static(ctx: click.Context, /, paths: tuple[Path, ...], output: str, fmt: str, html: Path | None, quiet: bool,
           config_file: Path | None, **_: object) -> None:
    """Run bandit, semgrep (secscan's rule pack), pip-audit and detect-secrets concurrently on PATHS
    (default: the config's paths, else the current directory) and merge their findings into one SARIF log.

    Settings come from the command line, then the config file, then the defaults. Suppressions
    (.secscan-ignore.yaml, inline markers) and --baseline are applied before the verdict."""
    check_outputs(output, html)
    request = pipeline.ScanRequest(start=paths[0] if paths else Path.cwd(), paths=paths, config_file=config_file,
                                   overrides=overrides(ctx, STATIC_KEYS), timeout_for_all=timeout_given(ctx),
                                   own_files=own_files(output, html))
    result = pipeline.run(request, Progress(quiet))
    sys.exit(render(result, output, fmt, html, quiet))


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (click exits 2 on usage errors, matching EXIT_USAGE)."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="secscan")


def _register() -> None:
    from secscan.cli_api import api
    from secscan.cli_demo import demo
    from secscan.cli_forge import forge
    from secscan.cli_hook import hook  # pre-commit runs secscan.cli_hook directly (a lighter import)
    from secscan.cli_policy import COMMANDS
    from secscan.cli_upload import upload

    for command in (api, demo, *COMMANDS, upload, hook, forge):
        cli.add_command(command)


_register()

__all__ = ["cli", "main", "stderr"]

if __name__ == "__main__":
    main()
