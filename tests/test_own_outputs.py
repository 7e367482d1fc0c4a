"""secscan never scans its own output (issue 12, point 1): SARIF logs, baselines, HTML reports and the ignore file,
recognised by name (the paths a command writes or reads as its own, the default names, the config's files) and by
content (only the first KiB of `.sarif`/`.json`/`.html`/`.yaml` candidates is read)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from secscan import baseline, html_report
from secscan.errors import UsageError
from secscan.models import Finding, KnownFinding, Location, Rule, Severity, Status, ToolRun
from secscan.pipeline import ScanRequest, prepare, run
from secscan.policy import Verdict
from secscan.sarif import dumps, to_sarif
from secscan.targets import collect
from tests.childproc import run_secscan
from tests.conftest import ADVISORIES

VULNERABLE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
AWS_KEY = "AKIA" + "IOSFODNN7" + "EXAMPLX"
SECRETS = f'AWS_KEY = "{AWS_KEY}"\npassword = "Sup3r-s3cret-v4lue-9f8e7d"\n'
RULE = Rule(id="B602", title="subprocess with shell", description="d", severity=Severity.HIGH)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _sarif_text(tmp_path: Path) -> str:
    finding = Finding("bandit", RULE, "m", Location("app.py", 5), Severity.HIGH, fingerprint="ab" * 16,
                      line_hash="1:1")
    runs = [ToolRun("bandit", Status.OK, tuple([finding] * 40))]  # long enough that "version" is far from the head
    return dumps(to_sarif(runs, tmp_path))


# --- recognising by content -----------------------------------------------------------------------------------


def test_own_outputs_are_recognised_by_content(tmp_path: Path):
    from secscan.targets import own_output_kind

    sarif = _write(tmp_path / "old.sarif", _sarif_text(tmp_path))
    assert sarif.stat().st_size > 4096
    entries = [KnownFinding("0123456789abcdef" * 2, "bandit", "B602", "app.py", "2026-01-01")]
    cases = {
        "old.sarif": "SARIF log",
        "copy.json": _sarif_text(tmp_path),
        "other-tool.json": '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}}]}',
        "accepted.json": baseline.dumps(entries),
        "empty-baseline.json": baseline.dumps(()),
        "report.html": html_report.render([], Verdict(0, ("no finding at or above high",))),
        "marked.htm": '<!DOCTYPE html><html><head><meta name="generator" content="secscan 0.2"></head></html>',
        "ignore.yml": "# reviewed\nversion: 1\nsuppressions:\n  - rule: B602\n    path: x.py\n    reason: r\n",
    }
    for name, text in cases.items():
        path = tmp_path / name if name == "old.sarif" else _write(tmp_path / name, text)
        assert own_output_kind(path) is not None, name
    assert own_output_kind(tmp_path / "old.sarif") == "SARIF log"
    assert own_output_kind(tmp_path / "accepted.json") == "baseline"
    assert own_output_kind(tmp_path / "report.html") == "HTML report"
    assert own_output_kind(tmp_path / "ignore.yml") == "suppression file"


def test_other_files_are_not_mistaken_for_own_outputs(tmp_path: Path):
    from secscan.targets import own_output_kind

    cases = {
        "package.json": '{"name": "x", "version": "2.1.0", "scripts": {}}',
        "data.json": '{"version": 1, "findings": [{"id": 3, "secret": "x"}]}',
        "schema.json": '{"$schema": "http://json-schema.org/draft-04/schema#", "runs": []}',
        "page.html": "<!DOCTYPE html><html><head><title>secscan report</title></head></html>",
        "app.yaml": "service: x\nsuppressions:\n  - rule: B602\n",
        "nested.yaml": "alerts:\n  suppressions:\n    - rule: B602\n",
        "sarif.py": _sarif_text(tmp_path),  # only .sarif/.json/.html/.yaml candidates are ever read
        "binary.json": "\x00\x01",
    }
    for name, text in cases.items():
        assert own_output_kind(_write(tmp_path / name, text)) is None, name
    assert own_output_kind(tmp_path / "missing.json") is None


def test_the_walk_excludes_own_files_by_name_silently_and_by_content_with_a_note(tmp_path: Path):
    _write(tmp_path / "app.py", "x = 1\n")
    for name in ("secscan.sarif", ".secscan-baseline.json", ".secscan-ignore.yaml", "sub/secscan.sarif"):
        _write(tmp_path / name, "anything\n")
    _write(tmp_path / "results.txt", "written by -o\n")
    _write(tmp_path / "reports/last.json", _sarif_text(tmp_path))
    targets = collect([tmp_path], root=tmp_path, own_files=[tmp_path / "results.txt"])
    assert [targets.relative(f) for f in targets.files] == ["app.py"]
    assert {targets.relative(f) for f in targets.own} == {"secscan.sarif", ".secscan-baseline.json", "results.txt",
                                                          ".secscan-ignore.yaml", "sub/secscan.sarif", "reports/last.json"}
    (note,) = targets.skipped
    assert note.display == "reports/last.json" and note.level == "note" and "SARIF log" in note.reason


def test_an_explicit_own_file_leaves_nothing_to_scan(tmp_path: Path):
    _write(tmp_path / "out.sarif", _sarif_text(tmp_path))
    message = collect([tmp_path / "out.sarif"], root=tmp_path).nothing_left()
    assert "out.sarif" in message and "secscan's own" in message


def test_the_config_files_and_the_request_own_files_are_excluded_by_name(tmp_path: Path):
    root = tmp_path / "repo"
    _write(root / "app.py", "x = 1\n")
    _write(root / "policy/accepted.base", baseline.dumps(()))
    _write(root / "policy/ignore.txt", "suppressions:\n  - rule: B602\n    path: x.py\n    reason: r\n")
    _write(root / "secscan.toml", 'baseline = "policy/accepted.base"\nsuppressions = "policy/ignore.txt"\n')
    _write(root / "out/findings.txt", "the SARIF log, whatever its name\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    plan = prepare(ScanRequest(start=root, own_files=(root / "out/findings.txt",)))
    assert plan.targets is not None
    assert [plan.targets.relative(f) for f in plan.targets.files] == ["app.py", "secscan.toml"]
    with pytest.raises(UsageError, match="nothing to scan"):
        prepare(ScanRequest(start=root, paths=(root / "out",), own_files=(root / "out/findings.txt",)))


# --- end to end: the real tools, real files, scanning twice -------------------------------------------------------


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    _write(root / "app.py", VULNERABLE + SECRETS)
    _write(root / "requirements.txt", "requests==2.19.0\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _findings(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    return list(json.loads(proc.stdout)["findings"])


def _static(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_secscan("static", ".", "--advisory-db", ADVISORIES, "--format", "json", "-q", "--fail-on", "low",
                       *args, cwd=root)


@pytest.mark.slow
def test_a_second_scan_never_reports_secscans_own_files(tmp_path: Path):
    root = _repo(tmp_path)
    first = _findings(_static(root, "-o", "out.sarif", "--html", "report.html"))
    assert {"bandit", "detect-secrets", "pip-audit"} <= {f["tool"] for f in first}
    made = run_secscan("baseline", "create", ".", "--advisory-db", ADVISORIES, "-q", cwd=root)
    assert made.returncode == 0, made.stderr
    some = next(f for f in first if f["tool"] == "bandit")
    _write(root / ".secscan-ignore.yaml", f"suppressions:\n  - fingerprint: {some['fingerprint']}\n"
                                          "    reason: reviewed, the command is a constant\n")
    # the same outputs again under names secscan did not choose: recognised by content
    copies = {"reports/last-run.json": "out.sarif", "reports/accepted.json": ".secscan-baseline.json",
              "reports/page.html": "report.html", "policy/ignore.yml": ".secscan-ignore.yaml"}
    for copy, original in copies.items():
        (root / copy).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / original, root / copy)
    own = {*copies, *copies.values()}
    key = lambda f: (f["tool"], f["rule"], f["path"], f["line"])  # noqa: E731
    for _ in range(2):  # no snowball: every later scan reports exactly what the first one did
        again = _findings(_static(root, "-o", "out.sarif", "--html", "report.html"))
        assert not {f["path"] for f in again} & own, sorted({(f["tool"], f["path"]) for f in again})
        assert sorted(map(key, again)) == sorted(map(key, first))
    updated = run_secscan("baseline", "update", ".", "--advisory-db", ADVISORIES, "-q", cwd=root)
    assert updated.returncode == 0, updated.stderr
    recorded = json.loads((root / ".secscan-baseline.json").read_text())["findings"]
    assert recorded and not {e["path"] for e in recorded} & own
    assert {e["fingerprint"] for e in recorded} == {f["fingerprint"] for f in first}


@pytest.mark.slow
def test_files_a_command_writes_are_never_scanned_whatever_their_name_or_content(tmp_path: Path):
    """By name only (nothing to sniff in a `.py` or `.txt`): every tool, bandit and semgrep included."""
    root = _repo(tmp_path)
    _write(root / "scan_output.py", VULNERABLE + SECRETS)
    _write(root / "notes/result.txt", SECRETS)
    _write(root / "policy/accepted.py", VULNERABLE + SECRETS)
    _write(root / "secscan.toml", 'baseline = "policy/accepted.py"\n')
    (root / "policy/accepted.py").write_text(baseline.dumps(()))
    _write(root / "policy/shadow.py", VULNERABLE + SECRETS)  # not secscan's: scanned
    result = run(ScanRequest(start=root, own_files=(root / "scan_output.py", root / "notes/result.txt"),
                             overrides={"advisory_db": str(ADVISORIES)}, apply_baseline=False, today=date(2026, 6, 1)))
    assert all(r.status.succeeded for r in result.runs), [(r.tool, r.notifications) for r in result.runs]
    by_path = {(f.tool, f.location.path) for r in result.runs for f in r.findings}
    assert {("bandit", "app.py"), ("detect-secrets", "app.py"), ("bandit", "policy/shadow.py")} <= by_path
    assert not {p for _, p in by_path} & {"scan_output.py", "notes/result.txt", "policy/accepted.py"}, by_path


@pytest.mark.slow
def test_cli_output_paths_are_never_scanned_whatever_their_name(tmp_path: Path):
    """Needs the lead's wiring: `static`/`scan` pass `-o` and `--html` as ScanRequest.own_files."""
    root = _repo(tmp_path)
    first = _findings(_static(root, "-o", "scan-results.txt", "--html", "scan-report.txt"))
    again = _findings(_static(root, "-o", "scan-results.txt", "--html", "scan-report.txt"))
    assert not {f["path"] for f in again} & {"scan-results.txt", "scan-report.txt"}
    assert len(again) == len(first)
