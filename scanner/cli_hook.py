"""`secscan hook`: the pre-commit entry point, also runnable as `python -P -m secscan.cli_hook` (a light import:
the pipeline it goes through imports neither rich, sarif_om, schemathesis nor the probes until it needs them)."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from secscan import pipeline
from secscan.errors import SecscanError, UsageError
from secscan.models import Finding, Severity
from secscan.policy import counts
from secscan.report import finding_line

EXIT_HELP = ("Exit codes: 0 = no new finding at or above fail_on; 1 = new findings at or above fail_on (or an expired "
             "suppression matching one); 2 = usage or configuration error; 3 = a tool could not run, including "
             "dependencies that could not be audited (unless allow_unaudited).")


def _severity(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return Severity.parse(value).label
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def overrides(fail_on: str | None, advisory_db: Path | None, allow_unaudited: bool,
              timeout: float | None, baseline: Path | None) -> dict[str, Any]:
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
    if baseline is not None:
        out["baseline"] = str(baseline.resolve())
    return out


def hook_request(stage: str, files: Sequence[Path], config_file: Path | None, options: dict[str, Any],
                 cwd: Path | None = None) -> pipeline.ScanRequest:
    """One hook call: its files, the repository's config, suppressions and baseline, judged on its own."""
    start = cwd or Path.cwd()
    if stage == "api":
        return pipeline.ScanRequest(start=start, static=False, hook_api=True, config_file=config_file,
                                    overrides=options, default_baseline=True)
    if stage not in ("static", "deps"):
        raise UsageError(f"unknown stage {stage!r} (choose from static, deps, api)")
    return pipeline.ScanRequest(start=start, paths=tuple(files), stage="static" if stage == "static" else "deps",
                                config_file=config_file, overrides=options, default_baseline=True,
                                timeout_for_all="timeout" in options)


def new_findings(result: pipeline.ScanResult) -> list[Finding]:
    """Findings that take part in the verdict (not suppressed; with a baseline only new ones), any severity."""
    found = [f for r in result.runs for f in r.findings if counts(f, result.policy)]
    return sorted(found, key=lambda f: (f.location.path, f.location.start_line, f.tool, f.rule.id))


def stage_of(result: pipeline.ScanResult) -> str:
    return "api" if result.plan.request.hook_api else str(result.plan.request.stage)


def hook_lines(result: pipeline.ScanResult) -> list[str]:
    """One line per new finding, one per tool error or warning (warnings change what a pass means, e.g.
    unaudited dependencies), then the verdict."""
    lines = [finding_line(f) for f in new_findings(result)]
    lines += [f"secscan: {n.level}: {r.tool}: {n.message.splitlines()[0]}"
              for r in result.runs for n in r.notifications if n.level in ("error", "warning")]
    lines += [f"secscan: warning: {w}" for w in result.review.warnings]  # e.g. an inline marker not honoured
    word = "PASS" if result.verdict.passed else "FAIL"
    stage = stage_of(result)
    scope = "API" if stage == "api" else f"{len(result.scanned)} file{'s' if len(result.scanned) != 1 else ''}"
    reasons = "; ".join(result.verdict.reasons)
    return [*lines, f"secscan hook ({stage}, {scope}): {word} (exit {result.verdict.exit_code}): {reasons}"]


def sarif_path(output: Path, result: pipeline.ScanResult) -> Path:
    """`output` itself, or for a directory one file per call, named after the stage and the files it covered
    (pre-commit may split one commit into several calls: they must not overwrite each other)."""
    if not output.is_dir():
        return output
    digest = hashlib.sha256("\0".join(result.scanned).encode()).hexdigest()[:12]
    return output / f"secscan-hook-{stage_of(result)}-{digest}.sarif"


def write_partial_sarif(output: Path, result: pipeline.ScanResult) -> Path:
    """This call's SARIF; every run is marked `properties.partialScan: true` (never uploadable)."""
    from secscan.sarif import dumps, to_sarif  # sarif_om is slow to import: only when --output is given

    doc = to_sarif(result.runs, result.root, result.review, result.verdict)
    for run in doc.get("runs", []):
        run.setdefault("properties", {})["partialScan"] = True
    target = sarif_path(output, result)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dumps(doc), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target


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
    try:
        options = overrides(fail_on, advisory_db, allow_unaudited, timeout, baseline)
        result = pipeline.run(hook_request(stage, files, config_file, options))
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
