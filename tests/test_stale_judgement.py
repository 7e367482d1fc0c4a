"""Stale suppressions are judged only for tools that ran successfully and could have reported the entry (issue 12
point 5): a rule without a tool belongs to the tools that know that rule; a bare fingerprint needs every tool."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from secscan.cli import cli
from secscan.config import SecscanConfig
from secscan.errors import EXIT_POLICY_FAILED
from secscan.models import API_TOOL, Status, ToolRun
from secscan.postprocess import finalize, producers
from secscan.suppressions import parse_ignore_text
from tests.conftest import validate_sarif
from tests.report_support import finding

IGNORE = ("suppressions:\n"
          "  - rule: sql-injection-taint\n    path: '**'\n    reason: a semgrep rule, no tool named\n"
          "  - rule: B101\n    path: '**'\n    reason: a bandit rule, no tool named\n"
          "  - fingerprint: 0123456789abcdef0123456789abcdef\n    reason: any tool's\n"
          "  - rule: bola\n    path: openapi.json\n    reason: an API rule\n")


def _stale(*runs: ToolRun, config: SecscanConfig | None = None) -> list[str]:
    ignore = parse_ignore_text(IGNORE, "ig.yaml")
    done = finalize(list(runs), Path("/nonexistent"), config, ignore=ignore, today=date(2026, 1, 1))
    return [line.split(" (", 1)[1].split(")", 1)[0] for line in done.review.stale]


def test_an_entry_is_judged_only_by_tools_that_ran_and_could_report_it():
    ok = {name: ToolRun(name, Status.OK) for name in ("bandit", "semgrep", "pip-audit", "detect-secrets", API_TOOL)}
    assert _stale(ok["bandit"], ok["detect-secrets"]) == ["rule B101, path **"]
    assert _stale(ok["bandit"], ToolRun("semgrep", Status.MISSING)) == ["rule B101, path **"]
    every_static = [ok[n] for n in ("bandit", "semgrep", "pip-audit", "detect-secrets")]
    assert _stale(*every_static) == ["rule sql-injection-taint, path **", "rule B101, path **",
                                     "fingerprint 0123456789abcdef0123456789abcdef"]
    with_api = SecscanConfig.model_validate({"api": {"openapi": "openapi.json", "tokens": "t.yaml"}})
    assert _stale(*every_static, config=with_api) == ["rule sql-injection-taint, path **", "rule B101, path **"]
    assert _stale(*every_static, ok[API_TOOL], config=with_api)[-2:] == [
        "fingerprint 0123456789abcdef0123456789abcdef", "rule bola, path openapi.json"]


def test_the_tools_that_could_report_a_rule():
    assert producers("B602", []) == {"bandit"} and producers("sql-injection-taint", []) == {"semgrep"}
    assert producers("PYSEC-2019-1", []) == {"pip-audit"} and producers("aws-access-key", []) == {"detect-secrets"}
    assert producers("bola", []) == {API_TOOL}
    foreign = ToolRun("Trivy", Status.OK, (finding("Trivy", "B602", "a.py", 1),))  # a run that knows the rule
    assert producers("B602", [foreign]) == {"Trivy"}


@pytest.mark.slow  # real bandit and detect-secrets
def test_a_semgrep_rule_entry_is_not_stale_when_semgrep_did_not_run(tmp_path: Path):
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, "
                                         "shell=True)\n")
    (root / ".secscan-ignore.yaml").write_text(IGNORE)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    report = tmp_path / "r.html"
    result = CliRunner().invoke(cli, ["static", str(root), "--tools", "bandit,detect-secrets", "-q",
                                      "-o", str(tmp_path / "s.sarif"), "--html", str(report)])
    assert result.exit_code == EXIT_POLICY_FAILED, result.output
    doc = json.loads((tmp_path / "s.sarif").read_text())
    validate_sarif(doc)
    stale = [line for line in result.stderr.splitlines() if "stale suppression" in line]
    assert stale == ["warning: stale suppression: .secscan-ignore.yaml:5 (rule B101, path **) matches no finding"]
    assert doc["properties"]["secscan"]["suppressions"]["stale"] == [
        ".secscan-ignore.yaml:5 (rule B101, path **) matches no finding"]
    html = report.read_text()
    assert "Stale suppressions (1)" in html and "sql-injection-taint" not in html
