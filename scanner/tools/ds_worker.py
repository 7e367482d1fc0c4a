"""detect-secrets worker process: scans a file list in-process (never verifies) and prints only hashes and previews.

Run as `python -I ds_worker.py` with `{"files": [...], "baseline": path|null}` on stdin, cwd = scan root.
The secret values stay inside this process: its output holds the SHA-1 and a 2-character preview.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main() -> int:
    os.nice(5)  # semgrep is the critical path of a scan; let it have the cores first
    request = json.load(sys.stdin)
    from importlib.metadata import version

    from detect_secrets.core import baseline as ds_baseline
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings

    baseline_path = request.get("baseline")
    with default_settings():
        known = SecretsCollection()
        if baseline_path and Path(baseline_path).is_file():
            # load() also adopts the baseline's plugin and filter configuration, as the CLI does.
            known = ds_baseline.load(ds_baseline.load_from_file(baseline_path), baseline_path)
        found = SecretsCollection()
        found.scan_files(*request["files"], num_processors=request.get("processes"))
        new = found - known if baseline_path else found
    results = [
        {"file": name, "line": s.line_number, "type": s.type, "hash": s.secret_hash,
         "preview": (s.secret_value or "")[:2] + "…"}
        for name, s in new
    ]
    json.dump({"version": version("detect-secrets"), "results": results, "baseline": bool(baseline_path)}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
