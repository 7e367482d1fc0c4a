"""The static-tool interface, executable lookup and the shared run-and-parse skeleton."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Protocol

from secscan import proc
from secscan.errors import ToolError, ToolMissing
from secscan.models import Finding, Notification, Status, ToolRun
from secscan.targets import Targets

DEFAULT_TIMEOUT = 300.0


@dataclass(frozen=True, slots=True)
class ToolOptions:
    """Per-scan knobs shared by every adapter (one timeout per tool run, overridable per tool)."""

    timeout: float = DEFAULT_TIMEOUT
    advisory_db: Path | None = None
    allow_unaudited: bool = False
    extra_args: dict[str, tuple[str, ...]] = field(default_factory=dict)
    timeouts: dict[str, float] = field(default_factory=dict)  # per tool, wins over `timeout`

    def timeout_for(self, tool: str) -> float:
        return self.timeouts.get(tool, self.timeout)


class Tool(Protocol):
    """A static scanner adapter: adding one is a new module plus one entry in registry.TOOLS."""

    name: str
    information_uri: str

    def run(self, targets: Targets, options: ToolOptions) -> ToolRun: ...


def locate(executable: str) -> str:
    """SECSCAN_<NAME>_BIN if set, else PATH, else next to this interpreter (pipx/venv installs)."""
    override = os.environ.get(f"SECSCAN_{executable.upper().replace('-', '_')}_BIN")
    if override:
        found = shutil.which(override)
        if not found:
            raise ToolMissing(f"{executable} not found at {override} (from SECSCAN_{executable.upper().replace('-', '_')}_BIN)")
        return found
    search = os.pathsep.join([os.environ.get("PATH", ""), str(Path(sys.executable).parent)])
    found = shutil.which(executable, path=search)
    if not found:
        raise ToolMissing(f"{executable} is not installed or not on PATH")
    return found


def package_version(executable: str, distribution: str) -> str | None:
    """The tool's version when it lives in secscan's own environment (no extra process)."""
    if Path(executable).resolve().parent == Path(sys.executable).resolve().parent or Path(
        executable
    ).parent == Path(sys.executable).parent:
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            return None
    return None


Parser = Callable[[proc.ProcResult], tuple[list[Finding], list[Notification], str | None]]


def execute(name: str, argv: Sequence[str], options: ToolOptions, parse: Parser, **kw: object) -> ToolRun:
    """Run one tool process and turn every way it can go wrong into a ToolRun, never an exception."""
    timeout = options.timeout_for(name)
    try:
        result = proc.run(argv, timeout=timeout, **kw)  # type: ignore[arg-type]
    except ToolMissing as exc:
        return failed(name, Status.MISSING, str(exc), argv)
    if result.timed_out:
        return failed(name, Status.TIMEOUT, f"{name} timed out after {timeout:g} s", argv,
                      wall=result.wall_seconds, cpu=result.cpu_seconds)
    try:
        findings, notes, version = parse(result)
    except ToolError as exc:
        return failed(name, Status.FAILED, f"{exc}\n{result.describe()}", argv,
                      wall=result.wall_seconds, cpu=result.cpu_seconds)
    status = Status.FAILED if any(n.level == "error" for n in notes) else Status.OK
    return ToolRun(tool=name, status=status, findings=tuple(findings), notifications=tuple(notes),
                   version=version, command=tuple(argv), wall_seconds=result.wall_seconds,
                   cpu_seconds=result.cpu_seconds)


def failed(name: str, status: Status, message: str, argv: Sequence[str] = (), *, wall: float = 0.0,
           cpu: float = 0.0) -> ToolRun:
    return ToolRun(tool=name, status=status, notifications=(Notification("error", message),),
                   command=tuple(argv), wall_seconds=wall, cpu_seconds=cpu)


def merge_runs(name: str, runs: Sequence[ToolRun]) -> ToolRun:
    """Combine several invocations of one tool (file-list chunks, requirement groups) into one run."""
    statuses = [r.status for r in runs if not r.status.succeeded]
    return ToolRun(
        tool=name, status=statuses[0] if statuses else Status.OK,
        findings=tuple(f for r in runs for f in r.findings),
        notifications=tuple(n for r in runs for n in r.notifications),
        version=next((r.version for r in runs if r.version), None),
        command=runs[0].command if runs else (),
        wall_seconds=sum(r.wall_seconds for r in runs), cpu_seconds=sum(r.cpu_seconds for r in runs),
        extra_rules=tuple(rule for r in runs for rule in r.extra_rules),
    )


def chunk_args(paths: Sequence[str], budget: int = 100_000) -> list[list[str]]:
    """Split a file list so no command line exceeds `budget` characters."""
    chunks: list[list[str]] = [[]]
    size = 0
    for p in paths:
        if chunks[-1] and size + len(p) + 1 > budget:
            chunks.append([])
            size = 0
        chunks[-1].append(p)
        size += len(p) + 1
    return chunks
