"""Adapters' parsers on captured native outputs: parse bugs show without the tools installed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secscan.depfiles import Dependency
from secscan.errors import ToolOutputError
from secscan.models import Severity
from secscan.proc import ProcResult
from secscan.targets import Targets
from secscan.tools import bandit, detect_secrets, pip_audit, semgrep

ASSETS = Path(__file__).parent / "assets"


def triple(parsed):
    """(findings, notifications, version) of a parser's result."""
    return list(parsed.findings), list(parsed.notifications), parsed.version


def _result(stdout: str, rc: int = 0) -> ProcResult:
    return ProcResult(argv=("tool",), returncode=rc, stdout=stdout, stderr="", wall_seconds=0.1, cpu_seconds=0.1,
                      timed_out=False)


@pytest.fixture
def targets(tmp_path: Path) -> Targets:
    return Targets(root=tmp_path.resolve(), files=(), excludes=())


def test_bandit_parse_keeps_severity_confidence_cwe_and_errors(targets: Targets):
    findings, notes, _ = triple(bandit.parse(_result((ASSETS / "bandit" / "sample.json").read_text(), rc=1), targets))
    got = {(f.rule.id, f.location.path, f.location.start_line, f.severity) for f in findings}
    assert ("B602", "a.py", 4, Severity.HIGH) in got and ("B403", "a.py", 1, Severity.LOW) in got
    b301 = next(f for f in findings if f.rule.id == "B301")
    assert b301.rule.cwe == (502,) and b301.properties["confidence"] == "high" and b301.rule.precision == "high"
    assert [n.level for n in notes] == ["error", "error"]  # syntax error + missing file => failed run
    assert "bad.py" in notes[0].message


def test_bandit_redacts_the_hardcoded_password_it_quotes(targets: Targets):
    findings, _, _ = triple(bandit.parse(_result((ASSETS / "bandit" / "sample.json").read_text(), rc=1), targets))
    b105 = next(f for f in findings if f.rule.id == "B105")
    assert "hunter2secret" not in b105.message + b105.rule.description + b105.rule.help_text
    assert "'hu…'" in b105.message


@pytest.mark.parametrize("stdout,rc", [("Traceback (most recent call last): boom", 1), ("{}", 0), ("", 2)])
def test_bandit_garbage_is_a_failed_run(targets: Targets, stdout: str, rc: int):
    with pytest.raises(ToolOutputError):
        bandit.parse(_result(stdout, rc), targets)


def test_semgrep_parse_reads_rule_metadata(targets: Targets):
    findings, notes, version = triple(semgrep.parse(_result((ASSETS / "semgrep" / "sample.json").read_text()), targets))
    assert version == "1.182.0" and notes == []
    assert {(f.location.path, f.location.start_line) for f in findings} == {("t.py", 2), ("tests/t2.py", 2)}
    rule = findings[0].rule
    assert rule.cwe == (95,) and rule.severity is Severity.HIGH and rule.title == "eval on input"


def test_semgrep_rule_errors_become_error_notifications(targets: Targets):
    doc = {"version": "1", "results": [], "errors": [{"type": "Rule parse error", "level": "error", "message": "bad\npattern"}]}
    _, notes, _ = triple(semgrep.parse(_result(json.dumps(doc), rc=7), targets))
    assert notes[0].level == "error" and "Rule parse error" in notes[0].message and "\n" not in notes[0].message


def test_pip_audit_parse_locates_each_advisory_at_its_requirement(targets: Targets):
    req = targets.root / "requirements.txt"
    deps = {"requests": Dependency("requests", "2.19.0", "==2.19.0", req, 3),
            "pyyaml": Dependency("pyyaml", "5.3", "==5.3", req, 4)}
    findings, notes, _ = triple(pip_audit.parse(_result((ASSETS / "pip-audit" / "sample.json").read_text(), 1), deps,
                                         targets, None, False))
    assert notes == []
    first = next(f for f in findings if f.rule.id == "PYSEC-2018-28")
    assert (first.location.path, first.location.start_line) == ("requirements.txt", 3)
    assert first.properties["fixedVersions"] == ["2.20.0"] and "CVE-2018-18074" in first.properties["aliases"]
    assert "requests 2.19.0" in first.message and "2.20.0" in first.message


def test_pip_audit_unaudited_dependencies_fail_the_run_unless_allowed(targets: Targets):
    req = targets.root / "requirements.txt"
    deps = {n: Dependency(n, v, f"=={v}", req, i) for i, (n, v) in
            enumerate([("requests", "2.19.0"), ("pyyaml", "5.3"), ("not-a-real-pkg-xyz", "1.0")], 1)}
    stdout = (ASSETS / "pip-audit" / "pypi-unreachable.json").read_text()
    _, notes, _ = triple(pip_audit.parse(_result(stdout), deps, targets, None, False))
    assert notes[0].level == "error" and "could not audit 3 dependencies" in notes[0].message
    _, notes, _ = triple(pip_audit.parse(_result(stdout), deps, targets, None, True))
    assert notes[0].level == "warning"


def test_detect_secrets_worker_output_keeps_only_hash_and_preview(targets: Targets):
    doc = {"version": "1.5.0", "results": [{"file": "app.py", "line": 3, "type": "AWS Access Key",
                                            "hash": "a" * 40, "preview": "AK…"}]}
    findings, _, version = triple(detect_secrets.parse(_result(json.dumps(doc)), targets))
    (f,) = findings
    assert version == "1.5.0" and f.rule.id == "aws-access-key" and f.severity is Severity.HIGH
    assert f.context == "AWS Access Key|" + "a" * 40 and "AK…" in f.message
