"""list[ToolRun] -> one SARIF 2.1.0 log (pure): one run per tool, each with its own GitHub category."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sarif_om as om
from jschema_to_python.to_json import to_json

from secscan import __version__
from secscan.fingerprints import FINGERPRINT_KEY
from secscan.models import Finding, FindingRef, Review, Rule, Suppression, ToolRun

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
INFORMATION_URIS = {
    "bandit": "https://bandit.readthedocs.io/",
    "semgrep": "https://semgrep.dev/",
    "pip-audit": "https://github.com/pypa/pip-audit",
    "detect-secrets": "https://github.com/Yelp/detect-secrets",
}


def automation_id(tool: str) -> str:
    """The run's `automationDetails.id` (`secscan/bandit/`); everything before its last '/' is GitHub's category."""
    return f"secscan/{tool.removeprefix('secscan-')}/"


def to_sarif(runs: Sequence[ToolRun], root: Path | None = None, review: Review | None = None,
             verdict: Any = None) -> dict[str, Any]:
    """`review`/`verdict` (optional) go into the log's property bag as `secscan` (GitHub ignores it)."""
    log = om.SarifLog(schema_uri=SCHEMA_URI, version="2.1.0", runs=[_run(r, root) for r in runs])
    summary = _log_properties(review, verdict)
    if summary:
        log.properties = {"secscan": summary}
    doc: dict[str, Any] = json.loads(to_json(log))
    return doc


def _log_properties(review: Review | None, verdict: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if verdict is not None:
        out["verdict"] = {"exitCode": verdict.exit_code, "passed": verdict.passed, "reasons": list(verdict.reasons),
                          "notes": list(verdict.notes)}
    if review is not None and review.baseline is not None:
        out["baseline"] = {"file": review.baseline, "absent": [
            {"tool": e.tool, "ruleId": e.rule, "path": e.path, "fingerprint": e.fingerprint,
             "firstSeen": e.first_seen} for e in review.absent]}
    if review is not None and (review.expired or review.stale):
        out["suppressions"] = {"expired": list(review.expired), "stale": list(review.stale)}
    return out


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
        automation_details=om.RunAutomationDetails(id=automation_id(run.tool)),
        invocations=[_invocation(run)],
    )
    if root is not None:
        sarif_run.original_uri_base_ids = {SRCROOT: om.ArtifactLocation(uri=root.resolve().as_uri() + "/")}
    if run.properties:  # run-level facts: the API run's coverage and the objects it created
        sarif_run.properties = json.loads(json.dumps(dict(run.properties), default=str))
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
    message = finding.message
    if finding.duplicates:  # GitHub shows the message, not the property bag
        message += " (also reported by " + ", ".join(f"{d.tool} {d.rule}" for d in finding.duplicates) + ")"
    result = om.Result(
        rule_id=finding.rule.id, rule_index=rule_index, level=finding.severity.sarif_level,
        message=om.Message(text=message), locations=[location],
        properties={"severity": finding.severity.label, **finding.properties},
    )
    if finding.duplicates:
        result.properties["alsoReportedBy"] = [_ref(d) for d in finding.duplicates]
    if finding.fingerprint:
        result.fingerprints = {FINGERPRINT_KEY: finding.fingerprint}
    if finding.line_hash:
        result.partial_fingerprints = {"primaryLocationLineHash": finding.line_hash}
    if finding.baseline_state:
        result.baseline_state = finding.baseline_state
    if finding.suppressed and finding.suppression is not None:
        result.suppressions = [suppression_dict(finding.suppression)]
    elif finding.suppression is not None:  # expired: no longer a suppression, but say why it stopped being one
        result.properties["expiredSuppression"] = {"justification": finding.suppression.justification,
                                                   "expires": finding.suppression.expires,
                                                   "source": finding.suppression.source}
    if finding.duplicate_of is not None and not finding.suppressed:
        result.properties["duplicateOf"] = _ref(finding.duplicate_of)
        result.suppressions = [duplicate_suppression(finding.duplicate_of)]
    return result


