"""GitHub code scanning's ingestion rules for a SARIF log (pure): what GitHub would reject, what to leave out.

`prepare_for_upload` decides which results go to GitHub, `github_problems` says why GitHub would refuse the rest
of the log. Both see the log exactly as `secscan upload` sends it: results that `prepare_for_upload` drops are
neither checked nor counted, and messages use the result's index in the original file.

Which results are left out (GitHub ignores SARIF `suppressions` and would reopen those alerts; sources:
github/codeql-action#1230, GitHub's "SARIF support for code scanning" property list):
- a result with a non-empty `suppressions` array in which at least one suppression is not `status: "rejected"`
  (a suppression without `status` counts as accepted);
- a result with `baselineState: "absent"` (it is no longer in the code).
Results with `baselineState` new / unchanged / updated stay in: they are present, and leaving them out of an
upload would close their alerts as fixed.

Partial-scan contract (for the pre-commit hook mode and anything else that scans a subset of the files):
a run that does not cover the whole repository MUST set `runs[i].properties.partialScan = true` (a JSON boolean).
GitHub replaces the previous analysis of the same tool and category on every upload, so uploading a partial run
would close every alert in the files it did not scan; `github_problems` therefore refuses such a run.
"""

from __future__ import annotations

import copy
import gzip
import json
import math
import re
from collections.abc import Iterator
from typing import Any

