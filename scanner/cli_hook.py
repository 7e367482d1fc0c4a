"""`secscan hook`: the pre-commit entry point; also runnable as `python -P -m secscan.cli_hook` (a light import)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from secscan.errors import SecscanError

EXIT_HELP = ("Exit codes: 0 = no new finding at or above fail_on; 1 = new findings at or above fail_on (or an expired "
             "suppression matching one); 2 = usage or configuration error; 3 = a tool could not run, including "
             "dependencies that could not be audited (unless allow_unaudited).")


def _severity(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    from secscan.models import Severity

    if value is None:
        return None
    try:
        return Severity.parse(value).label
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def overrides(fail_on: str | None, advisory_db: Path | None, allow_unaudited: bool,
              timeout: float | None) -> dict[str, Any]:
    """Dotted config keys for the options given (command line or environment), as `secscan static` does."""
    out: dict[str, Any] = {}
    if fail_on is not None:
        out["fail_on"] = fail_on
    if advisory_db is not None:
        out["advisory_db"] = str(advisory_db.resolve())
    if allow_unaudited:
        out["allow_unaudited"] = True
    if timeout is not None:
        out["timeout"] = timeout
    return out


@click.command(name="hook", epilog=EXIT_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--stage", type=click.Choice(["static", "deps", "api"]), default="static", show_default=True,
              help="static: bandit, semgrep and detect-secrets on FILES; deps: pip-audit on the dependency files "
                   "among FILES, else on every dependency file git tracks; api: the API probes from the config.")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Configuration file (default: discovered from the repository root).")
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Baseline (default: config baseline, else .secscan-baseline.json in the root if present).")
@click.option("--fail-on", callback=_severity, metavar="SEVERITY",
              help="low, medium, high or critical. [config: fail_on]")
@click.option("--advisory-db", type=click.Path(path_type=Path, file_okay=False), envvar="SECSCAN_ADVISORY_DB",
              help="Offline OSV advisory directory for the deps stage. [env: SECSCAN_ADVISORY_DB; config: advisory_db]")
@click.option("--allow-unaudited", is_flag=True,
              help="Pass the deps stage even when some dependencies could not be audited. [config: allow_unaudited]")
@click.option("--timeout", type=click.FloatRange(min=0.1), help="Seconds per tool. [config: timeout]")
@click.option("-o", "--output", type=click.Path(path_type=Path), metavar="PATH",
              help="Also write this call's SARIF (every run marked partialScan, so `secscan upload` refuses it). "
                   "A directory gets one file per call, so calls pre-commit splits do not overwrite each other.")
def hook(files: tuple[Path, ...], stage: str, config_file: Path | None, baseline: Path | None, fail_on: str | None,
         advisory_db: Path | None, allow_unaudited: bool, timeout: float | None, output: Path | None) -> None:
    """Pre-commit hook mode: scan only FILES (the staged files pre-commit passes) with the repository's config,
    excludes, suppressions and baseline. Prints one line per new finding and the verdict; never modifies a
    file and never uploads anything."""
    from secscan.hook import HookRequest, hook_lines, run_hook, write_partial_sarif

    request = HookRequest(stage=stage, files=files, config_file=config_file, baseline=baseline,
                          overrides=overrides(fail_on, advisory_db, allow_unaudited, timeout))
    try:
        result = run_hook(request)
        click.echo("\n".join(hook_lines(result)))
        if output is not None:
            write_partial_sarif(output, result)
    except SecscanError as exc:
        click.echo(f"secscan: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(result.verdict.exit_code)


def main(argv: Sequence[str] | None = None) -> None:
    hook.main(args=list(argv) if argv is not None else None, prog_name="secscan hook")


if __name__ == "__main__":
    main()
