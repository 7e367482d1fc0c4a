"""The one place that starts subprocesses: timeouts, process groups and per-child CPU time."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from secscan.errors import ToolMissing


@dataclass(frozen=True, slots=True)
class ProcResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    wall_seconds: float
    cpu_seconds: float
    timed_out: bool

    def describe(self, limit: int = 1200) -> str:
        """Command, return code and indented output, for error notifications."""
        out = (self.stderr.strip() or self.stdout.strip())[-limit:]
        body = "\n".join("    " + line for line in out.splitlines()) if out else "    (no output)"
        return f"{' '.join(self.argv)} exited {self.returncode}:\n{body}"


def run(
    argv: Sequence[str],
    *,
    timeout: float,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin_text: str | None = None,
) -> ProcResult:
    """Run argv to completion or until `timeout`, then kill its whole process group.

    Output goes to temporary files (no pipe deadlocks on big JSON), and the child is
    reaped with wait4 so its CPU time (including reaped grandchildren) is measured.
    """
    full_env = {**os.environ, **(env or {})}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(  # noqa: S603 - argv is built by secscan, never a shell string
                list(argv), cwd=cwd, env=full_env, stdout=out, stderr=err,
                stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                start_new_session=True,
            )
        except (FileNotFoundError, PermissionError, OSError) as exc:
            raise ToolMissing(f"cannot execute {argv[0]}: {exc.strerror or exc}") from exc
        timed_out = threading.Event()
        timer = threading.Timer(timeout, _kill_group, args=(proc.pid, timed_out))
        timer.start()
        try:
            if stdin_text is not None and proc.stdin is not None:
                _feed(proc.stdin, stdin_text)
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        return ProcResult(
            argv=tuple(argv), returncode=proc.returncode, stdout=_read(out), stderr=_read(err),
            wall_seconds=wall, cpu_seconds=usage.ru_utime + usage.ru_stime, timed_out=timed_out.is_set(),
        )


def _feed(pipe: object, text: str) -> None:
    try:
        pipe.write(text.encode())  # type: ignore[attr-defined]
        pipe.close()  # type: ignore[attr-defined]
    except BrokenPipeError:
        pass


def _kill_group(pid: int, flag: threading.Event) -> None:
    flag.set()
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _read(handle: IO[bytes]) -> str:
    handle.seek(0)
    return handle.read().decode("utf-8", errors="replace")
