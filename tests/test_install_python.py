"""scripts/install.sh picks the newest CPython 3.11-3.13 it can actually run (bandit parses code as the interpreter
it runs under): python3.13 .. python3.11 and python3 on PATH, then pyenv's versions; broken shims are skipped."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

INSTALL = REPO / "scripts" / "install.sh"


def _functions() -> str:
    """install.sh's py_probe and newest_python functions (the rest of the script installs)."""
    text = INSTALL.read_text()
    return "\n".join(re.search(rf"(?ms)^{name}\(\) {{.*?^}}$", text).group(0)  # type: ignore[union-attr]
                     for name in ("py_probe", "newest_python"))


def _stub(directory: Path, name: str, body: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def _python(minor: int, where: Path) -> str:
    """A fake interpreter answering the probe like CPython 3.<minor> at `where`."""
    return f'echo "{minor} {where}"'


def _newest(tmp_path: Path, path_dirs: list[Path], pyenv_root: Path | None = None) -> subprocess.CompletedProcess[str]:
    bindir = tmp_path / "tools"  # what the functions need besides the candidates
    bindir.mkdir(exist_ok=True)
    for tool in ("sh", "bash"):
        target = shutil.which(tool)
        assert target
        (bindir / tool).unlink(missing_ok=True)
        (bindir / tool).symlink_to(target)
    if pyenv_root is not None:
        _stub(bindir, "pyenv", f'[ "$1" = root ] && echo "{pyenv_root}"')
    script = f"set -euo pipefail\nPY_MIN=11 PY_MAX=13\nlog() {{ echo \"$*\" >&2; }}\n{_functions()}\nnewest_python\n"
    env = {"PATH": os.pathsep.join(map(str, [*path_dirs, bindir])), "HOME": str(tmp_path)}
    return subprocess.run([str(bindir / "bash"), "-c", script], capture_output=True, text=True, env=env, timeout=30)


def test_the_newest_runnable_python_wins_and_shims_that_fail_are_skipped(tmp_path: Path):
    bin1 = tmp_path / "bin1"
    _stub(bin1, "python3.13", "echo 'pyenv: python3.13: command not found' >&2; exit 127")  # a pyenv shim
    _stub(bin1, "python3.12", _python(12, bin1 / "python3.12"))
    _stub(bin1, "python3.11", _python(11, bin1 / "python3.11"))
    _stub(bin1, "python3", _python(11, bin1 / "python3"))
    out = _newest(tmp_path, [bin1])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(bin1 / "python3.12")


def test_pyenv_versions_are_searched_too(tmp_path: Path):
    bin1 = tmp_path / "bin1"
    _stub(bin1, "python3", _python(11, bin1 / "python3"))
    root = tmp_path / "pyenv"
    for version, minor in (("3.12.1", 12), ("3.13.0", 13), ("3.10.13", 10)):
        where = root / "versions" / version / "bin"
        _stub(where, "python3", _python(minor, where / "python3"))
    out = _newest(tmp_path, [bin1], pyenv_root=root)
    assert out.stdout.strip() == str(root / "versions" / "3.13.0" / "bin" / "python3"), out.stderr


def test_versions_outside_the_supported_range_are_not_chosen(tmp_path: Path):
    bin1 = tmp_path / "bin1"
    _stub(bin1, "python3", _python(10, bin1 / "python3"))  # too old
    _stub(bin1, "python3.13", _python(14, bin1 / "python3.13"))  # claims a version not tested yet
    out = _newest(tmp_path, [bin1])
    assert out.returncode != 0 and out.stdout == ""
    assert "no CPython 3.11..3.13" in out.stderr


@pytest.mark.skipif(not Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv").is_dir(), reason="no pyenv")
def test_on_this_machine_the_script_finds_a_real_interpreter(tmp_path: Path):
    script = f"set -euo pipefail\nPY_MIN=11 PY_MAX=13\nlog() {{ echo \"$*\" >&2; }}\n{_functions()}\nnewest_python\n"
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    chosen = out.stdout.strip()
    version = subprocess.run([chosen, "-c", "import sys; print(sys.version_info[:2] >= (3, 11))"],
                             capture_output=True, text=True, timeout=30)
    assert version.stdout.strip() == "True"
