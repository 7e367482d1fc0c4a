"""Hostile or merely broken trees (issue 10): secscan never crashes, hangs or loses results because of them.

Every scan runs the real tools in a child process (tests/childproc.py) with an address-space cap, so a regression
fails instead of eating the machine; an unreadable directory is really unreadable (the child runs without root's
DAC capabilities). `--timeout` only bounds how long a regression takes to show: nothing here asserts a duration.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from secscan.errors import EXIT_POLICY_FAILED, EXIT_SCAN_ERROR, EXIT_USAGE, ConfigError, UsageError
from secscan.fingerprints import annotate
from secscan.models import Finding, Location, Rule, Severity
from secscan.pipeline import ScanRequest, prepare
from tests.childproc import run_secscan
from tests.conftest import ADVISORIES, validate_sarif

VULNERABLE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
TOOLS = {"bandit", "semgrep", "pip-audit", "detect-secrets"}


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _scan(root: Path, *args: str, drop_dac: bool = False) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    out = root.parent / "out.sarif"
    proc = run_secscan("static", ".", "-o", out, "--advisory-db", ADVISORIES, "--timeout", "120", *args, cwd=root,
                       drop_dac=drop_dac)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert out.is_file(), proc.stderr[-3000:]
    doc = json.loads(out.read_text())
    validate_sarif(doc)
    return proc, doc


def _runs(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {run["tool"]["driver"]["name"]: run for run in doc["runs"]}


def _results(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(run["tool"]["driver"]["name"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
            for run in doc["runs"] for r in run.get("results", [])}


def _notes(run: dict[str, Any]) -> list[tuple[str, str]]:
    return [(n.get("level", "warning"), n["message"]["text"])
            for n in run["invocations"][0].get("toolExecutionNotifications", [])]


def _all_ran(doc: dict[str, Any]) -> None:
    runs = _runs(doc)
    assert set(runs) == TOOLS
    failed = {name: _notes(run) for name, run in runs.items() if not run["invocations"][0]["executionSuccessful"]}
    assert not failed, failed


# --- 12: a file name that is not UTF-8, an unreadable directory ------------------------------------------------


def test_fingerprinting_a_path_that_is_not_utf8_does_not_raise(tmp_path: Path):
    rule = Rule(id="B602", title="t", description="d", severity=Severity.HIGH)
    odd = os.fsdecode(b"odd\xff.py")
    (finding,) = annotate([Finding("bandit", rule, "m", Location(odd, 1), Severity.HIGH)], tmp_path)
    assert finding.fingerprint and len(finding.fingerprint) == 32


@pytest.mark.slow
def test_a_file_name_that_is_not_utf8_costs_no_results(tmp_path: Path):
    root = _repo(tmp_path, {"app.py": VULNERABLE, "requirements.txt": "requests==2.19.0\n"})
    with open(os.path.join(os.fsencode(root), b"odd\xff.py"), "wb") as handle:
        handle.write(VULNERABLE.encode())
    proc, doc = _scan(root)
    assert proc.returncode == EXIT_POLICY_FAILED, proc.stderr[-3000:]
    _all_ran(doc)
    assert {("bandit", "app.py"), ("pip-audit", "requirements.txt")} <= _results(doc)
    assert not any("odd" in uri for _, uri in _results(doc))


@pytest.mark.slow
def test_an_unreadable_directory_or_file_costs_no_results(tmp_path: Path):
    root = _repo(tmp_path, {"app.py": VULNERABLE, "locked/hidden.py": VULNERABLE, "secret.py": VULNERABLE})
    (root / "locked").chmod(0)
    (root / "secret.py").chmod(0)
    try:
        proc, doc = _scan(root, drop_dac=True)
    finally:
        (root / "locked").chmod(0o755)
        (root / "secret.py").chmod(0o644)
    assert proc.returncode == EXIT_POLICY_FAILED, proc.stderr[-3000:]
    _all_ran(doc)
    assert ("bandit", "app.py") in _results(doc)


# --- 13: FIFOs, sockets, devices and huge files ----------------------------------------------------------------


@pytest.mark.slow
def test_fifo_socket_and_device_do_not_block_the_tools(tmp_path: Path):
    root = _repo(tmp_path, {"app.py": VULNERABLE})
    os.mkfifo(root / "pipe.py")
    os.mkfifo(root / "notes.txt")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(root / "sock.py"))
    try:
        os.mknod(root / "null.py", stat.S_IFCHR | 0o666, os.makedev(1, 3))  # /dev/null's numbers
    except PermissionError:
        pass  # no CAP_MKNOD here: FIFO and socket still cover the case
    proc, doc = _scan(root)
    assert proc.returncode == EXIT_POLICY_FAILED, proc.stderr[-3000:]
    _all_ran(doc)
    assert ("bandit", "app.py") in _results(doc)


@pytest.mark.slow
def test_a_200_mb_python_file_is_skipped_not_fed_to_the_tools(tmp_path: Path):
    root = _repo(tmp_path, {"app.py": VULNERABLE})
    line = b"value = compute(1, 2, 3)\n"
    with open(root / "huge.py", "wb") as handle:
        chunk = line * (2**20 // len(line))
        for _ in range(200):
            handle.write(chunk)
    proc, doc = _scan(root)  # under RLIMIT_AS: bandit alone wanted 7.8 GB for this file
    assert proc.returncode == EXIT_POLICY_FAILED, proc.stderr[-3000:]
    _all_ran(doc)
    assert ("bandit", "app.py") in _results(doc)
    assert not any(uri == "huge.py" for _, uri in _results(doc))


def test_max_file_size_is_configurable_and_documented_in_config_show(tmp_path: Path):
    from secscan.config import load, show

    root = _repo(tmp_path, {"app.py": VULNERABLE, "big.py": "x = 1\n" * 100, "secscan.toml": "max_file_size = 300\n"})
    plan = prepare(ScanRequest(start=root))
    assert [plan.targets.relative(f) for f in plan.targets.python_files()] == ["app.py"]
    (skip,) = [s for s in plan.targets.skipped if s.display == "big.py"]
    assert "600 bytes" in skip.reason and "max_file_size 300" in skip.reason
    assert "max_file_size = 5000000" in show(load(tmp_path, discover_file=False))  # the documented default
    (root / "secscan.toml").write_text("max_file_size = 0\n")
    with pytest.raises(ConfigError, match="max_file_size"):
        prepare(ScanRequest(start=root))


# --- 14: requirement includes, unreadable dependency files ------------------------------------------------------


@pytest.mark.slow
def test_requirement_includes_inside_the_tree_are_audited(tmp_path: Path):
    root = _repo(tmp_path, {"app.py": "x = 1\n", "requirements.txt": "-r deps/common.txt\n-c constraints.txt\n",
                            "deps/common.txt": "# shared pins\nrequests==2.19.0\n", "constraints.txt": "urllib3==1.24.1\n"})
    proc, doc = _scan(root, "--tools", "pip-audit")
    assert proc.returncode == EXIT_POLICY_FAILED, proc.stderr[-3000:]
    (run,) = doc["runs"]
    located = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run.get("results", [])}
    assert ("deps/common.txt", 2) in located
    assert not any(uri == "constraints.txt" for uri, _ in located)  # constraints pin, they do not install
    assert any("constraints.txt" in text for _, text in _notes(run))


def test_unreadable_dependency_files_are_not_audited_errors(tmp_path: Path):
    from secscan.targets import collect
    from secscan.tools.pip_audit import _read_dependencies

    root = _repo(tmp_path, {"requirements.txt": "requests==2.19.0\n-r missing.txt\n-r ../outside.txt\n"
                                                "-r https://example.invalid/r.txt\n"})
    (root / "requirements-dev.txt").write_bytes(b"flask==0.12\n\xff\n")
    (tmp_path / "outside.txt").write_text("django==1.0\n")
    targets = collect([root], root=root)
    files = [f for f in targets.files if f.name.startswith("requirements")]
    deps, notes = _read_dependencies(files, targets)
    assert [(d.name, d.version) for d in deps] == [("requests", "2.19.0")]
    errors = " | ".join(n.message for n in notes if n.level == "error")
    for needle in ("requirements-dev.txt", "missing.txt", "../outside.txt", "https://example.invalid/r.txt"):
        assert needle in errors, (needle, notes)
    assert "django" not in " ".join(n.message for n in notes)  # a file outside the tree is never read
    _, allowed = _read_dependencies(files, targets, allow_unaudited=True)
    assert "error" not in {n.level for n in allowed}


@pytest.mark.slow
def test_an_unreadable_requirements_file_fails_the_audit_unless_allowed(tmp_path: Path):
    """Needs the lead's wiring: runner fails a run whose plan reported an error; plan passes allow_unaudited."""
    root = _repo(tmp_path, {"app.py": "x = 1\n", "requirements.txt": "requests==2.19.0\n"})
    (root / "requirements-dev.txt").write_bytes(b"flask==0.12\n\xff\n")
    proc, doc = _scan(root, "--tools", "pip-audit")
    assert proc.returncode == EXIT_SCAN_ERROR, proc.stderr[-3000:]
    (run,) = doc["runs"]
    assert not run["invocations"][0]["executionSuccessful"]
    assert any(level == "error" and "requirements-dev.txt" in text for level, text in _notes(run))
    assert ("pip-audit", "requirements.txt") in _results(doc)  # the readable file's results are kept
    proc, doc = _scan(root, "--tools", "pip-audit", "--allow-unaudited")
    assert proc.returncode == EXIT_POLICY_FAILED, proc.stderr[-3000:]
    assert any(level == "warning" and "requirements-dev.txt" in text for level, text in _notes(doc["runs"][0]))


