"""GitHub's ingestion rules (scanner/sarif_checks.py): what would be rejected, what is left out of an upload."""

from __future__ import annotations

import copy
import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from secscan import sarif_checks
from secscan.fingerprints import annotate
from secscan.models import Finding, Location, Rule, Severity, Status, ToolRun
from secscan.sarif import to_sarif
from secscan.sarif_checks import (
    MAX_RESULTS_PER_RUN,
    MAX_RUNS,
    category,
    github_problems,
    gzip_sarif,
    prepare_for_upload,
    upload_warnings,
)
from tests.conftest import validate_sarif


def result(uri: Any = "src/app.py", line: Any = 3, **extra: Any) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}}
    if line is not None:
        physical["region"] = {"startLine": line}
    return {"ruleId": "R1", "ruleIndex": 0, "message": {"text": "bad"}, "locations": [{"physicalLocation": physical}],
            **extra}


def run(tool: str = "bandit", results: list[dict[str, Any]] | None = None, automation_id: str | None = None,
        **extra: Any) -> dict[str, Any]:
    rule = {"id": "R1", "shortDescription": {"text": "r"}, "properties": {"security-severity": "7.5"}}
    out = {"tool": {"driver": {"name": tool, "rules": [rule]}}, "results": results if results is not None else [],
           "automationDetails": {"id": automation_id if automation_id is not None else f"secscan/{tool}/"}}
    return {**out, **extra}


