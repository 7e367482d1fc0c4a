"""Helpers for the output tests: findings with fingerprints, SARIF files written by secscan's own writer (and
validated), baselines, and the `gate` command through click with stderr kept apart."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from secscan.baseline import build
from secscan.baseline import dumps as baseline_dumps
from secscan.cli import cli
from secscan.models import Finding, Location, Rule, Severity, Status, ToolRun
from secscan.sarif import dumps, to_sarif
from tests.conftest import validate_sarif


def finding(tool: str, rule_id: str, path: str, line: int, severity: Severity = Severity.HIGH,
            message: str = "something is wrong", **extra: Any) -> Finding:
    rule = Rule(id=rule_id, title=f"{rule_id} title", description=f"{rule_id} description", severity=severity,
                help_text=f"How to fix {rule_id}.")
    digest = hashlib.sha256(f"{tool}|{rule_id}|{path}|{line}".encode()).hexdigest()
    return Finding(tool=tool, rule=rule, message=message, location=Location(path, line), severity=severity,
                   fingerprint=digest[:32], line_hash=f"{digest[32:48]}:1", **extra)


def run(tool: str, *findings: Finding, status: Status = Status.OK, version: str | None = "1.0") -> ToolRun:
    return ToolRun(tool, status, tuple(findings), version=version)


def write_sarif(path: Path, runs: list[ToolRun], root: Path | None) -> Path:
    """`runs` as a SARIF log written by secscan itself (with %SRCROOT% = root), validated before use."""
    doc = to_sarif(runs, root)
    validate_sarif(doc)
    path.write_text(dumps(doc), encoding="utf-8")
    return path


def write_baseline(path: Path, findings: list[Finding]) -> Path:
    path.write_text(baseline_dumps(build(findings, date(2025, 1, 1))), encoding="utf-8")
    return path


def gate(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["gate", *args], env=env)


def sarif_doc(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    validate_sarif(doc)
    return doc
