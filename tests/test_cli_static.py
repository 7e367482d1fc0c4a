"""`secscan static` end to end through click: every exit-code path and every bad-input case.

Real tools run on a tiny tree; a broken tool is a real fake executable placed first on PATH.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from secscan.cli import cli
from secscan.errors import EXIT_OK, EXIT_POLICY_FAILED, EXIT_SCAN_ERROR, EXIT_USAGE
from tests.conftest import ADVISORIES, validate_sarif

pytestmark = pytest.mark.slow  # real tools, real servers (see the slow marker in pyproject.toml)

VULNERABLE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text(VULNERABLE)
    (root / "requirements.txt").write_text("# pinned\nrequests==2.19.0\n")
    return root


def _scan(root: Path, *args: str, env: dict[str, str] | None = None):
    out = root.parent / "out.sarif"
    result = CliRunner().invoke(cli, ["static", str(root), "-o", str(out), "--advisory-db", str(ADVISORIES), *args],
                                env=env)
    doc = json.loads(out.read_text()) if out.exists() else None
    if doc is not None:
        validate_sarif(doc)
    return result, doc


def _runs(doc: dict) -> dict[str, dict]:
    return {run["tool"]["driver"]["name"]: run for run in doc["runs"]}


def _fake(bin_dir: Path, name: str, body: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def _one_error_line(output: str) -> None:
    assert "Traceback" not in output
    assert len([line for line in output.splitlines() if line.startswith("secscan: error:")]) <= 1


def test_findings_at_or_above_high_exit_1_with_every_tool(tree: Path):
    result, doc = _scan(tree)
    notes = [n["message"]["text"] for r in doc["runs"] for n in r["invocations"][0].get("toolExecutionNotifications", [])]
    assert result.exit_code == EXIT_POLICY_FAILED, (result.output, notes)
    runs = _runs(doc)
    assert set(runs) == {"bandit", "semgrep", "pip-audit", "detect-secrets"}
    assert all(r["invocations"][0]["executionSuccessful"] for r in runs.values())
    assert {r["ruleId"] for r in runs["bandit"]["results"]} >= {"B602"}
    assert runs["pip-audit"]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 2


def test_fail_on_critical_passes_with_exit_0(tree: Path):
    result, _ = _scan(tree, "--fail-on", "critical", "--tools", "bandit")
    assert result.exit_code == EXIT_OK, result.output


def test_json_and_text_formats(tree: Path):
    result, _ = _scan(tree, "--tools", "bandit", "--format", "json", "-q")
    data = json.loads(result.stdout)
    assert data["verdict"]["exitCode"] == EXIT_POLICY_FAILED
    assert {(f["rule"], f["path"], f["line"]) for f in data["findings"]} >= {("B602", "src/app.py", 5)}
    result, _ = _scan(tree, "--tools", "bandit", "--format", "text", "-q")
    assert "src/app.py:5: HIGH [bandit B602]" in result.stdout


def test_nonexistent_path_is_exit_2_with_one_line_and_no_output_file(tmp_path: Path):
    out = tmp_path / "out.sarif"
    result = CliRunner().invoke(cli, ["static", str(tmp_path / "missing"), "-o", str(out)])
    assert result.exit_code == EXIT_USAGE
    assert "secscan: error: path does not exist" in result.output
    _one_error_line(result.output)
    assert not out.exists()


@pytest.mark.parametrize("args", [["--tools", "bandit,nope"], ["--fail-on", "severe"], ["--timeout", "0"]])
def test_bad_options_are_exit_2(tree: Path, args: list[str]):
    result = CliRunner().invoke(cli, ["static", str(tree), *args])
    assert result.exit_code == EXIT_USAGE and "Traceback" not in result.output


def test_syntax_error_fails_bandit_but_keeps_the_other_results(tree: Path):
    (tree / "src" / "broken.py").write_text("def broken(:\n")
    result, doc = _scan(tree, "--tools", "bandit,pip-audit")
    assert result.exit_code == EXIT_SCAN_ERROR
    runs = _runs(doc)
    bandit = runs["bandit"]["invocations"][0]
    assert not bandit["executionSuccessful"]
    assert "src/broken.py" in bandit["toolExecutionNotifications"][0]["message"]["text"]
    assert runs["bandit"]["results"] and runs["pip-audit"]["results"]  # nothing found before is lost
    _one_error_line(result.output)


def test_missing_tool_binary_is_recorded_and_others_still_written(tree: Path):
    result, doc = _scan(tree, "--tools", "bandit,pip-audit", env={"SECSCAN_PIP_AUDIT_BIN": "/nonexistent/pip-audit"})
    assert result.exit_code == EXIT_SCAN_ERROR
    runs = _runs(doc)
    note = runs["pip-audit"]["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert "pip-audit not found" in note and runs["pip-audit"]["invocations"][0]["properties"]["status"] == "missing"
    assert runs["bandit"]["results"]


@pytest.mark.parametrize("body", ["echo 'Traceback (most recent call last):'; exit 1", "echo '<html>garbage'; exit 0",
                                  "kill -SEGV $$"])
def test_crashing_or_garbage_tool_is_a_failed_run(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str):
    _fake(tmp_path / "bin", "bandit", body)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{__import__('os').environ['PATH']}")
    result, doc = _scan(tree, "--tools", "bandit,pip-audit")
    assert result.exit_code == EXIT_SCAN_ERROR
    runs = _runs(doc)
    assert runs["bandit"]["invocations"][0]["executionSuccessful"] is False
    assert runs["pip-audit"]["results"]
    assert "error: bandit:" in result.output
    _one_error_line(result.output)  # the fake's own text stays in the SARIF notification, not on the terminal


def test_tool_exceeding_its_timeout_is_killed_and_recorded(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _fake(tmp_path / "bin", "semgrep", "sleep 60")
    monkeypatch.delenv("SECSCAN_SEMGREP_BIN", raising=False)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{__import__('os').environ['PATH']}")
    result, doc = _scan(tree, "--tools", "bandit,semgrep", "--timeout", "8")
    assert result.exit_code == EXIT_SCAN_ERROR
    runs = _runs(doc)
    semgrep = runs["semgrep"]["invocations"][0]
    assert semgrep["properties"]["status"] == "timeout"
    assert "timed out after 8 s" in semgrep["toolExecutionNotifications"][0]["message"]["text"]
    assert runs["bandit"]["results"]
