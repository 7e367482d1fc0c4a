"""README command 1: `secscan demo` runs the static tools and the API probes end to end into one valid SARIF."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import validate_sarif

pytestmark = pytest.mark.slow  # real tools, real servers (see the slow marker in pyproject.toml)


def test_demo_writes_every_run_and_says_what_the_gate_would_do(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("secscan")
    result = subprocess.run([str(exe), "demo", "-o", "demo.sarif", "--html", "demo.html"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    doc = json.loads((tmp_path / "demo.sarif").read_text(encoding="utf-8"))
    validate_sarif(doc)
    runs = {run["tool"]["driver"]["name"]: run for run in doc["runs"]}
    assert set(runs) == {"bandit", "semgrep", "pip-audit", "detect-secrets", "secscan-api"}
    assert all(run["invocations"][0]["executionSuccessful"] and run["results"] for run in runs.values())
    assert "FAIL (the gate would exit 1): " in result.stderr and "(exit 1)" not in result.stderr
    html = (tmp_path / "demo.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and len(html.encode()) < 450_000  # ~170 findings, one page
    assert result.stderr.splitlines()[-3:-1] == ["SARIF: demo.sarif", "HTML: demo.html"]
