"""detect-secrets worker process: scans a file list in-process (never verifies) and prints only hashes and previews.

Run as `python -I ds_worker.py` with `{"files": [...], "baseline": path|null}` on stdin, cwd = scan root.
The secret values stay inside this process: its output holds the SHA-1 and a 2-character preview. Values that are
published hashes (CSP/SRI integrity hashes, lock-file and `--hash=` package hashes, pre-commit `rev:` commits) are
dropped here, where the values are known; only their counts are printed.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

# --- values that look random but are published hashes, never credentials -----------------------------------------
# Every rule needs both the value's shape and its place, so a real secret on the same line or in the same file is
# still reported. Only counts per rule leave the worker.

_B64 = "A-Za-z0-9+/"
# CSP hash sources ('sha256-…') and Subresource Integrity attributes (integrity="sha384-…"): base64 digests of
# exactly the algorithm's length, behind the algorithm's name. Any file (HTML, templates, headers set in code).
_SRI = re.compile(rf"(?<![{_B64}=_-])(sha256-[{_B64}]{{43}}=|sha384-[{_B64}]{{64}}|sha512-[{_B64}]{{86}}==)"
                  rf"(?![{_B64}=_-])")
# A digest: hex of md5/sha1/sha224/sha256/sha384/sha512 length, or base64 of sha1/sha256/sha384/sha512 length,
# optionally behind its algorithm's name (`sha256:`, `sha512-`, `sha256=`).
_DIGEST = re.compile(r"(?:(?:md5|sha1|sha224|sha256|sha384|sha512)[:=-])?"
                     r"([0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|"
                     rf"[0-9a-fA-F]{{128}}|[{_B64}]{{27}}=|[{_B64}]{{43}}=|[{_B64}]{{64}}|[{_B64}]{{86}}==)")
# Lock files: every digest-shaped value in them is a package hash or a pinned commit. (detect-secrets 1.5 itself
# skips `*.lock` files by extension and some others by name; conda-lock's YAML it does scan, hash by hash.)
LOCK_FILES = frozenset({"poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock", "pixi.lock", "conda-lock.yml",
                        "conda-lock.yaml", "package-lock.json", "Package.resolved", "packages.lock.json"})
# pip's hash-checking mode in requirements files: `--hash=sha256:<hex>`.
_REQUIREMENTS = re.compile(r"(?:.*requirements.*|constraints.*)\.(?:txt|in)")
_PIP_HASH = re.compile(r"--hash[=\s]+['\"]?(?:md5|sha1|sha224|sha256|sha384|sha512):([0-9a-fA-F]+)")
# pre-commit pins a hook repository to a commit: `rev: <40 hex>` (a tag otherwise).
_PRECOMMIT_REV = re.compile(r"^\s*(?:-\s*)?rev\s*:\s*['\"]?([0-9a-f]{40})['\"]?\s*(?:#.*)?$")
_HIGH_ENTROPY = frozenset({"Hex High Entropy String", "Base64 High Entropy String"})


def known_hash(filename: str, line: str, value: str, kind: str = "Hex High Entropy String") -> str | None:
    """Which rule makes `value`, a `kind` secret found on `line` of `filename`, a published hash (None: a secret).
    Only detect-secrets' high-entropy plugins are second-guessed: a key, token or password pattern never is."""
    value = value.strip().strip("'\"")
    if kind not in _HIGH_ENTROPY or not value:
        return None
    name = os.path.basename(filename)
    if _SRI.fullmatch(value) or any(m.group(1).endswith(value) and len(value) >= 43 for m in _SRI.finditer(line)):
        return "integrity hash"
    digest = _DIGEST.fullmatch(value)
    if digest and name in LOCK_FILES:
        return "lock-file hash"
    if digest and _REQUIREMENTS.fullmatch(name) and digest.group(1) in {m.group(1) for m in _PIP_HASH.finditer(line)}:
        return "lock-file hash"
    if name == ".pre-commit-config.yaml" and (m := _PRECOMMIT_REV.match(line)) and m.group(1) == value:
        return "pre-commit rev"
    return None


class Lines:
    """Lines of the scanned files, read on demand (only for files with a candidate)."""

    def __init__(self) -> None:
        self._files: dict[str, list[str]] = {}

    def get(self, filename: str, number: int) -> str:
        if filename not in self._files:
            try:
                with open(filename, encoding="utf-8", errors="replace") as fh:
                    self._files[filename] = fh.read().splitlines()
            except OSError:
                self._files[filename] = []
        lines = self._files[filename]
        return lines[number - 1] if 0 < number <= len(lines) else ""


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
    lines, results, dropped = Lines(), [], Counter[str]()
    for name, s in new:
        rule = known_hash(name, lines.get(name, s.line_number), s.secret_value or "", s.type)
        if rule is not None:
            dropped[rule] += 1
            continue
        results.append({"file": name, "line": s.line_number, "type": s.type, "hash": s.secret_hash,
                        "preview": (s.secret_value or "")[:2] + "…"})
    json.dump({"version": version("detect-secrets"), "results": results, "baseline": bool(baseline_path),
               "hashesIgnored": dict(dropped)}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