def log(*runs: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": list(runs)}


def test_secscan_own_sarif_has_no_problem(tmp_path: Path):
    (tmp_path / "a.py").write_text("import os\nos.system(cmd)\n")
    rule = Rule(id="B605", title="Shell", description="d", severity=Severity.HIGH, cwe=(78,))
    finding = Finding(tool="bandit", rule=rule, message="m", location=Location("a.py", 2), severity=Severity.HIGH)
    doc = to_sarif([ToolRun("bandit", Status.OK, tuple(annotate([finding], tmp_path)), version="1.9"),
                    ToolRun("semgrep", Status.OK, version="1.182.0")], tmp_path)
    validate_sarif(doc)
    assert github_problems(doc) == []


def test_a_clean_handmade_log_has_no_problem_and_prepare_keeps_everything():
    doc = log(run("bandit", [result(), result("b.py", 1)]), run("semgrep", [result()]))
    assert github_problems(doc) == []
    assert prepare_for_upload(doc) == (doc, 0)


@pytest.mark.parametrize(("bad", "expected"), [
    ({"locations": []}, "no location"),
    ({"locations": [{"logicalLocations": [{"fullyQualifiedName": "GET /x"}]}]}, "no file"),
    (result(line=None), "no start line"),
    (result(line=0), "no start line"),
    (result(line="3"), "no start line"),
    (result(uri=""), "no file"),
    (result(uri="https://api.example.com/users/1"), "is a URL (https:)"),
    (result(uri="file:///home/runner/work/app.py"), "is a URL (file:)"),
    (result(uri="/home/runner/work/app.py"), "not relative to the repository root"),
    (result(uri="../outside.py"), "not relative to the repository root"),
])
def test_a_result_without_a_repo_relative_file_and_line_is_named_precisely(bad: dict[str, Any], expected: str):
    doc = log(run("semgrep", [result(), {**result(), **bad}]))
    problems = github_problems(doc)
    assert problems and all(p.startswith("run 0 (semgrep) result 1: ") for p in problems), problems
    assert expected in problems[0]


def test_same_tool_and_category_twice_is_refused_but_other_tools_or_categories_are_fine():
    assert github_problems(log(run("bandit"), run("semgrep"), run("bandit", automation_id="secscan/bandit-2/"))) == []
    assert github_problems(log(run("bandit", automation_id="x/"), run("semgrep", automation_id="x/"))) == []
    (problem,) = github_problems(log(run("bandit"), run("semgrep"), run("bandit")))
    assert problem.startswith("runs 0 and 2 (bandit) have the same tool and category 'secscan/bandit'")
    # the run-id after the last '/' does not make a new category
    runs = [run("api", automation_id="secscan/api/a"), run("api", automation_id="secscan/api/b")]
    (problem,) = github_problems(log(*runs))
    assert "runs 0 and 1 (api)" in problem and "'secscan/api'" in problem


def test_category_is_everything_before_the_last_slash():
    assert category(run(automation_id="secscan/bandit/")) == "secscan/bandit"
    assert category(run(automation_id="secscan/api/2024-01-01")) == "secscan/api"
    assert category(run(automation_id="no-slash")) == ""
    assert category({"tool": {}}) == ""


def test_run_and_result_count_limits():
    assert github_problems(log(*(run(f"t{i}") for i in range(MAX_RUNS)))) == []
    (problem,) = github_problems(log(*(run(f"t{i}") for i in range(MAX_RUNS + 1))))
    assert problem == f"{MAX_RUNS + 1} runs; GitHub accepts at most {MAX_RUNS} runs per upload"
    one = result()
    assert github_problems(log(run("bandit", [one] * MAX_RESULTS_PER_RUN))) == []
    (problem,) = github_problems(log(run("bandit", [one] * (MAX_RESULTS_PER_RUN + 1))))
    assert problem == "run 0 (bandit): 25,001 results; GitHub rejects a run with more than 25,000"


def test_left_out_results_do_not_count_towards_the_result_limit():
    suppressed = result(suppressions=[{"kind": "inSource"}])
    doc = log(run("bandit", [result()] * MAX_RESULTS_PER_RUN + [suppressed] * 10))
    assert github_problems(doc) == []


def test_rule_tag_and_location_limits():
    doc = log(run("bandit", [result()]))
    doc["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["tags"] = ["security"] * 21
    doc["runs"][0]["results"][0]["locations"] *= 1001
    problems = github_problems(doc)
    assert ("run 0 (bandit) tool.driver.rules[0] (rule 'R1'): 21 tags; GitHub rejects a rule with more than 20"
            in problems)
    assert "run 0 (bandit) result 0: 1,001 locations; GitHub rejects more than 1,000" in problems


def test_compressed_size_limit(monkeypatch: pytest.MonkeyPatch):
    doc = log(run("bandit", [result(message={"text": os.urandom(3000).hex()})]))
    size = len(gzip_sarif(doc))
    assert json.loads(gzip.decompress(gzip_sarif(doc))) == doc
    monkeypatch.setattr(sarif_checks, "MAX_GZIP_BYTES", size)
    assert github_problems(doc) == []
    monkeypatch.setattr(sarif_checks, "MAX_GZIP_BYTES", size - 1)
    (problem,) = github_problems(doc)
    assert problem.startswith(f"the gzip-compressed SARIF is {size:,} bytes; GitHub accepts at most {size - 1:,}")


@pytest.mark.parametrize("value", ["7.5", "10.0", " 4 ", 9.1, 5])
def test_numeric_security_severity_is_accepted(value: Any):
    doc = log(run("bandit", [result()]))
    doc["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["security-severity"] = value
    assert github_problems(doc) == []


@pytest.mark.parametrize("value", ["high", "", "nan", "inf", None, True, ["7.5"]])
def test_non_numeric_security_severity_is_refused(value: Any):
    doc = log(run("bandit", [result()]))
    doc["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["security-severity"] = value
    (problem,) = github_problems(doc)
    assert problem.startswith(f"run 0 (bandit) tool.driver.rules[0] (rule 'R1'): security-severity {value!r} is "
                              "not a number")


def test_security_severity_in_an_extension_rule_is_checked_too():
    doc = log(run("semgrep", [result()]))
    doc["runs"][0]["tool"]["extensions"] = [{"name": "pack", "rules": [{"id": "X", "properties": {
        "security-severity": "critical"}}]}]
    (problem,) = github_problems(doc)
    assert problem.startswith("run 0 (semgrep) tool.extensions[0].rules[0] (rule 'X'): security-severity 'critical'")


def test_a_partial_scan_is_refused():
    assert github_problems(log(run("bandit", properties={"partialScan": False}))) == []
    (problem,) = github_problems(log(run("semgrep"), run("bandit", properties={"partialScan": True})))
    assert problem.startswith("run 1 (bandit): a partial scan (properties.partialScan")


@pytest.mark.parametrize(("doc", "expected"), [
    ([], "not a SARIF log: the top level must be a JSON object"),
    ({"version": "2.1.0"}, "not a SARIF log: \"runs\" must be an array"),
    ({"version": "2.0.0", "runs": []}, "SARIF version must be \"2.1.0\""),
    ({"version": "2.1.0", "runs": ["x"]}, "not a SARIF log: every entry of \"runs\" must be an object"),
    (log({"tool": {"driver": {"name": "t"}}}), "run 0 (t): \"results\" must be an array"),
    (log({"tool": {"driver": {}}, "results": []}), "run 0 (no tool name): tool.driver.name is missing"),
])
def test_malformed_logs_are_described(doc: Any, expected: str):
    problems = github_problems(doc)
    assert any(p.startswith(expected) for p in problems), problems


SUPPRESSED = [
    [{"kind": "inSource"}],
    [{"kind": "external", "status": "accepted"}],
    [{"kind": "external", "status": "underReview"}],
    [{"kind": "inSource", "status": "rejected"}, {"kind": "external", "status": "accepted"}],
]
KEPT = [
    [],
    [{"kind": "inSource", "status": "rejected"}],
    [{"kind": "inSource", "status": "rejected"}, {"kind": "external", "status": "rejected"}],
]


def test_prepare_for_upload_drops_suppressed_and_absent_results_only():
    results = ([result(f"s{i}.py", suppressions=s) for i, s in enumerate(SUPPRESSED)]
               + [result(f"k{i}.py", suppressions=s) for i, s in enumerate(KEPT)]
               + [result(f"b-{state}.py", baselineState=state) for state in ("new", "unchanged", "updated", "absent")])
    doc = log(run("semgrep", results), run("bandit", [result("x.py", baselineState="absent")]))
    before = copy.deepcopy(doc)
    prepared, dropped = prepare_for_upload(doc)
    assert dropped == len(SUPPRESSED) + 2
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in prepared["runs"][0]["results"]]
    assert uris == ["k0.py", "k1.py", "k2.py", "b-new.py", "b-unchanged.py", "b-updated.py"]
    assert prepared["runs"][1]["results"] == []
    assert doc == before  # the input is not modified


def test_results_that_will_be_left_out_are_not_checked_and_indices_stay_those_of_the_file():
    suppressed_url = result("https://example.com/x", suppressions=[{"kind": "inSource"}])
    doc = log(run("semgrep", [suppressed_url, result(line=None)]))
    (problem,) = github_problems(doc)
    assert problem.startswith("run 0 (semgrep) result 1: no start line")


def test_failed_tool_runs_are_warned_about():
    failed = run("pip-audit", invocations=[{"executionSuccessful": False}])
    (warning,) = upload_warnings(log(run("bandit", invocations=[{"executionSuccessful": True}]), failed))
    assert warning.startswith("run 1 (pip-audit): the tool did not run successfully")
