"""SARIF writer: schema-valid, GitHub-ready, tool failures recorded, fingerprints stable under edits."""

from __future__ import annotations

from pathlib import Path

from secscan.fingerprints import annotate
from secscan.models import Finding, Location, Notification, Rule, Severity, Status, ToolRun
from secscan.sarif import to_sarif
from tests.conftest import validate_sarif

RULE = Rule(id="sql-fstring", title="SQL from an f-string", description="desc", severity=Severity.HIGH,
            help_text="use parameters", cwe=(89,), owasp=("A03:2021 - Injection",), precision="high")


def _finding(path: str, line: int, rule: Rule = RULE) -> Finding:
    return Finding(tool="semgrep", rule=rule, message="bad", location=Location(path, line), severity=rule.severity)


def test_one_run_per_tool_with_category_version_and_rules(tmp_path: Path):
    (tmp_path / "a.py").write_text("x = 1\ncur.execute(f'select {x}')\n")
    findings = annotate([_finding("a.py", 2), _finding("a.py", 2)], tmp_path)
    doc = to_sarif([ToolRun("semgrep", Status.OK, tuple(findings), version="1.182.0"),
                    ToolRun("bandit", Status.OK, version="1.9.4")], tmp_path)
    validate_sarif(doc)
    semgrep_run, bandit_run = doc["runs"]
    assert semgrep_run["automationDetails"]["id"] == "secscan/semgrep/"
    assert bandit_run["automationDetails"]["id"] == "secscan/bandit/"
    assert semgrep_run["tool"]["driver"]["version"] == "1.182.0"
    (rule,) = semgrep_run["tool"]["driver"]["rules"]  # de-duplicated
    assert rule["properties"]["security-severity"] == "8.0"
    assert set(rule["properties"]["tags"]) == {"security", "external/cwe/cwe-89", "external/owasp/a03:2021"}
    assert [r["ruleIndex"] for r in semgrep_run["results"]] == [0, 0]
    first, second = semgrep_run["results"]
    assert first["fingerprints"]["secscan/v1"] != second["fingerprints"]["secscan/v1"]  # nth occurrence differs
    assert first["level"] == "error" and first["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"


def test_tool_failure_is_an_unsuccessful_invocation_with_the_message(tmp_path: Path):
    run = ToolRun("pip-audit", Status.FAILED, notifications=(Notification("error", "pip-audit exited 2"),))
    doc = to_sarif([run], tmp_path)
    validate_sarif(doc)
    invocation = doc["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == "pip-audit exited 2"
    assert doc["runs"][0]["results"] == []


def _fingerprints(root: Path, text: str, line: int) -> tuple[str, str]:
    (root / "a.py").write_text(text)
    (f,) = annotate([_finding("a.py", line)], root)
    return f.fingerprint, f.line_hash


def test_secscan_fingerprint_survives_inserted_lines_and_reindentation_but_not_code_changes(tmp_path: Path):
    base = "import os\ncur.execute(f'select {x}')\nprint(1)\n"
    fp, line_hash = _fingerprints(tmp_path, base, 2)
    moved_fp, moved_hash = _fingerprints(tmp_path, "# new\n# lines\n" + base, 4)
    assert (moved_fp, moved_hash) == (fp, line_hash)
    reindented, _ = _fingerprints(tmp_path, "import os\ncur.execute( f'select {x}' )  # nosec\nprint(1)\n", 2)
    assert reindented == fp
    changed, changed_hash = _fingerprints(tmp_path, "import os\ncur.execute(f'select {y}')\nprint(1)\n", 2)
    assert changed != fp and changed_hash != line_hash


def test_adapter_context_overrides_the_source_line(tmp_path: Path):
    (tmp_path / "a.py").write_text("k = 'one'\n\nk = 'one'\n")
    secret = Finding(tool="detect-secrets", rule=RULE, message="m", location=Location("a.py", 1),
                     severity=Severity.HIGH, context="Secret Keyword|abc")
    moved = Finding(tool="detect-secrets", rule=RULE, message="m", location=Location("a.py", 3),
                    severity=Severity.HIGH, context="Secret Keyword|abc")
    (a,) = annotate([secret], tmp_path)
    (b,) = annotate([moved], tmp_path)
    assert a.fingerprint == b.fingerprint
