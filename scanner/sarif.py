"""list[ToolRun] -> one SARIF 2.1.0 log (pure): one run per tool, each with its own GitHub category."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sarif_om as om
from jschema_to_python.to_json import to_json

from scanner import __version__
from scanner.fingerprints import FINGERPRINT_KEY
from scanner.models import Finding, Rule, ToolRun

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
INFORMATION_URIS = {
    "bandit": "https://bandit.readthedocs.io/",
    "semgrep": "https://semgrep.dev/",
    "pip-audit": "https://github.com/pypa/pip-audit",
    "detect-secrets": "https://github.com/Yelp/detect-secrets",
}


def category(tool: str) -> str:
    """`automationDetails.id`; everything before the last '/' is GitHub's category."""
    return f"secscan/{tool.removeprefix('secscan-')}/"


def to_sarif(runs: Sequence[ToolRun], root: Path | None = None) -> dict[str, Any]:
    log = om.SarifLog(schema_uri=SCHEMA_URI, version="2.1.0", runs=[_run(r, root) for r in runs])
    return json.loads(to_json(log))


def dumps(doc: dict[str, Any]) -> str:
    """Stable text: sorted keys and indentation, so snapshots and diffs stay readable."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _run(run: ToolRun, root: Path | None) -> om.Run:
    rules = list(run.rules)
    index = {rule.id: i for i, rule in enumerate(rules)}
    driver = om.ToolComponent(
        name=run.tool, version=run.version, information_uri=run.information_uri or INFORMATION_URIS.get(run.tool),
        rules=[_rule(rule) for rule in rules],
        properties={"orchestrator": f"secscan {__version__}"},
    )
    sarif_run = om.Run(
        tool=om.Tool(driver=driver),
        results=[_result(f, index[f.rule.id]) for f in run.findings],
        automation_details=om.RunAutomationDetails(id=category(run.tool)),
        invocations=[_invocation(run)],
    )
    if root is not None:
        sarif_run.original_uri_base_ids = {SRCROOT: om.ArtifactLocation(uri=root.resolve().as_uri() + "/")}
    return sarif_run


def _invocation(run: ToolRun) -> om.Invocation:
    notes = [om.Notification(message=om.Message(text=n.message), level=n.level) for n in run.notifications]
    return om.Invocation(
        execution_successful=run.status.succeeded,
        tool_execution_notifications=notes or None,
        properties={"status": run.status.value, "wallSeconds": round(run.wall_seconds, 3),
                    "cpuSeconds": round(run.cpu_seconds, 3)},
    )


def rule_tags(rule: Rule) -> list[str]:
    tags = ["security", *(f"external/cwe/cwe-{c}" for c in rule.cwe), *(_owasp_tag(o) for o in rule.owasp)]
    return list(dict.fromkeys(tags))[:20]


def _owasp_tag(owasp: str) -> str:
    code = owasp.split(" ", 1)[0].rstrip(":").lower()
    return f"external/owasp/{code}"


def _rule(rule: Rule) -> om.ReportingDescriptor:
    markdown = f"**{rule.title}**\n\n{rule.help_text or rule.description}"
    if rule.help_uri:
        markdown += f"\n\n[More information]({rule.help_uri})"
    return om.ReportingDescriptor(
        id=rule.id, name=_pascal(rule.title),
        short_description=om.MultiformatMessageString(text=rule.title[:1024]),
        full_description=om.MultiformatMessageString(text=(rule.description or rule.title)[:1024]),
        help=om.MultiformatMessageString(text=rule.help_text or rule.description or rule.title, markdown=markdown),
        help_uri=rule.help_uri,
        default_configuration=om.ReportingConfiguration(level=rule.severity.sarif_level),
        properties={"tags": rule_tags(rule), "precision": rule.precision,
                    "security-severity": f"{rule.score:.1f}"},
    )


def _pascal(title: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", title) if w)[:255] or "Rule"


def _result(finding: Finding, rule_index: int) -> om.Result:
    loc = finding.location
    region = om.Region(start_line=loc.start_line, end_line=loc.end_line, start_column=loc.start_column,
                       end_column=loc.end_column)
    location = om.Location(physical_location=om.PhysicalLocation(
        artifact_location=om.ArtifactLocation(uri=loc.path, uri_base_id=SRCROOT), region=region))
    if finding.logical_location:
        location.logical_locations = [om.LogicalLocation(fully_qualified_name=finding.logical_location)]
    result = om.Result(
        rule_id=finding.rule.id, rule_index=rule_index, level=finding.severity.sarif_level,
        message=om.Message(text=finding.message), locations=[location],
        properties={"severity": finding.severity.label, **finding.properties},
    )
    if finding.fingerprint:
        result.fingerprints = {FINGERPRINT_KEY: finding.fingerprint}
    if finding.line_hash:
        result.partial_fingerprints = {"primaryLocationLineHash": finding.line_hash}
    return result