def duplicate_suppression(primary: FindingRef) -> dict[str, Any]:
    """Another tool's finding of the same flaw counts instead of this one: an `external` suppression naming it, so
    that `secscan upload` leaves the duplicate out (one GitHub alert per flaw), `secscan gate` counts it once and
    SARIF viewers hide it. GitHub's own upload action ignores suppressions and shows both."""
    return {"kind": "external", "status": "accepted",
            "justification": f"duplicate of {primary.label}: the same flaw, counted once by secscan",
            "properties": {"duplicateOf": _ref(primary)}}


def _ref(ref: FindingRef) -> dict[str, Any]:
    out: dict[str, Any] = {"tool": ref.tool, "ruleId": ref.rule, "uri": ref.path, "startLine": ref.line}
    if ref.fingerprint:
        out["fingerprint"] = ref.fingerprint
    return out


def suppression_dict(suppression: Suppression) -> dict[str, Any]:
    """SARIF `suppression` (status accepted); sarif-om's class predates the `status` property, so a dict."""
    out: dict[str, Any] = {"kind": suppression.kind, "status": "accepted", "justification": suppression.justification}
    path = suppression.source_path
    if path and suppression.source_line and not path.startswith(("/", "../")) and "://" not in path:
        out["location"] = {"physicalLocation": {
            "artifactLocation": {"uri": path, "uriBaseId": SRCROOT}, "region": {"startLine": suppression.source_line}}}
    if suppression.expires:
        out["properties"] = {"expires": suppression.expires}
    return out


def run_key(run: dict[str, Any]) -> tuple[str, str]:
    """(tool, category): GitHub rejects two runs with the same key in one upload.

    The category is `automationDetails.id` up to its last '/' (empty when there is none or no '/').
    """
    name = str(((run.get("tool") or {}).get("driver") or {}).get("name") or "")
    run_id = str((run.get("automationDetails") or {}).get("id") or "")
    return name, run_id.rpartition("/")[0]


def merge_logs(logs: Sequence[tuple[str, dict[str, Any]]], rename: bool = False) -> tuple[dict[str, Any], list[str]]:
    """Runs of several SARIF logs in one log, one run per (tool, category).

    A duplicate key raises ValueError naming both files, or, with `rename`, gets the next free category
    (`secscan/bandit/` -> `secscan/bandit-2/`); the returned messages say what was renamed.
    """
    seen: dict[tuple[str, str], str] = {}
    runs, messages = [], []
    for name, doc in logs:
        for i, run in enumerate(doc["runs"]):
            check_run(run, f"{name}: runs[{i}]")
            key = run_key(run)
            if key in seen:
                if not rename:
                    raise ValueError(f"{name}: a run of {key[0] or '(unnamed tool)'} with category "
                                     f"{key[1] or '(none)'!r} is already in {seen[key]}; GitHub rejects duplicate "
                                     "categories (use --rename-duplicates to give it a new category)")
                run = _renamed(run, key, seen)
                messages.append(f"{name}: {key[0]} run renamed to category {run_key(run)[1]!r}")
                key = run_key(run)
            seen[key] = name
            runs.append(run)
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": runs}, messages


def check_run(run: Any, where: str) -> None:
    """ValueError (one line naming `where`) unless `run` is a run object with a named tool and, if it has
    results, a list of result objects: what a merged log must hold for GitHub and for `secscan gate`."""
    if not isinstance(run, dict):
        raise ValueError(f"{where}: not a run object (got {_kind(run)})")
    driver = (run.get("tool") or {}).get("driver") if isinstance(run.get("tool"), dict) else None
    if not isinstance(driver, dict) or not isinstance(driver.get("name"), str) or not driver["name"]:
        raise ValueError(f"{where}.tool.driver.name: missing or not a string")
    results = run.get("results")
    if results is None:  # SARIF: null when the tool could not run
        return
    if not isinstance(results, list):
        raise ValueError(f"{where}.results: not a list (got {_kind(results)})")
    bad = next((j for j, result in enumerate(results) if not isinstance(result, dict)), None)
    if bad is not None:
        raise ValueError(f"{where}.results[{bad}]: not a result object (got {_kind(results[bad])})")


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _renamed(run: dict[str, Any], key: tuple[str, str], seen: dict[tuple[str, str], str]) -> dict[str, Any]:
    base = key[1] or key[0] or "run"
    n = 2
    while (key[0], f"{base}-{n}") in seen:
        n += 1
    details = dict(run.get("automationDetails") or {})
    details["id"] = f"{base}-{n}/"
    return {**run, "automationDetails": details}
