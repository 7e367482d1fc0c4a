"""The rule pack ships inside the installed package, and the console script works as a real process."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from secscan.tools.semgrep import rules_dir
from tests.conftest import REPO


@pytest.mark.slow
def test_wheel_contains_every_rule_yaml(tmp_path: Path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                            "-w", str(tmp_path), str(REPO)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("secscan-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"secscan_rules/{p.name}" for p in (REPO / "rules").glob("*.yaml")}
    assert len(expected) >= 30 and expected <= names
    assert "secscan_probes/probes/auth/data/jwt-secrets.txt" in names


def test_every_package_directory_is_in_the_wheel_list():
    """A new probe subpackage (or any package) must be named in pyproject.toml, or the wheel silently lacks it."""
    import tomllib

    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    mapping = data["package-dir"]
    found = set()
    for name, directory in mapping.items():
        base = REPO / directory
        found |= {".".join([name, *init.parent.relative_to(base).parts]) for init in base.rglob("__init__.py")
                  if not {"__pycache__", "static_vuln", "static_fixed"} & set(init.parts)}
    assert found == set(data["packages"])


def test_rules_dir_resolves_to_the_installed_pack():
    assert len(list(rules_dir().glob("*.yaml"))) >= 30


def test_console_script_help_lists_exit_codes():
    exe = Path(sys.executable).with_name("secscan")
    result = subprocess.run([str(exe), "static", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "3 = a scanner could not run" in " ".join(result.stdout.split())
