"""Any SARIF 2.1.0 log (secscan's or another tool's) -> ToolRuns, so `secscan gate` can apply the same policy."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from secscan.errors import UsageError
from secscan.fingerprints import FINGERPRINT_KEY
from secscan.models import (
    BASELINE_STATES,
    Finding,
    Location,
    Notification,
    Rule,
    Severity,
    Status,
    Suppression,
    ToolRun,
    severity_for_score,
)

MAX_SARIF_BYTES = 200_000_000
_LEVELS = {"error": Severity.HIGH, "warning": Severity.MEDIUM, "note": Severity.LOW, "none": Severity.LOW}
_RECOMPUTED = ("severity", "expiredSuppression")  # secscan's own properties that finalize() sets again


def load_sarif(path: Path) -> dict[str, Any]:
    """The parsed log; UsageError (one line, naming the file) when it is not a SARIF 2.1.0 log."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read SARIF file: {exc.strerror or exc}") from None
    if len(data) > MAX_SARIF_BYTES:
        raise UsageError(f"{path}: SARIF file is larger than {MAX_SARIF_BYTES} bytes")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise UsageError(f"{path}: not a JSON file: {' '.join(str(exc).split())[:200]}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("runs"), list):
        raise UsageError(f"{path}: not a SARIF log (no 'runs' list)")
    if doc.get("version") != "2.1.0":
        raise UsageError(f"{path}: version: only SARIF 2.1.0 is supported, got {str(doc.get('version'))[:20]!r}")
    return doc


def read_runs(path: Path, root: Path) -> list[ToolRun]:
    doc = load_sarif(path)
    runs = []
    for i, run in enumerate(doc["runs"]):
        try:
            runs.append(run_from_sarif(run, root))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise UsageError(f"{path}: runs[{i}]: not a valid SARIF run ({type(exc).__name__}: {exc})") from None
    return runs


def run_from_sarif(run: dict[str, Any], root: Path) -> ToolRun:
    driver = run["tool"]["driver"]
    rules = [_rule(r) for r in driver.get("rules") or []]
    by_id = {r.id: r for r in rules}
    tool = str(driver.get("name") or "unknown")
    findings = tuple(_finding(tool, result, rules, by_id, run, root) for result in run.get("results") or [])
    invocations = run.get("invocations") or []
    notes = tuple(Notification(str(n.get("level") or "warning"), _text(n.get("message")))
                  for inv in invocations for n in inv.get("toolExecutionNotifications") or [])
    failed = any(inv.get("executionSuccessful") is False for inv in invocations)
    return ToolRun(tool=tool, status=Status.FAILED if failed else Status.OK, findings=findings, notifications=notes,
                   version=driver.get("semanticVersion") or driver.get("version"),
                   information_uri=driver.get("informationUri"), extra_rules=tuple(rules),
                   wall_seconds=sum(_seconds(inv) for inv in invocations))


def _seconds(invocation: dict[str, Any]) -> float:
    """secscan's own `wallSeconds` invocation property (other tools: 0)."""
    value = (invocation.get("properties") or {}).get("wallSeconds")
    return float(value) if isinstance(value, (int, float)) and value >= 0 else 0.0


def _text(message: Any) -> str:
    if isinstance(message, dict):
        return str(message.get("text") or message.get("markdown") or "")
    return ""


def _score(properties: Any) -> float | None:
    raw = properties.get("security-severity") if isinstance(properties, dict) else None
    try:
        value = float(raw)  # type: ignore[arg-type]  # anything else fails and is handled below
    except (TypeError, ValueError):
        return None
    return value if 0.0 < value <= 10.0 else None


def _rule(raw: dict[str, Any]) -> Rule:
    props = raw.get("properties") or {}
    score = _score(props)
    level = ((raw.get("defaultConfiguration") or {}).get("level")) or "warning"
    severity = severity_for_score(score) if score is not None else _LEVELS.get(level, Severity.MEDIUM)
    tags = [str(t) for t in props.get("tags") or []]
    rule_id = str(raw["id"])
    return Rule(
        id=rule_id, title=_text(raw.get("shortDescription")) or str(raw.get("name") or rule_id),
        description=_text(raw.get("fullDescription")) or _text(raw.get("shortDescription")),
        severity=severity, help_text=_text(raw.get("help")), help_uri=raw.get("helpUri"),
        precision=str(props.get("precision") or "medium"), security_severity=score,
        cwe=tuple(int(m.group(1)) for t in tags if (m := re.fullmatch(r"external/cwe/cwe-(\d+)", t, re.I))),
    )


def _result_rule(result: dict[str, Any], rules: list[Rule], by_id: dict[str, Rule]) -> Rule:
    index = result.get("ruleIndex", (result.get("rule") or {}).get("index"))
    rule_id = result.get("ruleId") or (result.get("rule") or {}).get("id")
    if isinstance(index, int) and 0 <= index < len(rules):
        return rules[index]
    if rule_id in by_id:
        return by_id[rule_id]
    return Rule(id=str(rule_id or "unknown"), title=str(rule_id or "unknown"), description="",
                severity=_LEVELS.get(str(result.get("level")), Severity.MEDIUM))


def _finding(tool: str, result: dict[str, Any], rules: list[Rule], by_id: dict[str, Rule], run: dict[str, Any],
             root: Path) -> Finding:
    rule = _result_rule(result, rules, by_id)
    props = dict(result.get("properties") or {})
    severity = _severity(result, rule, props)
    location, logical = _location(result, run, root)
    state = result.get("baselineState")
    return Finding(
        tool=tool, rule=rule, message=_text(result.get("message")) or rule.title, location=location,
        severity=severity, logical_location=logical,
        properties={k: v for k, v in props.items() if k not in _RECOMPUTED},
        fingerprint=(result.get("fingerprints") or {}).get(FINGERPRINT_KEY),
        line_hash=(result.get("partialFingerprints") or {}).get("primaryLocationLineHash"),
        suppression=_suppression(result.get("suppressions")),
        baseline_state=state if state in BASELINE_STATES and state != "absent" else None,
    )


def _severity(result: dict[str, Any], rule: Rule, props: dict[str, Any]) -> Severity:
    label = props.get("severity")
    if isinstance(label, str):
        try:
            return Severity.parse(label)
        except ValueError:
            pass
    score = _score(props)
    if score is not None:
        return severity_for_score(score)
    if "level" in result and rule.security_severity is None:
        return _LEVELS.get(str(result["level"]), rule.severity)
    return rule.severity


def _location(result: dict[str, Any], run: dict[str, Any], root: Path) -> tuple[Location, str | None]:
    locations = result.get("locations") or [{}]
    first = locations[0] or {}
    physical = first.get("physicalLocation") or {}
    artifact = physical.get("artifactLocation") or {}
    region = physical.get("region") or {}
    logical = next((str(x.get("fullyQualifiedName") or x.get("name")) for x in first.get("logicalLocations") or []
                    if x.get("fullyQualifiedName") or x.get("name")), None)
    path = _relative(str(artifact.get("uri") or ""), artifact.get("uriBaseId"), run, root)
    start = region.get("startLine")
    end = region.get("endLine")
    return Location(path=path or "(no location)", start_line=start if isinstance(start, int) and start > 0 else 1,
                    end_line=end if isinstance(end, int) and end > 0 else None), logical


def _relative(uri: str, base_id: Any, run: dict[str, Any], root: Path) -> str:
    """Repo-relative POSIX path from a relative URI, a %SRCROOT%-style base id, or a file:// URI under root."""
    base = ((run.get("originalUriBaseIds") or {}).get(base_id) or {}).get("uri") if base_id else None
    if base and not urlsplit(uri).scheme:
        uri = base.rstrip("/") + "/" + uri
    parts = urlsplit(uri)
    if parts.scheme == "file":
        absolute = Path(unquote(parts.path))
        try:
            return absolute.resolve().relative_to(root.resolve()).as_posix()
        except (ValueError, OSError):
            return absolute.as_posix()
    return unquote(uri).removeprefix("./")


def _suppression(raw: Any) -> Suppression | None:
    """Suppressed when every suppression object is accepted (a missing status counts as accepted)."""
    if not isinstance(raw, list) or not raw:
        return None
    if any(not isinstance(s, dict) or s.get("status", "accepted") != "accepted" for s in raw):
        return None
    first = raw[0]
    kind = first.get("kind") if first.get("kind") in ("inSource", "external") else "external"
    return Suppression(kind=kind, justification=str(first.get("justification") or "(suppressed in the SARIF)"),
                       source="SARIF input")
