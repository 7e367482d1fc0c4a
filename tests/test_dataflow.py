"""bandit sink findings that secscan's taint rules analysed and cleared (issue 11, point 3): with the real bandit and
semgrep on a small tree, a sink in a route handler that no request data reaches is kept but suppressed with a
justification naming the taint rule; a sink in a helper with ordinary parameters, or where the taint rule did not
run, stays as bandit rated it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from secscan.cli import cli
from secscan.dataflow import FLOW_SINK_TESTS, taint_rules
from secscan.errors import EXIT_OK, EXIT_POLICY_FAILED
from secscan.tools.semgrep import rules_dir
from tests.conftest import validate_sarif

pytestmark = pytest.mark.slow  # real tools

APP = '''import subprocess

from flask import Flask, request

app = Flask(__name__)
BACKUP = "tar czf /backups/site.tgz /srv/site"


@app.post("/admin/backup")
def backup():
    subprocess.call(BACKUP, shell=True)
    return {"ok": True}


def archive(folder):
    subprocess.call("tar czf /tmp/a.tgz " + folder, shell=True)


@app.post("/admin/archive")
def archive_view():
    archive(request.form["folder"])
    return {"ok": True}


@app.post("/admin/run")
def run_view():
    subprocess.call("echo " + request.form["text"], shell=True)
    return {"ok": True}
'''


def _scan(tmp_path: Path, *extra: str, config: str = "") -> tuple[int, dict, dict]:
    root = tmp_path / "repo"
    root.mkdir(parents=True)
    (root / "app.py").write_text(APP)
    if config:
        (root / ".secscan.toml").write_text(config)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    out = tmp_path / "out.sarif"
    result = CliRunner().invoke(cli, ["static", str(root), "-o", str(out), "--format", "json", *extra])
    assert result.exit_code in (EXIT_OK, EXIT_POLICY_FAILED), result.output
    sarif = json.loads(out.read_text())
    validate_sarif(sarif)
    return result.exit_code, json.loads(result.stdout), sarif


def _bandit(data: dict) -> dict[int, dict]:
    return {f["line"]: f for f in data["findings"] if f["tool"] == "bandit" and f["rule"] in ("B602",)}


def test_a_sink_no_request_data_reaches_in_a_handler_is_kept_but_does_not_count(tmp_path: Path):
    code, data, sarif = _scan(tmp_path, "--tools", "bandit,semgrep")
    b602 = _bandit(data)
    assert set(b602) == {11, 16, 27}, b602
    cleared = b602[11]["suppression"]
    assert cleared is not None and cleared["status"] == "accepted" and cleared["kind"] == "external"
    assert "command-injection-taint" in cleared["justification"] and "backup()" in cleared["justification"]
    # The helper takes its command through a parameter the intraprocedural analysis cannot follow: kept.
    assert b602[16]["suppression"] is None and b602[16]["duplicateOf"] is None
    # Request data reaches line 27: semgrep reports it and bandit's finding is its duplicate, not "cleared".
    assert b602[27]["duplicateOf"] is not None and b602[27]["suppression"] is None
    assert code == EXIT_POLICY_FAILED
    results = [r for run in sarif["runs"] for r in run["results"] if r["ruleId"] == "B602"]
    line11 = next(r for r in results if r["locations"][0]["physicalLocation"]["region"]["startLine"] == 11)
    assert line11["suppressions"][0]["justification"].startswith("not confirmed by data-flow analysis")


def test_without_the_taint_rule_nothing_is_cleared(tmp_path: Path):
    _, data, _ = _scan(tmp_path, "--tools", "bandit")
    assert all(f["suppression"] is None for f in _bandit(data).values())
    _, data, _ = _scan(tmp_path / "disabled", "--tools", "bandit,semgrep",
                       config='[rules.command-injection-taint]\nenabled = false\n')
    assert not [f for f in data["findings"] if f["rule"] == "command-injection-taint"], "the config applied"
    assert all(f["suppression"] is None for f in _bandit(data).values())


def test_every_taint_family_of_the_pack_is_known_and_only_sink_tests_are_cleared():
    families = taint_rules(rules_dir())
    assert {"sql-injection", "os-command-injection", "code-injection", "deserialization", "xxe", "ssrf",
            "path-traversal", "open-redirect", "xss", "xpath-injection", "ldap-injection"} <= set(families)
    assert families["os-command-injection"] == "command-injection-taint"
    assert not {"B201", "B311", "B324", "B404", "B501", "B701"} & FLOW_SINK_TESTS
