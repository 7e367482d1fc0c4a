"""Baselines with the real tools on tmp git repos: what is recorded, what counts as new, what is absent."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from secscan.cli import cli
from secscan.errors import EXIT_OK, EXIT_POLICY_FAILED, EXIT_SCAN_ERROR, EXIT_USAGE
from tests.conftest import validate_sarif

APP = '''import subprocess


def run(cmd):
    return subprocess.call(cmd, shell=True)


def other():
    return 1
'''
SECRET = "AKIAIOSFODNN7EXAMPLE"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text(APP)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def _create(repo: Path, *extra: str) -> Path:
    result = _invoke("baseline", "create", str(repo), "--tools", "bandit", "-q", *extra)
    assert result.exit_code == EXIT_OK, result.output
    return repo / ".secscan-baseline.json"


def _states(repo: Path, *extra: str) -> tuple[int, dict[tuple[str, int], str], dict]:
    out = repo.parent / "out.sarif"
    result = _invoke("static", str(repo), "--tools", "bandit", "-q", "-o", str(out),
                     "--baseline", str(repo / ".secscan-baseline.json"), *extra)
    doc = json.loads(out.read_text())
    validate_sarif(doc)
    states = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]): r["baselineState"]
              for r in doc["runs"][0]["results"]}
    return result.exit_code, states, doc


def test_baseline_records_identity_only(repo: Path):
    path = _create(repo)
    data = json.loads(path.read_text())
    assert data["version"] == 1
    assert {(e["tool"], e["rule"], e["path"]) for e in data["findings"]} == {("bandit", "B602", "src/app.py"),
                                                                             ("bandit", "B404", "src/app.py")}
    for entry in data["findings"]:
        assert set(entry) == {"fingerprint", "tool", "rule", "path", "first_seen"}  # no line, message or snippet
        assert entry["first_seen"] == date.today().isoformat()


def test_unchanged_code_passes_and_a_second_create_is_refused(repo: Path):
    _create(repo)
    code, states, _ = _states(repo)
    assert code == EXIT_OK and set(states.values()) == {"unchanged"}
    again = _invoke("baseline", "create", str(repo), "--tools", "bandit", "-q")
    assert again.exit_code == EXIT_USAGE and "already exists" in again.output


@pytest.mark.parametrize("edit", [
    pytest.param(lambda t: "# a header\n# added later\nimport os\n\n" + t, id="lines-inserted-above"),
    pytest.param(lambda t: t.replace("subprocess.call(cmd, shell=True)", "subprocess.call( cmd,shell = True )"),
                 id="whitespace-reformatted"),
    pytest.param(lambda t: t.replace("    return subprocess", "        return subprocess").replace(
        "def run(cmd):", "def run(cmd):\n    if True:"), id="re-indented"),
    pytest.param(lambda t: "import subprocess\n\n\ndef other():\n    return 1\n\n\ndef run(cmd):\n"
                           "    return subprocess.call(cmd, shell=True)\n", id="other-code-moved"),
])
def test_moves_and_formatting_do_not_make_a_finding_new(repo: Path, edit):
    _create(repo)
    app = repo / "src" / "app.py"
    app.write_text(edit(APP))
    code, states, doc = _states(repo)
    assert code == EXIT_OK, states
    assert states and set(states.values()) == {"unchanged"}
    assert doc["properties"]["secscan"]["baseline"]["absent"] == []


def test_changing_the_flagged_code_makes_it_new_and_the_old_entry_absent(repo: Path):
    _create(repo)
    app = repo / "src" / "app.py"
    app.write_text(APP.replace("subprocess.call(cmd, shell=True)", "subprocess.call(cmd + ' -v', shell=True)"))
    code, states, doc = _states(repo)
    assert code == EXIT_POLICY_FAILED
    assert states == {("B602", 5): "new", ("B404", 1): "unchanged"}
    absent = doc["properties"]["secscan"]["baseline"]["absent"]
    assert [(a["ruleId"], a["path"]) for a in absent] == [("B602", "src/app.py")]
    notes = [n["message"]["text"] for n in doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]]
    assert any("no longer reported (absent): B602 in src/app.py" in n for n in notes)
    assert doc["properties"]["secscan"]["verdict"]["reasons"][0] == "1 new finding at or above high (1 bandit)"
    code, _, _ = _states(repo, "--config", str(_config(repo, "fail_on_existing = true\n")))
    assert code == EXIT_POLICY_FAILED


def _config(repo: Path, text: str) -> Path:
    path = repo / "secscan.toml"
    path.write_text(text)
    return path


def test_update_keeps_first_seen_adds_new_and_drops_absent(repo: Path):
    path = _create(repo)
    data = json.loads(path.read_text())
    for entry in data["findings"]:
        entry["first_seen"] = "2024-01-02"
    path.write_text(json.dumps(data))
    app = repo / "src" / "app.py"
    app.write_text(APP.replace("shell=True)", "shell=True, cwd='/')") + "\nimport pickle\n")
    result = _invoke("baseline", "update", str(repo), "--tools", "bandit", "-q")
    assert result.exit_code == EXIT_OK, result.output
    entries = {(e["rule"], e["first_seen"]) for e in json.loads(path.read_text())["findings"]}
    assert entries == {("B404", "2024-01-02"), ("B602", date.today().isoformat()), ("B403", date.today().isoformat())}


def test_baseline_never_holds_secret_values(repo: Path):
    (repo / "src" / "settings.py").write_text(f'AWS_ACCESS_KEY_ID = "{SECRET}"\n')
    path = _create(repo, "--tools", "detect-secrets")
    text = path.read_text()
    assert '"detect-secrets"' in text
    sha1 = hashlib.sha1(SECRET.encode()).hexdigest()
    for leak in (SECRET, SECRET[:2] + "…", sha1, sha1[:12], "line"):
        assert leak not in text


def test_baseline_from_sarif_and_a_failed_scan_writes_nothing(repo: Path, tmp_path: Path):
    out = tmp_path / "scan.sarif"
    assert _invoke("static", str(repo), "--tools", "bandit", "-q", "-o", str(out)).exit_code == EXIT_POLICY_FAILED
    validate_sarif(json.loads(out.read_text()))
    result = _invoke("baseline", "create", str(repo), "--from-sarif", str(out), "--file", str(tmp_path / "b.json"))
    assert result.exit_code == EXIT_OK, result.output
    assert len(json.loads((tmp_path / "b.json").read_text())["findings"]) == 2
    (repo / "src" / "broken.py").write_text("def broken(:\n")
    result = _invoke("baseline", "update", str(repo), "--tools", "bandit", "-q", "--file", str(tmp_path / "b2.json"))
    assert result.exit_code == EXIT_SCAN_ERROR and "no baseline written" in result.output
    assert not (tmp_path / "b2.json").exists()


@pytest.mark.parametrize(("content", "expected"), [
    ("", "baseline file is empty"),
    ("{not json", "not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)"),
    ("[]", "expected a JSON object"),
    ('{"version": 2, "findings": []}', "version: baseline format 2 is newer than this secscan supports (1)"),
    ('{"version": "1", "findings": []}', "version: Input should be a valid integer"),
    ('{"findings": []}', "version: Field required"),
    ('{"version": 1, "findings": [{"fingerprint": "00112233445566778899aabbccddeeff", "tool": "bandit", '
     '"rule": "B1", "path": "a.py", "first_seen": "last year"}]}',
     "findings[0].first_seen: not a date: 'last year' (expected YYYY-MM-DD)"),
    ('{"version": 1, "findings": [{"fingerprint": "00112233445566778899aabbccddeeff", "tool": "bandit", '
     '"rule": "B1", "path": "a.py", "first_seen": "2024-01-01", "line": 3}]}', "findings[0].line: unknown key"),
])
def test_bad_baseline_files_are_one_line_errors_exit_2_before_any_tool_runs(repo: Path, content: str, expected: str):
    bad = repo / "bad.json"
    bad.write_text(content)
    out = repo.parent / "never.sarif"
    result = _invoke("static", str(repo), "--tools", "bandit", "-o", str(out), "--baseline", str(bad))
    assert result.exit_code == EXIT_USAGE
    errors = [line for line in result.output.splitlines() if line.startswith("secscan: error:")]
    assert len(errors) == 1 and errors[0].startswith(f"secscan: error: bad.json: {expected}"), errors
    assert "Traceback" not in result.output and not out.exists() and "scanning" not in result.output
