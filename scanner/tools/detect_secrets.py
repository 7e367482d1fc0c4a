"""detect-secrets adapter: every file (not only git-tracked), no verification, values never leave the worker."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

from secscan import proc
from secscan.errors import ToolOutputError
from secscan.models import Finding, Location, Notification, Rule, Severity, Status, ToolRun
from secscan.targets import Targets
from secscan.tools.base import ToolOptions, execute

BASELINE_NAME = ".secrets.baseline"
_CWE_HARDCODED_CREDENTIALS = 798
WORKER = Path(__file__).with_name("ds_worker.py")
_HIGH_ENTROPY = ("Hex High Entropy String", "Base64 High Entropy String")


class DetectSecrets:
    name = "detect-secrets"
    information_uri = "https://github.com/Yelp/detect-secrets"

    def run(self, targets: Targets, options: ToolOptions) -> ToolRun:
        files = [targets.relative(f) for f in targets.text_files() if f.name != BASELINE_NAME]
        if not files:
            return ToolRun(tool=self.name, status=Status.OK, notifications=(Notification("note", "no files to scan"),))
        baseline = targets.root / BASELINE_NAME
        request = {"files": files, "baseline": str(baseline) if baseline.is_file() else None,
                   "processes": min(2, os.cpu_count() or 1)}
        # -I: the scanned tree's own modules (cwd) can never shadow detect_secrets.
        argv = [sys.executable, "-I", str(WORKER)]
        run = execute(self.name, argv, options, lambda r: parse(r, targets), cwd=targets.root,
                      stdin_text=json.dumps(request))
        if request["baseline"]:
            note = Notification("note", f"honouring {BASELINE_NAME}: secrets recorded there are not reported")
            return dataclasses.replace(run, notifications=(*run.notifications, note))
        return run


def parse(result: proc.ProcResult, targets: Targets):
    if result.returncode != 0:
        raise ToolOutputError(f"detect-secrets worker exited {result.returncode}")
    try:
        doc = json.loads(result.stdout)
        items = doc["results"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ToolOutputError(f"detect-secrets worker printed unparseable output ({exc})") from exc
    return [_finding(item, targets) for item in items], [], doc.get("version")


def _finding(item: dict, targets: Targets) -> Finding:
    kind = item["type"]
    severity = Severity.MEDIUM if kind in _HIGH_ENTROPY else Severity.HIGH
    rule = Rule(
        id=kind.lower().replace(" ", "-"), title=f"Hard-coded secret: {kind}",
        description=f"detect-secrets' {kind} plugin matched a value that looks like a credential.",
        severity=severity, precision="medium" if kind in _HIGH_ENTROPY else "high", cwe=(_CWE_HARDCODED_CREDENTIALS,),
        help_text=("Remove the secret from the code, rotate it, and load it from the environment or a secret store. "
                   f"If it is a false positive, add it to {BASELINE_NAME} or mark the line `# pragma: allowlist secret`."),
        help_uri="https://github.com/Yelp/detect-secrets",
    )
    message = f"{kind} found (value {item['preview']}, sha1 {item['hash'][:12]}…)"
    return Finding(tool="detect-secrets", rule=rule, message=message,
                   location=Location(path=targets.relative(item["file"]), start_line=int(item["line"])),
                   severity=severity, context=f"{kind}|{item['hash']}",
                   properties={"hashed_secret": item["hash"], "preview": item["preview"]})
