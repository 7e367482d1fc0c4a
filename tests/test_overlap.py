"""One finding per flaw: bandit and semgrep reporting the same CWE family at the same place count once in the
verdict, the summary and the text/JSON outputs, naming both tools; the SARIF keeps both runs and marks the
duplicate (an `external` suppression naming the finding that counts, which `secscan upload` leaves out)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from secscan import overlap, pipeline, report
from secscan.cli import cli
from secscan.errors import EXIT_POLICY_FAILED
from secscan.fingerprints import annotate
from secscan.models import Finding, Location, Rule, Severity, Status, Suppression, ToolRun
from secscan.policy import Policy, decide
from secscan.sarif import to_sarif
from secscan.sarif_checks import prepare_for_upload
from tests.conftest import validate_sarif

SOURCE = "\n".join(f"line_{n} = {n}" for n in range(1, 41)) + "\n"


def _f(tool: str, rule: str, cwe: tuple[int, ...], line: int, severity: Severity = Severity.HIGH, *,
       end: int | None = None, path: str = "app.py", state: str | None = None,
       suppression: Suppression | None = None) -> Finding:
    return Finding(tool=tool, rule=Rule(id=rule, title=rule, description=rule, severity=severity, cwe=cwe),
                   message=f"{tool} says {rule}", location=Location(path, line, end), severity=severity,
                   baseline_state=state, suppression=suppression)


def _runs(*findings: Finding) -> list[ToolRun]:
    tools = dict.fromkeys(f.tool for f in findings)
    return [ToolRun(t, Status.OK, tuple(f for f in findings if f.tool == t)) for t in tools]


def _all(runs: list[ToolRun]) -> dict[tuple[str, str], Finding]:
    return {(f.tool, f.rule.id): f for r in runs for f in r.findings}


def test_same_family_same_line_is_one_flaw_counted_at_its_most_severe_finding():
    runs = overlap.mark(_runs(_f("bandit", "B608", (89,), 13, Severity.MEDIUM),
                              _f("semgrep", "sql-injection-taint", (89,), 13, Severity.CRITICAL)))
    found = _all(runs)
    primary, duplicate = found["semgrep", "sql-injection-taint"], found["bandit", "B608"]
    assert duplicate.duplicate_of is not None and duplicate.duplicate_of.label == \
        "semgrep sql-injection-taint at app.py:13"
    assert primary.duplicate_of is None and [d.rule for d in primary.duplicates] == ["B608"]
    verdict = decide(runs, Policy())
    assert verdict.reasons == ("1 finding at or above high (1 bandit+semgrep)",)
    assert verdict.notes == ("1 duplicate finding (the same flaw as another tool's finding, counted once)",)


def test_the_more_severe_tool_counts_and_semgrep_wins_a_tie():
    runs = overlap.mark(_runs(_f("bandit", "B602", (78,), 5, Severity.HIGH),
                              _f("semgrep", "command-injection-taint", (78,), 5, Severity.MEDIUM)))
    assert _all(runs)["semgrep", "command-injection-taint"].duplicate_of is not None
    tie = overlap.mark(_runs(_f("bandit", "B602", (78,), 5), _f("semgrep", "command-injection-taint", (78,), 5)))
    assert _all(tie)["bandit", "B602"].duplicate_of is not None


def test_a_flaw_the_baseline_knows_stays_known_when_a_second_tool_reports_it():
    runs = overlap.mark(_runs(_f("bandit", "B608", (89,), 7, state="unchanged"),
                              _f("semgrep", "sql-injection-taint", (89,), 7, state="new")))
    assert _all(runs)["semgrep", "sql-injection-taint"].duplicate_of is not None
    verdict = decide(runs, Policy())
    assert verdict.exit_code == 0 and verdict.reasons == ("no new finding at or above high",)


@pytest.mark.parametrize("bandit,semgrep", [
    (_f("bandit", "B608", (89,), 13), _f("semgrep", "xss-reflected-taint", (79,), 13)),  # other family
    (_f("bandit", "B608", (89,), 13), _f("semgrep", "sql-injection-taint", (89,), 15)),  # other line
    (_f("bandit", "B608", (89,), 13), _f("semgrep", "sql-injection-taint", (89,), 13, path="b.py")),  # other file
    (_f("bandit", "B608", (), 13), _f("semgrep", "sql-injection-taint", (89,), 13)),  # no CWE
    (_f("semgrep", "a", (89,), 13), _f("semgrep", "b", (89,), 13)),  # one tool: its own rules' business
    (_f("bandit", "B105", (259,), 3), _f("detect-secrets", "secret-keyword", (798,), 3)),  # not a code analyser
])
def test_different_flaws_or_other_tools_are_left_alone(bandit: Finding, semgrep: Finding):
    runs = overlap.mark(_runs(bandit, semgrep))
    assert all(f.duplicate_of is None and not f.duplicates for r in runs for f in r.findings)


def test_families_and_overlapping_line_ranges_match():
    # bandit's eval (normalised to CWE-95) and semgrep's code injection (CWE-94/95); a multi-line call
    runs = overlap.mark(_runs(_f("bandit", "B307", (95,), 21, end=23),
                              _f("semgrep", "code-injection-taint", (94, 95), 22, Severity.CRITICAL)))
    assert _all(runs)["bandit", "B307"].duplicate_of is not None
    assert overlap.families(Rule("x", "x", "x", Severity.LOW, cwe=(564, 1234))) == {"sql-injection", "CWE-1234"}


def test_a_suppressed_finding_does_not_hide_the_other_tools_finding():
    marker = Suppression(kind="inSource", justification="reviewed", source="app.py:13 # nosemgrep")
    runs = overlap.mark(_runs(_f("bandit", "B608", (89,), 13),
                              _f("semgrep", "sql-injection-taint", (89,), 13, suppression=marker)))
    assert all(f.duplicate_of is None and not f.duplicates for r in runs for f in r.findings)
    assert decide(runs, Policy()).reasons == ("1 finding at or above high (1 bandit)",)


def test_one_primary_covers_every_other_tool_finding_of_the_flaw_and_duplicates_cover_nothing():
    runs = overlap.mark(_runs(_f("semgrep", "command-injection-taint", (78,), 9, Severity.CRITICAL),
                              _f("bandit", "B602", (78,), 9), _f("bandit", "B607", (78,), 9, Severity.LOW)))
    found = _all(runs)
    assert [d.rule for d in found["semgrep", "command-injection-taint"].duplicates] == ["B602", "B607"]
    assert decide(runs, Policy()).reasons == ("1 finding at or above high (1 bandit+semgrep)",)


def _scanned(tmp_path: Path) -> list[ToolRun]:
    (tmp_path / "app.py").write_text(SOURCE)
    findings = [_f("bandit", "B608", (89,), 13, Severity.MEDIUM),
                _f("semgrep", "sql-injection-taint", (89,), 13, Severity.CRITICAL),
                _f("semgrep", "xss-reflected-taint", (79,), 14)]
    annotated = annotate(findings, tmp_path)
    return overlap.mark(_runs(*annotated))


def test_text_and_json_count_the_flaw_once_and_name_both_tools(tmp_path: Path):
    runs = _scanned(tmp_path)
    lines = report.text_lines(runs).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("app.py:13: CRITICAL [semgrep sql-injection-taint]")
    assert lines[0].endswith("(also reported by bandit B608)")
    data = report.to_json(runs, decide(runs, Policy()))
    assert {t["tool"]: t["duplicates"] for t in data["tools"]} == {"bandit": 1, "semgrep": 0}
    by_rule = {f["rule"]: f for f in data["findings"]}
    assert by_rule["B608"]["duplicateOf"]["rule"] == "sql-injection-taint"
    assert by_rule["B608"]["duplicateOf"]["fingerprint"] == by_rule["sql-injection-taint"]["fingerprint"]
    assert [d["rule"] for d in by_rule["sql-injection-taint"]["alsoReportedBy"]] == ["B608"]
    assert sum(1 for f in data["findings"] if f["duplicateOf"] is None) == 2  # flaws
    assert data["verdict"]["reasons"] == ["2 findings at or above high (1 bandit+semgrep, 1 semgrep)"]


def test_sarif_keeps_both_runs_and_marks_the_duplicate_which_upload_leaves_out(tmp_path: Path):
    runs = _scanned(tmp_path)
    doc = to_sarif(runs, tmp_path)
    validate_sarif(doc)
    results = {r["ruleId"]: r for run in doc["runs"] for r in run.get("results", [])}
    assert len(doc["runs"]) == 2 and len(results) == 3
    duplicate, primary = results["B608"], results["sql-injection-taint"]
    assert duplicate["suppressions"] == [{
        "kind": "external", "status": "accepted",
        "justification": "duplicate of semgrep sql-injection-taint at app.py:13: the same flaw, counted once by secscan",
        "properties": {"duplicateOf": duplicate["properties"]["duplicateOf"]}}]
    assert duplicate["properties"]["duplicateOf"]["fingerprint"] == primary["fingerprints"]["secscan/v1"]
    assert primary["message"]["text"].endswith("(also reported by bandit B608)") and "suppressions" not in primary
    assert primary["properties"]["alsoReportedBy"][0]["ruleId"] == "B608"
    uploaded, dropped = prepare_for_upload(doc)
    assert dropped == 1
    assert [r["ruleId"] for run in uploaded["runs"] for r in run.get("results", [])] == [
        "sql-injection-taint", "xss-reflected-taint"]


def test_gate_on_the_sarif_counts_the_flaw_once_too(tmp_path: Path):
    runs = _scanned(tmp_path)
    sarif = tmp_path / "s.sarif"
    sarif.write_text(json.dumps(to_sarif(runs, tmp_path)))
    result = CliRunner().invoke(cli, ["gate", str(sarif), "--root", str(tmp_path), "--format", "json", "-q"])
    assert result.exit_code == EXIT_POLICY_FAILED, result.output
    verdict = json.loads(result.stdout)["verdict"]
    assert verdict["reasons"] == ["2 findings at or above high (2 semgrep)"]


def test_the_pipeline_marks_duplicates_after_suppressions_and_baseline(tmp_path: Path):
    """conclude() runs finalize, then overlap.mark, then the verdict (no tools needed: runs handed in)."""
    (tmp_path / "app.py").write_text(SOURCE)
    (tmp_path / ".secscan-ignore.yaml").write_text(
        "suppressions:\n  - rule: sql-injection-taint\n    path: app.py\n    reason: reviewed\n")
    plan = pipeline.prepare(pipeline.ScanRequest(start=tmp_path, overrides={"tools": ["bandit", "semgrep"]}))
    runs = _runs(_f("bandit", "B608", (89,), 13), _f("semgrep", "sql-injection-taint", (89,), 13),
                 _f("bandit", "B602", (78,), 20), _f("semgrep", "command-injection-taint", (78,), 20))
    result = pipeline.conclude(plan, [dataclasses.replace(r, findings=tuple(annotate(r.findings, tmp_path)))
                                      for r in runs])
    found = _all(result.runs)
    assert found["semgrep", "sql-injection-taint"].suppressed and found["bandit", "B608"].duplicate_of is None
    assert found["bandit", "B602"].duplicate_of is not None  # tie: semgrep counts
    assert result.verdict.reasons == ("2 findings at or above high (1 bandit, 1 bandit+semgrep)",)


APP = '''import sqlite3
import subprocess

from flask import Flask, request

app = Flask(__name__)


@app.route("/user")
def user():
    name = request.args.get("name")
    conn = sqlite3.connect("db.sqlite")
    rows = conn.execute("SELECT * FROM users WHERE name = '%s'" % name).fetchall()
    return {"rows": rows}


@app.route("/ping")
def ping():
    host = request.args.get("host")
    subprocess.check_call("ping -c 1 " + host, shell=True)
    return {"ok": True}


@app.route("/calc")
def calc():
    return {"value": eval(request.args.get("expr"))}
'''


@pytest.mark.slow
def test_real_bandit_and_semgrep_findings_of_one_flaw_count_once(tmp_path: Path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text(APP)
    result = pipeline.run(pipeline.ScanRequest(start=repo, overrides={"tools": ["bandit", "semgrep"]}))
    data = report.to_json(result.runs, result.verdict, result.review)
    doc = to_sarif(result.runs, repo)
    validate_sarif(doc)
    duplicates = {(f["rule"], f["line"], f["duplicateOf"]["tool"]) for f in data["findings"] if f["duplicateOf"]}
    bandit_rules = {(f["rule"], f["line"]) for f in data["findings"] if f["tool"] == "bandit"}
    semgrep_lines = {(f["line"], tuple(f["cwe"])) for f in data["findings"] if f["tool"] == "semgrep"}
    # whichever of bandit's sink findings semgrep's rules also report at that line are duplicates of them
    for rule, line, family in (("B608", 13, {89}), ("B602", 20, {78}), ("B307", 26, {94, 95})):
        assert (rule, line) in bandit_rules
        if any(line == sl and family & set(cwes) for sl, cwes in semgrep_lines):
            assert (rule, line, "semgrep") in duplicates, data["findings"]
    assert duplicates, "semgrep's rules report none of these flaws"
    text = report.text_lines(result.runs)
    assert sum("B608" in line for line in text.splitlines()) == 1  # its own line, or named on semgrep's
    counted = [f for f in data["findings"] if f["duplicateOf"] is None and f["severity"] in ("high", "critical")]
    assert data["verdict"]["reasons"][0].startswith(f"{len(counted)} finding")
    sarif_bandit = next(run for run in doc["runs"] if run["tool"]["driver"]["name"] == "bandit")
    assert sum(1 for r in sarif_bandit["results"] if r.get("suppressions")) == len(duplicates)
