"""Any SARIF 2.1.0 log (secscan's or another tool's) -> ToolRuns, so `secscan gate` can apply the same policy."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from secscan import wording
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
SRCROOT = "%SRCROOT%"


class LocationError(ValueError):
    """A result location that cannot be made relative to the root (`read_runs` names the run and result)."""


def declared_root(doc: dict[str, Any]) -> tuple[str, Path] | None:
    """The first run's `originalUriBaseIds[%SRCROOT%]` as (its URI, the local path it names), when it is a file
    URI."""
    for run in doc.get("runs") or []:
        uri = _base_uri(run, SRCROOT) if isinstance(run, dict) else None
        if uri and urlsplit(uri).scheme == "file":
            return uri, Path(unquote(urlsplit(uri).path))
    return None


def declared_roots(files: Sequence[Path]) -> list[tuple[str, Path]]:
    """`declared_root` of each file that has one, in order."""
    return [root for file in files if (root := declared_root(load_sarif(file))) is not None]


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
        except LocationError as exc:
            raise UsageError(wording.outside_root(f"{path}: runs[{i}].{exc.args[0]}", exc.args[1], str(root))) from None
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise UsageError(f"{path}: runs[{i}]: not a valid SARIF run ({type(exc).__name__}: {exc})") from None
    return runs


def run_from_sarif(run: dict[str, Any], root: Path) -> ToolRun:
    driver = run["tool"]["driver"]
    rules = [_rule(r) for r in driver.get("rules") or []]
    by_id = {r.id: r for r in rules}
    tool = str(driver.get("name") or "unknown")
    results = run.get("results") or []
    findings = tuple(_located(i, tool, result, rules, by_id, run, root) for i, result in enumerate(results))
    invocations = run.get("invocations") or []
    status, notes = _execution(invocations)
    return ToolRun(tool=tool, status=status, findings=findings, notifications=notes,
                   version=driver.get("semanticVersion") or driver.get("version"),
                   information_uri=driver.get("informationUri"), extra_rules=tuple(rules),
                   wall_seconds=sum(_seconds(inv) for inv in invocations))


def _execution(invocations: list[dict[str, Any]]) -> tuple[Status, tuple[Notification, ...]]:
    """The run's notifications; anything but the boolean true in `executionSuccessful` (false, "false", a
    missing value) is a tool that could not run, and a value that is not a boolean says so."""
    notes = [Notification(str(n.get("level") or "warning"), _text(n.get("message")))
             for inv in invocations for n in inv.get("toolExecutionNotifications") or []]
    flags = [inv.get("executionSuccessful") for inv in invocations]
    notes += [Notification("error", wording.not_successful(flag)) for flag in flags if not isinstance(flag, bool)]
    if not invocations:  # no invocation at all: nothing says the tool ran, so it did not pass
        notes.append(Notification("error", wording.not_successful(None)))
    return (Status.OK if flags and all(flag is True for flag in flags) else Status.FAILED), tuple(notes)


def _located(index: int, tool: str, result: dict[str, Any], rules: list[Rule], by_id: dict[str, Rule],
             run: dict[str, Any], root: Path) -> Finding:
    try:
        return _finding(tool, result, rules, by_id, run, root)
    except LocationError as exc:
        raise LocationError(f"results[{index}]", exc.args[0]) from None


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


def _base_uri(run: dict[str, Any], base_id: Any) -> str | None:
    base = (run.get("originalUriBaseIds") or {}).get(base_id) if isinstance(base_id, str) else None
    uri = base.get("uri") if isinstance(base, dict) else None
    return uri if isinstance(uri, str) and uri else None


def _relative(uri: str, base_id: Any, run: dict[str, Any], root: Path) -> str:
    """Repo-relative POSIX path; LocationError when the location cannot be made relative to the root.

    A relative URI against %SRCROOT% (or no base) is relative to the checkout wherever it now lies, so it is
    kept as it is; other bases and absolute file URIs are made relative to the run's own %SRCROOT%, else to
    `root`."""
    if not uri:
        return ""
    if not urlsplit(uri).scheme and base_id not in (None, SRCROOT):
        base = _base_uri(run, base_id)
        uri = base.rstrip("/") + "/" + uri if base else uri
    parts = urlsplit(uri)
    if parts.scheme == "file" or (not parts.scheme and uri.startswith("/")):
        return _under(Path(unquote(parts.path)), run, root, uri)
    if parts.scheme:
        raise LocationError(uri)
    path = posixpath.normpath(unquote(uri))
    if path == ".." or path.startswith("../"):
        raise LocationError(uri)
    return path


def _under(absolute: Path, run: dict[str, Any], root: Path, uri: str) -> str:
    """`absolute` relative to the run's own %SRCROOT% (where it was scanned), else to `root`."""
    declared = _base_uri(run, SRCROOT)
    bases = [Path(unquote(urlsplit(declared).path))] if declared and urlsplit(declared).scheme == "file" else []
    text = posixpath.normpath(absolute.as_posix())
    for base in (*bases, root):
        prefix = posixpath.normpath(base.as_posix()).rstrip("/") + "/"
        if text.startswith(prefix):
            return text[len(prefix):]
        try:
            return absolute.resolve().relative_to(base.resolve()).as_posix()
        except (ValueError, OSError):
            continue
    raise LocationError(uri)


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
