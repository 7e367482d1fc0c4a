"""The `secscan` command group and `secscan static`; the other commands live in the cli_* modules.

CLI modules are the only ones that print or exit: each builds a `pipeline.ScanRequest`, runs the pipeline and
renders the result (cli_common.render)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from secscan import __version__, pipeline
from secscan.cli_common import (
    EXIT_CODES,
    STATIC_KEYS,
    Progress,
    output_options,
    overrides,
    policy_options,
    render,
    static_options,
    stderr,
    timeout_given,
)
from secscan.errors import SecscanError


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
    request = pipeline.ScanRequest(start=paths[0] if paths else Path.cwd(), paths=paths, config_file=config_file,
                                   overrides=overrides(ctx, STATIC_KEYS), timeout_for_all=timeout_given(ctx))
    result = pipeline.run(request, Progress(quiet))
    sys.exit(render(result, output, fmt, html, quiet))


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (click exits 2 on usage errors, matching EXIT_USAGE)."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="secscan")


def _register() -> None:
    from secscan.cli_api import api
    from secscan.cli_demo import demo
    from secscan.cli_hook import hook  # pre-commit runs secscan.cli_hook directly (a lighter import)
    from secscan.cli_policy import COMMANDS
    from secscan.cli_upload import upload

    for command in (api, demo, *COMMANDS, upload, hook):
        cli.add_command(command)


_register()

__all__ = ["cli", "main", "stderr"]

if __name__ == "__main__":
    main()
