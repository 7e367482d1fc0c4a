"""detect-secrets adapter: every file (not only git-tracked), no verification, values never leave the worker."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from secscan import proc
from secscan.errors import ToolOutputError
from secscan.models import Finding, Location, Notification, Rule, Severity
from secscan.targets import Targets
from secscan.tools.base import SECSCAN_PYTHON, Invocation, Parsed, Stage, ToolContext, ToolPlan

BASELINE_NAME = ".secrets.baseline"
_CWE_HARDCODED_CREDENTIALS = 798
WORKER = Path(__file__).with_name("ds_worker.py")
_HIGH_ENTROPY = ("Hex High Entropy String", "Base64 High Entropy String")


class DetectSecrets:
    name = "detect-secrets"
    takes_extra_args = False  # it runs as secscan's own worker, with a fixed set of plugins and filters
    refused_args: tuple[str, ...] = ()
    stage: Stage = "static"
    executable = SECSCAN_PYTHON  # a worker using the library API (the CLI cannot give a redacted preview)
    information_uri = "https://github.com/Yelp/detect-secrets"
    nothing_to_scan = "no files to scan"

    def files(self, targets: Targets) -> Sequence[Path]:
        return [f for f in targets.text_files() if f.name != BASELINE_NAME]

    @contextmanager
    def plan(self, exe: str, files: Sequence[str], ctx: ToolContext) -> Iterator[ToolPlan]:
        targets = ctx.targets
        baseline = targets.root / BASELINE_NAME
        request = {"files": list(files), "baseline": str(baseline) if baseline.is_file() else None,
                   "processes": min(2, os.cpu_count() or 1)}
        notes = [Notification("note", f"honouring {BASELINE_NAME}: secrets recorded there are not reported")
                 ] if request["baseline"] else []
        # -I: the scanned tree's own modules (cwd) can never shadow detect_secrets.
        yield ToolPlan([Invocation((exe, "-I", str(WORKER)), lambda r: parse(r, targets), cwd=targets.root,
                                   stdin=json.dumps(request))], notifications=notes)


def parse(result: proc.ProcResult, targets: Targets) -> Parsed:
    if result.returncode != 0:
        raise ToolOutputError(f"detect-secrets worker exited {result.returncode}")
    try:
        doc = json.loads(result.stdout)
        items = doc["results"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ToolOutputError(f"detect-secrets worker printed unparseable output ({exc})") from exc
    return Parsed([_finding(item, targets) for item in items], _ignored_hashes(doc.get("hashesIgnored")),
                  doc.get("version"))


def _ignored_hashes(counts: object) -> tuple[Notification, ...]:
    """'3 published hashes not reported as secrets (2 integrity hash, 1 pre-commit rev)'."""
    if not isinstance(counts, dict) or not counts:
        return ()
    parts = ", ".join(f"{n} {rule}" for rule, n in sorted(counts.items()))
    total = sum(int(n) for n in counts.values())
    return (Notification("note", f"{total} published hash{'es' if total != 1 else ''} not reported as "
                                 f"secret{'s' if total != 1 else ''} ({parts})"),)


def _finding(item: dict[str, Any], targets: Targets) -> Finding:
    kind = item["type"]
    severity = Severity.MEDIUM if kind in _HIGH_ENTROPY else Severity.HIGH
    rule = Rule(
        id=kind.lower().replace(" ", "-"), title=f"Hard-coded secret: {kind}",
        description=f"detect-secrets' {kind} plugin matched a value that looks like a credential.",
        severity=severity, precision="medium" if kind in _HIGH_ENTROPY else "high", cwe=(_CWE_HARDCODED_CREDENTIALS,),
        help_text=("Remove the secret from the code, rotate it, and load it from the environment or a secret store. "
                   f"If it is a false positive, add it to {BASELINE_NAME} or mark the line "
                   "`# pragma: allowlist secret`."),
        help_uri="https://github.com/Yelp/detect-secrets",
    )
    message = f"{kind} found (value {item['preview']}, sha1 {item['hash'][:12]}…)"
    return Finding(tool="detect-secrets", rule=rule, message=message,
                   location=Location(path=targets.relative(item["file"]), start_line=int(item["line"])),
                   severity=severity, context=f"{kind}|{item['hash']}",
                   properties={"hashed_secret": item["hash"], "preview": item["preview"]})