# --- 15: explicit paths inside default excludes; nothing left to scan ---------------------------------------------


@pytest.mark.slow
def test_an_explicit_path_inside_a_default_exclude_is_scanned(tmp_path: Path):
    pkg = ".venv/lib/python3.11/site-packages/pkg"
    root = _repo(tmp_path, {".venv/pyvenv.cfg": "home = /usr\n", f"{pkg}/mod.py": VULNERABLE})
    proc = run_secscan("static", pkg, "-o", tmp_path / "out.sarif", "--tools", "bandit", cwd=root)
    assert proc.returncode == EXIT_POLICY_FAILED, proc.stderr[-3000:]
    assert "scanning 1 files" in proc.stderr
    assert ("bandit", f"{pkg}/mod.py") in _results(json.loads((tmp_path / "out.sarif").read_text()))


def test_nothing_left_to_scan_is_a_usage_error_naming_the_exclude(tmp_path: Path):
    root = _repo(tmp_path, {"gen/a.py": VULNERABLE, "gen/b.py": VULNERABLE, "cache/__pycache__/m.pyc": "x"})
    with pytest.raises(UsageError, match=r"nothing to scan.*exclude 'gen'.*gen"):
        prepare(ScanRequest(start=root, paths=(root / "gen",), overrides={"exclude": ["gen"]}))
    with pytest.raises(UsageError, match=r"nothing to scan.*default exclude '__pycache__'.*cache/__pycache__"):
        prepare(ScanRequest(start=root, paths=(root / "cache",)))
    proc = subprocess.run([sys.executable, "-m", "secscan.cli", "static", "gen", "--exclude", "gen"], cwd=root,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == EXIT_USAGE and "exclude 'gen'" in proc.stderr, proc.stderr


# --- 12, 13, 16: every skipped file is said on the runs that would have scanned it ---------------------------------


@pytest.mark.slow
def test_skipped_files_are_noted_on_the_runs_that_would_have_scanned_them(tmp_path: Path):
    """Needs the lead's wiring: runner adds `ctx.targets.skipped_notes(tool.files)` to each run."""
    root = _repo(tmp_path, {"app.py": VULNERABLE, "requirements.txt": "requests==2.19.0\n",
                            "big.py": "x = 1\n" * 100, "secscan.toml": "max_file_size = 300\n",
                            "locked/hidden.py": VULNERABLE})
    os.mkfifo(root / "pipe.py")
    (root / "link.py").symlink_to(root / "app.py")
    with open(os.path.join(os.fsencode(root), b"odd\xff.py"), "wb") as handle:
        handle.write(VULNERABLE.encode())
    (root / "locked").chmod(0)
    try:
        proc, doc = _scan(root, drop_dac=True)
    finally:
        (root / "locked").chmod(0o755)
    assert proc.returncode == EXIT_POLICY_FAILED, proc.stderr[-3000:]
    _all_ran(doc)
    runs = _runs(doc)
    for tool in ("bandit", "semgrep", "detect-secrets"):
        text = " ".join(t for _, t in _notes(runs[tool]))
        for name in ("pipe.py", "big.py", "link.py", "odd\\xff.py", "locked"):
            assert name in text, (tool, name, _notes(runs[tool]))
    pip_notes = " ".join(t for _, t in _notes(runs["pip-audit"]))
    assert "pipe.py" not in pip_notes and "locked" in pip_notes  # an unreadable directory may hold anything