# Limits, from GitHub's docs (github/docs data/reusables/code-scanning/sarif-limits.md, rendered in
# "SARIF support for code scanning" and "Troubleshooting SARIF uploads / SARIF results exceed one or more limits",
# and repeated in the REST description of POST /repos/{owner}/{repo}/code-scanning/sarifs): "an analysis will be
# rejected if any of these objects is above its maximum value". github/codeql-action's src/upload-lib.ts does
# not check them itself (it gzips, base64-encodes and uploads); the service enforces them.
MAX_RUNS = 20
MAX_RESULTS_PER_RUN = 25_000  # only the top 5,000 by severity are shown; above 25,000 the upload is rejected
MAX_RULES_PER_RUN = 25_000
MAX_EXTENSIONS_PER_RUN = 100
MAX_LOCATIONS_PER_RESULT = 1_000
MAX_THREAD_FLOW_LOCATIONS_PER_RESULT = 10_000
MAX_TAGS_PER_RULE = 20
# "For each upload, SARIF upload supports a maximum size of 10 MB for the gzip-compressed SARIF file"
# (docs: "Uploading a SARIF file to GitHub"; troubleshooting "SARIF results file is too large", HTTP 413).
# GitHub does not say whether MB means 10^6 or 2^20 bytes; the smaller reading is the safe one.
MAX_GZIP_BYTES = 10_000_000

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _dict(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one (hostile SARIF may put anything anywhere)."""
    return value if isinstance(value, dict) else {}


def gzip_sarif(doc: dict[str, Any]) -> bytes:
    """The upload's payload before base64: compact JSON, gzip-compressed (mtime 0, so it is reproducible)."""
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    return gzip.compress(text.encode("utf-8"), mtime=0)


def is_left_out(result: Any) -> bool:
    """True for a result that is suppressed (not every suppression rejected) or baselined as absent."""
    if not isinstance(result, dict):
        return False
    if result.get("baselineState") == "absent":
        return True
    suppressions = result.get("suppressions")
    if not isinstance(suppressions, list) or not suppressions:
        return False
    return any(not isinstance(s, dict) or s.get("status") != "rejected" for s in suppressions)


def prepare_for_upload(doc: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A copy of `doc` without the results GitHub must not see (see the module docstring), and how many went."""
    prepared = copy.deepcopy(doc)
    dropped = 0
    runs = prepared.get("runs") if isinstance(prepared, dict) else None
    for run in runs if isinstance(runs, list) else []:
        if isinstance(run, dict) and isinstance(run.get("results"), list):
            kept = [r for r in run["results"] if not is_left_out(r)]
            dropped += len(run["results"]) - len(kept)
            run["results"] = kept
    return prepared, dropped


def github_problems(doc: Any) -> list[str]:
    """Every reason GitHub code scanning would reject `doc` as `secscan upload` sends it, one line each."""
    problems = _log_problems(doc)
    if problems:
        return problems
    runs = doc["runs"]
    for index, run in enumerate(runs):
        problems.extend(_run_problems(index, run))
    problems.extend(_duplicate_categories(runs))
    if not problems:
        size = len(gzip_sarif(prepare_for_upload(doc)[0]))
        if size > MAX_GZIP_BYTES:
            problems.append(f"the gzip-compressed SARIF is {size:,} bytes; GitHub accepts at most "
                            f"{MAX_GZIP_BYTES:,} (scan fewer files or tools per upload)")
    return problems


def upload_warnings(doc: dict[str, Any]) -> list[str]:
    """Uploadable but risky: a run whose tool failed replaces that tool's previous analysis with what it has."""
    warnings = []
    for index, run in enumerate(doc.get("runs") or []):
        invocations = run.get("invocations") if isinstance(run, dict) else None
        if isinstance(invocations, list) and any(
                isinstance(i, dict) and i.get("executionSuccessful") is False for i in invocations):
            warnings.append(f"{_run_label(index, run)}: the tool did not run successfully; uploading replaces "
                            "its previous analysis, so alerts it could not check this time may be closed")
    return warnings


def category(run: dict[str, Any]) -> str:
    """GitHub's category: `automationDetails.id` up to its last '/' ('' without one)."""
    details = run.get("automationDetails")
    ident = details.get("id") if isinstance(details, dict) else None
    return ident.rsplit("/", 1)[0] if isinstance(ident, str) and "/" in ident else ""


def _log_problems(doc: Any) -> list[str]:
    if not isinstance(doc, dict):
        return ["not a SARIF log: the top level must be a JSON object"]
    problems = []
    if doc.get("version") != "2.1.0":
        problems.append(f"SARIF version must be \"2.1.0\" (GitHub supports no other), found {doc.get('version')!r}")
    runs = doc.get("runs")
    if not isinstance(runs, list):
        problems.append("not a SARIF log: \"runs\" must be an array")
    elif len(runs) > MAX_RUNS:
        problems.append(f"{len(runs)} runs; GitHub accepts at most {MAX_RUNS} runs per upload")
    elif not all(isinstance(run, dict) for run in runs):
        problems.append("not a SARIF log: every entry of \"runs\" must be an object")
    return problems


def _run_label(index: int, run: Any) -> str:
    return f"run {index} ({_tool_name(run) or 'no tool name'})"


def _tool_name(run: Any) -> str | None:
    tool = run.get("tool") if isinstance(run, dict) else None
    driver = tool.get("driver") if isinstance(tool, dict) else None
    name = driver.get("name") if isinstance(driver, dict) else None
    return name if isinstance(name, str) and name else None


def _run_problems(index: int, run: dict[str, Any]) -> list[str]:
    label = _run_label(index, run)
    problems = []
    if _tool_name(run) is None:
        problems.append(f"{label}: tool.driver.name is missing; GitHub needs it to tell tools apart")
    properties = run.get("properties")
    if isinstance(properties, dict) and properties.get("partialScan") is True:
        problems.append(f"{label}: a partial scan (properties.partialScan, e.g. from the pre-commit hook) must not "
                        "be uploaded: it would close the alerts in every file it did not scan")
    problems.extend(_rule_problems(label, run))
    results = run.get("results")
    if not isinstance(results, list):
        return [*problems, f"{label}: \"results\" must be an array (GitHub requires it, even when empty)"]
    kept = [(i, r) for i, r in enumerate(results) if not is_left_out(r)]
    if len(kept) > MAX_RESULTS_PER_RUN:
        problems.append(f"{label}: {len(kept):,} results; GitHub rejects a run with more than "
                        f"{MAX_RESULTS_PER_RUN:,}")
    for result_index, result in kept:
        problems.extend(f"{label} result {result_index}: {p}" for p in _result_problems(result))
    return problems


def _rules(run: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(where, rule) for the driver's rules and every extension's rules."""
    tool = _dict(run.get("tool"))
    components = [("tool.driver", tool.get("driver"))]
    extensions = tool.get("extensions")
    if isinstance(extensions, list):
        components += [(f"tool.extensions[{i}]", ext) for i, ext in enumerate(extensions)]
    for where, component in components:
        rules = component.get("rules") if isinstance(component, dict) else None
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            yield f"{where}.rules[{i}]", rule


def _rule_problems(label: str, run: dict[str, Any]) -> list[str]:
    problems = []
    tool = _dict(run.get("tool"))
    extensions = tool.get("extensions")
    if isinstance(extensions, list) and len(extensions) > MAX_EXTENSIONS_PER_RUN:
        problems.append(f"{label}: {len(extensions)} tool extensions; GitHub accepts at most {MAX_EXTENSIONS_PER_RUN}")
    driver_rules = tool.get("driver", {}).get("rules") if isinstance(tool.get("driver"), dict) else None
    if isinstance(driver_rules, list) and len(driver_rules) > MAX_RULES_PER_RUN:
        problems.append(f"{label}: {len(driver_rules):,} rules; GitHub accepts at most {MAX_RULES_PER_RUN:,}")
    for where, rule in _rules(run):
        problems.extend(f"{label} {where} ({_rule_id(rule)}): {p}" for p in _one_rule_problems(rule))
    return problems


def _rule_id(rule: Any) -> str:
    ident = rule.get("id") if isinstance(rule, dict) else None
    return f"rule {ident!r}" if isinstance(ident, str) else "rule without id"


def _one_rule_problems(rule: Any) -> list[str]:
    properties = rule.get("properties") if isinstance(rule, dict) else None
    if not isinstance(properties, dict):
        return []
    problems = []
    if "security-severity" in properties and not _is_number(properties["security-severity"]):
        problems.append(f"security-severity {properties['security-severity']!r} is not a number; GitHub fails "
                        "processing with \"invalid security severity value, is not a number\"")
    tags = properties.get("tags")
    if isinstance(tags, list) and len(tags) > MAX_TAGS_PER_RULE:
        problems.append(f"{len(tags)} tags; GitHub rejects a rule with more than {MAX_TAGS_PER_RULE}")
    return problems


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return math.isfinite(value)
    if not isinstance(value, str):
        return False
    try:
        return math.isfinite(float(value.strip()))
    except ValueError:
        return False


def _result_problems(result: Any) -> list[str]:
    if not isinstance(result, dict):
        return ["not an object"]
    problems = _location_problems(result.get("locations"))
    flows = sum(_thread_flow_locations(result))
    if flows > MAX_THREAD_FLOW_LOCATIONS_PER_RESULT:
        problems.append(f"{flows:,} thread-flow locations; GitHub rejects more than "
                        f"{MAX_THREAD_FLOW_LOCATIONS_PER_RESULT:,} per result")
    return problems


def _location_problems(locations: Any) -> list[str]:
    if not isinstance(locations, list) or not locations:
        return ["no location; GitHub needs a repo-relative file and start line (locations[0].physicalLocation)"]
    problems = []
    if len(locations) > MAX_LOCATIONS_PER_RESULT:
        problems.append(f"{len(locations):,} locations; GitHub rejects more than {MAX_LOCATIONS_PER_RESULT:,}")
    first = _dict(locations[0])
    physical = _dict(first.get("physicalLocation"))
    artifact = physical.get("artifactLocation")
    uri = artifact.get("uri") if isinstance(artifact, dict) else None
    uri_problem = _uri_problem(uri)
    if uri_problem:
        problems.append(uri_problem)
    region = physical.get("region")
    line = region.get("startLine") if isinstance(region, dict) else None
    if isinstance(line, bool) or not isinstance(line, int) or line < 1:
        problems.append("no start line (locations[0].physicalLocation.region.startLine must be an integer >= 1)")
    return problems


def _uri_problem(uri: Any) -> str | None:
    where = "locations[0].physicalLocation.artifactLocation.uri"
    if not isinstance(uri, str) or not uri.strip():
        return f"no file ({where} is missing or empty); GitHub needs a repo-relative path"
    scheme = _SCHEME.match(uri)
    if scheme:
        return f"{where} {uri!r} is a URL ({scheme.group(0)}), not a repo-relative path; GitHub rejects the upload"
    if uri.startswith(("/", "\\")) or uri == ".." or uri.startswith(("../", "..\\")):
        return f"{where} {uri!r} is not relative to the repository root"
    return None


def _thread_flow_locations(result: dict[str, Any]) -> Iterator[int]:
    flows = result.get("codeFlows")
    for flow in flows if isinstance(flows, list) else []:
        threads = flow.get("threadFlows") if isinstance(flow, dict) else None
        for thread in threads if isinstance(threads, list) else []:
            locations = thread.get("locations") if isinstance(thread, dict) else None
            yield len(locations) if isinstance(locations, list) else 0


def _duplicate_categories(runs: list[dict[str, Any]]) -> list[str]:
    seen: dict[tuple[str | None, str], int] = {}
    problems = []
    for index, run in enumerate(runs):
        key = (_tool_name(run), category(run))
        if key in seen:
            problems.append(f"runs {seen[key]} and {index} ({key[0] or 'no tool name'}) have the same tool and "
                            f"category {key[1]!r}; GitHub rejects a delivery with several runs in one category "
                            "(give each run its own automationDetails.id)")
        else:
            seen[key] = index
    return problems
