"""The static-tool interface: what a tool takes, how it is invoked and how its output is parsed.

A tool is one module with a class satisfying `Tool` and one entry in `secscan.tools.TOOLS`. The runner
(`secscan.runner`) owns the shared skeleton around it: locating the executable, splitting long file lists,
executing each invocation through `proc.run`, turning every failure into a `ToolRun`, and merging the pieces.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from secscan import proc
from secscan.errors import ToolMissing
from secscan.models import Finding, Notification
from secscan.targets import Targets

if TYPE_CHECKING:
    from secscan.config import SecscanConfig

DEFAULT_TIMEOUT = 300.0
Stage = Literal["static", "deps"]  # which pre-commit hook stage runs the tool
SECSCAN_PYTHON = ""  # `Tool.executable` for tools that run as a worker of secscan's own interpreter


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one invocation reported. Notifications of level `error` make the run a failed one."""

    findings: Sequence[Finding] = ()
    notifications: Sequence[Notification] = ()
    version: str | None = None


Parser = Callable[[proc.ProcResult], Parsed]


@dataclass(frozen=True, slots=True)
class Invocation:
    """One process to run. `files` are appended to `argv`; the runner splits them over several processes when
    the command line would get too long."""

    argv: tuple[str, ...]
    parse: Parser
    files: tuple[str, ...] = ()
    cwd: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    stdin: str | None = None


@dataclass(frozen=True, slots=True)
class ToolPlan:
    """Everything a tool wants run for one scan, plus notes it made while preparing (e.g. unpinned deps)."""

    invocations: Sequence[Invocation] = ()
    notifications: Sequence[Notification] = ()
    version: str | None = None


@dataclass(frozen=True, slots=True)
class ToolContext:
    """Per-scan settings handed to a tool: its timeout and extra arguments, and the configuration, from which a
    tool reads its own options (e.g. pip-audit's `advisory_db`)."""

    targets: Targets
    config: SecscanConfig
    timeout: float = DEFAULT_TIMEOUT
    extra_args: tuple[str, ...] = ()  # secscan's native reporting arguments, then the user's
    user_args: tuple[str, ...] = ()  # the user's `extra_args` alone (noted on the run)


class Tool(Protocol):
    """A static scanner adapter: name, hook stage, executable, which files it takes, and its invocations."""

    name: str
    stage: Stage
    executable: str  # looked up by the runner; SECSCAN_PYTHON runs a worker with secscan's interpreter
    information_uri: str
    nothing_to_scan: str  # the note when `files()` is empty, e.g. "no Python files to scan"
    # Native options a user may not pass in `extra_args`: they change which files are scanned or what is reported
    # (secscan's exclude, suppressions and fail_on do that visibly), or the output secscan parses. () with
    # `takes_extra_args = False`: the tool takes none at all.
    refused_args: tuple[str, ...]
    takes_extra_args: bool

    def files(self, targets: Targets) -> Sequence[Path]: ...

    def plan(self, exe: str, files: Sequence[str], ctx: ToolContext) -> AbstractContextManager[ToolPlan]:
        """The invocations for `files` (repo-relative). A context manager: resources the invocations need (a
        temporary directory, a local advisory server) stay alive until the runner has executed them."""
        ...


def locate(executable: str) -> str:
    """`SECSCAN_<TOOL>_BIN`, then PATH, then next to secscan's own interpreter; ToolMissing otherwise."""
    if executable == SECSCAN_PYTHON:
        return sys.executable
    variable = f"SECSCAN_{executable.upper().replace('-', '_')}_BIN"
    override = os.environ.get(variable)
    if override:
        found = shutil.which(override)
        if not found:
            raise ToolMissing(f"{executable} not found at {override} (from {variable})")
        return found
    search = os.pathsep.join([os.environ.get("PATH", ""), str(Path(sys.executable).parent)])
    found = shutil.which(executable, path=search)
    if not found:
        raise ToolMissing(f"{executable} is not installed or not on PATH")
    return found


def package_version(executable: str, distribution: str) -> str | None:
    """The tool's version when it lives in secscan's own environment (no extra process)."""
    exe_dir, own_dir = Path(executable).parent, Path(sys.executable).parent
    if exe_dir == own_dir or exe_dir.resolve() == own_dir.resolve():
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            return None
    return None


def chunk_args(paths: Sequence[str], budget: int = 100_000) -> Iterator[tuple[str, ...]]:
    """Split a file list so that no command line exceeds `budget` characters (one empty chunk for no files)."""
    chunk: list[str] = []
    size = 0
    for p in paths:
        if chunk and size + len(p) + 1 > budget:
            yield tuple(chunk)
            chunk, size = [], 0
        chunk.append(p)
        size += len(p) + 1
    yield tuple(chunk)
