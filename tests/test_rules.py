"""Checks secscan's own semgrep rule pack: semgrep --test passes and every rule carries the required metadata."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.slow  # real tools, real servers (see the slow marker in pyproject.toml)

REPO = Path(__file__).resolve().parents[1]
RULES_DIR = REPO / "rules"
MIN_RULES = 30
MIN_CASES = 2  # per rule: at least two matching and two near-miss examples
SEMGREP_TIMEOUT_S = 900

SEVERITIES = {"ERROR", "WARNING", "INFO"}
SECSCAN_SEVERITIES = {"critical", "high", "medium", "low"}
CONFIDENCES = {"HIGH", "MEDIUM", "LOW"}
REQUIRED_METADATA = (
    "cwe",
    "owasp",
    "confidence",
    "category",
    "secscan-severity",
    "title",
    "remediation",
    "references",
)
CWE_RE = re.compile(r"^CWE-\d+: \S")
OWASP_RE = re.compile(r"^(A(0[1-9]|10):2021|API([1-9]|10):2023) - \S")
METAVAR_RE = re.compile(r"\$[A-Z_][A-Z0-9_]*")


def find_semgrep() -> str | None:
    """Return the semgrep executable: $SECSCAN_SEMGREP_BIN, then PATH, then the repo's .venv-semgrep."""
    from_env = os.environ.get("SECSCAN_SEMGREP_BIN")
    if from_env:
        return from_env
    # Same search as secscan itself: PATH, then next to this interpreter (install.sh links it there).
    on_path = shutil.which("semgrep", path=os.pathsep.join([os.environ.get("PATH", ""), str(Path(sys.executable).parent)]))
    if on_path:
        return on_path
    candidate = REPO / ".venv-semgrep" / "bin" / "semgrep"
    return str(candidate) if candidate.exists() else None


def rule_files() -> list[Path]:
    """All rule files of the pack, sorted for stable parametrisation."""
    return sorted(RULES_DIR.glob("*.yaml"))


def load_rule(path: Path) -> dict[str, Any]:
    """Parse a rule file and return its single rule, asserting the one-rule-per-file layout."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict) and isinstance(doc.get("rules"), list), f"{path.name}: no top-level rules list"
    assert len(doc["rules"]) == 1, f"{path.name}: expected exactly one rule, got {len(doc['rules'])}"
    return doc["rules"][0]


def test_semgrep_test_suite_passes() -> None:
    semgrep = find_semgrep()
    if semgrep is None:
        pytest.fail("semgrep not found: set SECSCAN_SEMGREP_BIN, put semgrep on PATH or create .venv-semgrep")
    env = {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
    cmd = [semgrep, "--test", "--metrics=off", "--disable-version-check", "rules/"]
    proc = subprocess.run(
        cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=SEMGREP_TIMEOUT_S, check=False
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"semgrep --test failed (rc={proc.returncode}):\n{output[-6000:]}"
    summary = re.search(r"(\d+)/(\d+): ✓ All tests passed", output)
    assert summary, f"no pass summary in semgrep output:\n{output[-3000:]}"
    assert int(summary.group(2)) == len(rule_files()), "semgrep tested a different number of rules than exist"


def test_pack_size_and_unique_ids() -> None:
    paths = rule_files()
    assert len(paths) >= MIN_RULES, f"only {len(paths)} rules in {RULES_DIR}"
    ids = [load_rule(p)["id"] for p in paths]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate rule ids: {duplicates}"


@pytest.mark.parametrize("path", rule_files(), ids=lambda p: p.stem)
def test_rule_shape(path: Path) -> None:
    rule = load_rule(path)
    assert rule["id"] == path.stem
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", rule["id"]), "id must be kebab-case"
    # Python rules, plus regex rules for template files (their test file is the .html next to them).
    assert rule["languages"] in (["python"], ["regex"])
    assert rule["severity"] in SEVERITIES
    message = rule["message"]
    assert isinstance(message, str) and message.strip()
    assert not METAVAR_RE.search(message), "message must not interpolate metavariables"
    assert not METAVAR_RE.search(str(rule.get("metadata", {}).get("title", ""))), "title must be static"


@pytest.mark.parametrize("path", rule_files(), ids=lambda p: p.stem)
def test_rule_metadata(path: Path) -> None:
    meta = load_rule(path).get("metadata") or {}
    missing = [key for key in REQUIRED_METADATA if key not in meta]
    assert not missing, f"missing metadata keys: {missing}"
    assert isinstance(meta["cwe"], list) and meta["cwe"], "cwe must be a non-empty list"
    assert all(isinstance(c, str) and CWE_RE.match(c) for c in meta["cwe"]), meta["cwe"]
    assert isinstance(meta["owasp"], list) and meta["owasp"], "owasp must be a non-empty list"
    assert all(isinstance(o, str) and OWASP_RE.match(o) for o in meta["owasp"]), meta["owasp"]
    assert meta["secscan-severity"] in SECSCAN_SEVERITIES
    assert meta["confidence"] in CONFIDENCES
    assert meta["category"] == "security"
    assert isinstance(meta["title"], str) and 0 < len(meta["title"]) <= 80
    assert isinstance(meta["remediation"], str) and meta["remediation"].strip()
    refs = meta["references"]
    assert isinstance(refs, list) and 1 <= len(refs) <= 2, "references must list 1-2 URLs"
    assert all(isinstance(r, str) and r.startswith(("https://", "http://")) for r in refs), refs


@pytest.mark.parametrize("path", rule_files(), ids=lambda p: p.stem)
def test_rule_has_annotated_test_file(path: Path) -> None:
    rule_id = load_rule(path)["id"]
    targets = [p for p in path.parent.glob(f"{path.stem}.*") if p.suffix != ".yaml"]
    assert len(targets) == 1, f"need exactly one test file next to {path.name}, found {[t.name for t in targets]}"
    text = targets[0].read_text(encoding="utf-8")
    annotation = r"(?:#|<!--)\s*{kind}:\s*(?:[\w-]+\s*,\s*)*{rid}\b"
    positives = re.findall(annotation.format(kind="ruleid", rid=re.escape(rule_id)), text)
    negatives = re.findall(annotation.format(kind="ok", rid=re.escape(rule_id)), text)
    assert len(positives) >= MIN_CASES, f"need >= {MIN_CASES} '# ruleid:' cases, found {len(positives)}"
    assert len(negatives) >= MIN_CASES, f"need >= {MIN_CASES} '# ok:' cases, found {len(negatives)}"


def test_generated_taint_rules_match_their_generator() -> None:
    """The taint rules are written by scripts/build_rules.py; a hand edit of the YAML (or a script change that was
    not re-run) fails here."""
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "build_rules.py"), "--check"], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "up to date" in proc.stdout
