"""semgrep adapter: secscan's own rule pack, never the network, semgrep's default ignores off."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from secscan import proc
from secscan.errors import ToolOutputError
from secscan.models import Finding, Location, Notification, Rule, Severity
from secscan.targets import Targets
from secscan.tools.base import Invocation, Parsed, Stage, ToolContext, ToolPlan

# Hermetic and offline: without these semgrep spends ~97 s retrying a version check.
SEMGREP_ENV = {"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
_FIXED_FLAGS = ("--metrics=off", "--disable-version-check", "--json", "-q", "--no-rewrite-rule-ids",
                "--x-ignore-semgrepignore-files")
_SEVERITY = {"ERROR": Severity.HIGH, "WARNING": Severity.MEDIUM, "INFO": Severity.LOW}
_PRECISION = {"HIGH": "high", "MEDIUM": "medium", "LOW": "low"}
# Templates, for the rule pack's `regex`/`generic` rules (`|safe`, `{% autoescape false %}`, `Markup(...)`).
# semgrep runs only the rules whose language (and `paths`) fit a file, so without such rules they cost nothing.
TEMPLATE_SUFFIXES = frozenset({".html", ".htm", ".jinja", ".jinja2", ".j2"})


def rules_dir() -> Path:
    """The rule pack shipped inside the installed package (`secscan_rules`, from rules/)."""
    return Path(str(resources.files("secscan_rules")))


class Semgrep:
    name = "semgrep"
    takes_extra_args = True
    refused_args: tuple[str, ...] = (
        "--config", "-c", "-f", "--exclude", "--include", "--exclude-rule", "--severity", "--baseline-commit",
        "--exclude-minified-files", "--max-target-bytes", "--skip-unknown-extensions", "--json", "--sarif", "--text",
        "--emacs", "--vim", "--gitlab-sast", "--junit-xml", "-o", "--output", "--json-output", "--sarif-output",
        "--text-output",
    )
    stage: Stage = "static"
    executable = "semgrep"  # its own virtualenv (see README), found through PATH or SECSCAN_SEMGREP_BIN
    information_uri = "https://semgrep.dev/"
    nothing_to_scan = "no Python or template files to scan"

    def files(self, targets: Targets) -> Sequence[Path]:
        python = set(targets.python_files())
        return [f for f in targets.files if f in python or f.suffix.lower() in TEMPLATE_SUFFIXES]

    @contextmanager
    def plan(self, exe: str, files: Sequence[str], ctx: ToolContext) -> Iterator[ToolPlan]:
        targets = ctx.targets
        argv = (exe, "scan", "--config", str(rules_dir()), *_FIXED_FLAGS, "--timeout", "60", *ctx.extra_args)
        yield ToolPlan([Invocation(argv, lambda r: parse(r, targets), files=tuple(files), cwd=targets.root,
                                   env={**SEMGREP_ENV, **_state_dirs()})])


def _state_dirs() -> dict[str, str]:
    """Keep semgrep's settings/log files out of the user's home when it is read-only or shared."""
    base = Path(os.environ.get("SECSCAN_STATE_DIR", tempfile.gettempdir())) / "secscan-semgrep"
    base.mkdir(parents=True, exist_ok=True)
    return {"SEMGREP_SETTINGS_FILE": str(base / "settings.yml"), "SEMGREP_LOG_FILE": str(base / "semgrep.log"),
            "SEMGREP_VERSION_CACHE_PATH": str(base / "version")}


def parse(result: proc.ProcResult, targets: Targets) -> Parsed:
    """rc 0/1 with JSON is a run; rc 2/7 (bad rules, bad target) or non-JSON is a failed run."""
    try:
        doc = json.loads(result.stdout)
        results = doc["results"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ToolOutputError(f"semgrep exited {result.returncode} without its JSON report ({exc})") from exc
    notes = [_notification(e) for e in doc.get("errors", [])]
    if result.returncode not in (0, 1) and not any(n.level == "error" for n in notes):
        notes.append(Notification("error", f"semgrep exited {result.returncode}"))
    return Parsed([_finding(r, targets) for r in results], notes, doc.get("version"))


def _notification(error: dict[str, Any]) -> Notification:
    level = "error" if error.get("level") == "error" else "warning"
    where = f" in {error['path']}" if error.get("path") else ""
    text = re.sub(r"\s+", " ", str(error.get("message") or error.get("type") or "semgrep error")).strip()
    return Notification(level, f"semgrep {error.get('type', 'error')}{where}: {text[:500]}")


def _finding(item: dict[str, Any], targets: Targets) -> Finding:
    extra = item.get("extra", {})
    meta = extra.get("metadata", {})
    rule = rule_from_metadata(item["check_id"], extra.get("message", ""), extra.get("severity", "WARNING"), meta)
    loc = Location(path=targets.relative(item["path"]), start_line=int(item["start"]["line"]),
                   end_line=int(item["end"]["line"]), start_column=int(item["start"]["col"]),
                   end_column=int(item["end"]["col"]))
    return Finding(tool="semgrep", rule=rule, message=extra.get("message", rule.title), location=loc,
                   severity=rule.severity, properties={"confidence": str(meta.get("confidence", "medium")).lower()})


def rule_from_metadata(rule_id: str, message: str, semgrep_severity: str, meta: dict[str, Any]) -> Rule:
    sev_text = meta.get("secscan-severity")
    severity = Severity.parse(sev_text) if sev_text else _SEVERITY.get(semgrep_severity, Severity.MEDIUM)
    refs = meta.get("references") or []
    refs = [refs] if isinstance(refs, str) else list(refs)
    remediation = meta.get("remediation", "")
    return Rule(
        id=rule_id, title=meta.get("title") or rule_id.replace("-", " "), description=message,
        severity=severity, help_text=" ".join(x for x in (message, remediation) if x),
        help_uri=refs[0] if refs else None, precision=_PRECISION.get(str(meta.get("confidence", "")).upper(), "medium"),
        cwe=tuple(_cwe_ids(meta.get("cwe", []))), owasp=tuple(_as_list(meta.get("owasp", []))),
    )


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []


def _cwe_ids(values: object) -> list[int]:
    return [int(m.group(1)) for v in _as_list(values) if (m := re.match(r"\s*CWE-(\d+)", v))]
