"""The subprocess layer: timeouts kill the whole process group, CPU time is measured, missing tools raise."""

from __future__ import annotations

import sys
import time

import pytest

from secscan.errors import ToolMissing
from secscan.proc import run


def test_output_and_exit_code_are_captured():
    result = run([sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(4)"],
                 timeout=30)
    assert (result.returncode, result.stdout, result.stderr) == (4, "out\n", "err\n")
    assert not result.timed_out


def test_timeout_kills_children_too():
    script = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'import time; time.sleep(60)'])"
    start = time.perf_counter()
    result = run([sys.executable, "-c", script], timeout=1.0)
    assert result.timed_out and time.perf_counter() - start < 10


def test_cpu_seconds_of_the_child_are_measured():
    result = run([sys.executable, "-c", "sum(i * i for i in range(3_000_000))"], timeout=60)
    assert result.cpu_seconds > 0.05


def test_stdin_is_fed():
    assert run([sys.executable, "-c", "import sys; print(sys.stdin.read()[::-1])"], timeout=30,
               stdin_text="abc").stdout == "cba\n"


def test_missing_executable_raises_tool_missing(tmp_path):
    with pytest.raises(ToolMissing, match="cannot execute"):
        run([str(tmp_path / "nope")], timeout=5)
