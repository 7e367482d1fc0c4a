"""Running secscan (or a snippet) in a child process that cannot hurt the machine or hide a permission problem.

- `RLIMIT_AS` caps the child and every tool it starts, so a regression that feeds a huge file to a scanner fails
  (MemoryError, a failed run) instead of eating the machine. semgrep alone reserves about 3.5 GB of address space,
  hence 6 GiB.
- Tests run as root here, and `chmod 000` does not stop root. `without_dac_override` drops CAP_DAC_OVERRIDE and
  CAP_DAC_READ_SEARCH from the child's capability bounding set (prctl PR_CAPBSET_DROP); after exec the child is uid 0
  without them, so the kernel applies the mode bits to it like to anyone else: a really unreadable directory, no
  monkeypatching. As a normal user the mode bits apply anyway and nothing is dropped.
"""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

MEMORY_LIMIT = 6 * 2**30
_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2
_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded before any fork: preexec functions must not import


def without_dac_override() -> None:
    """preexec_fn: the child (and what it execs) can no longer bypass file permissions."""
    if os.geteuid() != 0:
        return
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if _LIBC.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"prctl(PR_CAPBSET_DROP, {cap}): {os.strerror(err)}")


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _preexec(drop_dac: bool) -> Callable[[], None]:
    def setup() -> None:
        limit_memory()
        if drop_dac:
            without_dac_override()
    return setup


def run_secscan(*args: str | Path, cwd: Path, drop_dac: bool = False,
                timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """`secscan ARGS` in a child process with the memory cap (and optionally without DAC override)."""
    return subprocess.run([sys.executable, "-m", "secscan.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, errors="replace", preexec_fn=_preexec(drop_dac), timeout=timeout)
