"""Output helpers shared by the CLI commands (static, api, demo): SARIF file, stdout formats, stderr summary."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from scanner import report
from scanner.errors import UsageError
from scanner.models import Severity, ToolRun
from scanner.policy import Verdict
from scanner.sarif import dumps, to_sarif

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def severity_option(_ctx: click.Context, _param: click.Parameter, value: str) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def progress(run: ToolRun) -> None:
    stderr.print(f"  {run.tool}: {run.status.value}, {len(run.findings)} findings, {run.wall_seconds:.1f}s")


def emit(runs: Sequence[ToolRun], verdict: Verdict, output: str, fmt: str, root: Path) -> None:
    """SARIF to `output` ('-' = stdout); json/text findings to stdout."""
    text = dumps(to_sarif(runs, root))
    if output == "-":
        sys.stdout.write(text)
    else:
        write_file(Path(output), text)
    if fmt == "json":
        sys.stdout.write(json.dumps(report.to_json(runs, verdict), indent=2, sort_keys=True) + "\n")
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


def warn(runs: Sequence[ToolRun]) -> None:
    """Warnings change what results mean (credentials stopped working, budget, scope): printed even with -q."""
    for run in runs:
        for note in run.notifications:
            if note.level == "warning":
                stderr.print(f"[yellow]warning[/]: {run.tool}: {escape(note.message)}")
