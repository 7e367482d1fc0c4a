"""What the terminal shows (issue 12 points 2 and 8, issue 10 point 20), read from the real CLI's stderr: the
findings that failed, where the reports went, the summary table, merge's wording, `--format text` with nothing
to print, warnings printed once, and no escape sequence from a target or a scanned file ever reaching the
terminal or the report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from secscan.cli import cli
from secscan.errors import EXIT_OK, EXIT_POLICY_FAILED, EXIT_SCAN_ERROR
from secscan.models import Notification, Severity, Status, ToolRun
from tests.conftest import REPO
from tests.report_support import finding, gate, run, sarif_doc, write_baseline, write_sarif

SECSCAN = str(Path(sys.executable).with_name("secscan"))
HEADER = ["tool", "status", "critical", "high", "medium", "low", "suppressed", "time"]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "repo").mkdir()
    return tmp_path / "repo"


def test_summary_ends_with_the_failing_findings_new_first_then_the_report_paths(root: Path, tmp_path: Path):
    old = [finding("bandit", "B602", f"src/old{i}.py", 3) for i in range(10)]
    new = [finding("semgrep", "sql-injection-taint", f"src/new{i:02}.py", 7) for i in range(15)]
    low = finding("bandit", "B101", "src/x.py", 1, Severity.LOW)
    sarif = write_sarif(tmp_path / "in.sarif", [run("bandit", *old, low), run("semgrep", *new)], root)
    baseline = write_baseline(tmp_path / "b.json", old)
    (tmp_path / "cfg.toml").write_text("fail_on_existing = true\n")  # unchanged findings count too
    out, html = tmp_path / "out.sarif", tmp_path / "report.html"
    args = [str(sarif), "--baseline", str(baseline), "--config", str(tmp_path / "cfg.toml")]
    result = gate(*args, "-o", str(out), "--html", str(html))
    assert result.exit_code == EXIT_POLICY_FAILED, result.output
    lines = result.stderr.splitlines()
    start = lines.index("Counted findings at or above high (new first):")
    assert lines[start + 1:start + 16] == [
        f"src/new{i:02}.py:7: HIGH [semgrep sql-injection-taint] something is wrong (new)" for i in range(15)]
    assert lines[start + 16:start + 21] == [
        f"src/old{i}.py:3: HIGH [bandit B602] something is wrong (unchanged)" for i in range(5)]
    assert lines[start + 21:] == ["… and 5 more", f"SARIF: {out}", f"HTML: {html}"]
    assert "B101" not in result.stderr and result.stdout == ""  # below fail_on; nothing on stdout
    sarif_doc(out)
    quiet = gate(*args, "-q", "-o", str(out))
    assert quiet.exit_code == EXIT_POLICY_FAILED
    assert "Counted findings" not in quiet.stderr and "SARIF:" not in quiet.stderr and "src/new" not in quiet.stderr


def test_a_passing_run_lists_nothing_but_the_outputs(root: Path, tmp_path: Path):
    sarif = write_sarif(tmp_path / "in.sarif", [run("bandit", finding("bandit", "B101", "a.py", 1, Severity.LOW))],
                        root)
    result = gate(str(sarif), "-o", "-")
    assert result.exit_code == EXIT_OK
    assert result.stderr.splitlines()[-2:] == ["PASS (exit 0): no finding at or above high", "SARIF: standard output"]
    assert "Counted findings" not in result.stderr


def test_table_keeps_the_tool_column_whole_on_a_narrow_terminal_and_has_no_title(root: Path, tmp_path: Path):
    sarif = write_sarif(tmp_path / "in.sarif", [run("bandit"), run("detect-secrets"), run("pip-audit")], root)
    result = subprocess.run([SECSCAN, "gate", str(sarif)], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "COLUMNS": "30", "TERM": "dumb"}, cwd=root)
    assert result.returncode == EXIT_OK, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].split() == HEADER  # the table is the first thing printed: no title above it
    rows = [line.split() for line in lines[2:5]]
    assert [r[0] for r in rows] == ["bandit", "detect-secrets", "pip-audit"] and all(len(r) == 8 for r in rows)


def test_merge_says_how_many_runs_from_how_many_files_grammatically(root: Path, tmp_path: Path):
    two_runs = write_sarif(tmp_path / "two.sarif", [run("bandit"), run("semgrep")], root)
    one_run = write_sarif(tmp_path / "one.sarif", [run("pip-audit")], root)
    out = tmp_path / "merged.sarif"
    result = CliRunner().invoke(cli, ["merge", str(two_runs), "-o", str(out)])
    assert result.exit_code == EXIT_OK
    assert result.stderr.strip() == f"secscan: merged 2 runs from 1 file into {out}"
    result = CliRunner().invoke(cli, ["merge", str(one_run), "-o", str(out)])
    assert result.stderr.strip() == f"secscan: merged 1 run from 1 file into {out}"
    result = CliRunner().invoke(cli, ["merge", str(one_run), str(two_runs), "-o", str(out)])
    assert result.stderr.strip() == f"secscan: merged 3 runs from 2 files into {out}"
    sarif_doc(out)


def test_format_text_without_findings_prints_nothing_on_stdout_and_says_so_on_stderr(root: Path, tmp_path: Path):
    empty = write_sarif(tmp_path / "empty.sarif", [run("bandit"), run("semgrep")], root)
    for quiet in ((), ("-q",)):
        result = gate(str(empty), "--format", "text", *quiet)
        assert result.exit_code == EXIT_OK
        assert result.stdout == ""
        assert "secscan: no findings" in result.stderr.splitlines()
    some = write_sarif(tmp_path / "some.sarif", [run("bandit", finding("bandit", "B101", "a.py", 1, Severity.LOW))],
                       root)
    result = gate(str(some), "--format", "text")
    assert result.stdout == "a.py:1: LOW [bandit B101] something is wrong\n" and "no findings" not in result.stderr


HOSTILE = "\x1b]0;owned\x07boom \x1b[31mred\x1b[0m\r\x9b2J tail"


def test_escape_sequences_from_targets_never_reach_the_terminal_or_the_report(root: Path, tmp_path: Path):
    hostile = finding("secscan-api", "bola", "openapi.json", 4, Severity.CRITICAL, message=HOSTILE,
                      logical_location="GET /x\x1b[2J")
    runs = [ToolRun("secscan-api", Status.OK, (hostile,), (Notification("warning", f"server said {HOSTILE}"),),
                    version="0.1"),
            ToolRun("bandit", Status.FAILED, notifications=(Notification("error", f"crash {HOSTILE}"),))]
    sarif = write_sarif(tmp_path / "in.sarif", runs, root)
    html = tmp_path / "r.html"
    result = gate(str(sarif), "--format", "text", "--html", str(html))
    assert result.exit_code == EXIT_SCAN_ERROR
    outputs = {"stdout": result.stdout, "stderr": result.stderr, "html": html.read_text(encoding="utf-8")}
    for name, text in outputs.items():
        for bad in ("\x1b", "\x07", "\x9b", "\r", "owned"):
            assert bad not in text, (name, bad)
    assert "openapi.json:4: CRITICAL [secscan-api bola] boom red tail" in result.stdout
    assert "warning: secscan-api: server said boom red tail" in result.stderr
    assert "error: bandit: crash boom red" in result.stderr.splitlines()  # the first line only


@pytest.mark.slow  # a real server (uvicorn) and the real CLI in a subprocess
def test_api_warnings_are_printed_once(tmp_path: Path):
    from secscan_demo.serve import serve
    from secscan_demo.tenant_api.app import create_app, issue_token

    app = create_app()
    users = ("alice", "bob")
    env = {**os.environ, **{f"{u.upper()}_TOKEN": issue_token(app, u) for u in users}}
    (tmp_path / "tenants.yaml").write_text("tenants:\n" + "".join(
        f'  {u}:\n    headers: {{Authorization: "Bearer ${{{u.upper()}_TOKEN}}"}}\n' for u in users))
    spec = REPO / "fixtures" / "vuln_apps" / "tenant_api" / "openapi.json"
    with serve(app) as base_url:
        result = subprocess.run([SECSCAN, "api", "--openapi", str(spec), "--tokens", str(tmp_path / "tenants.yaml"),
                                 "--base-url", base_url, "--probes", "bola,auth", "--max-requests", "40",
                                 "-o", str(tmp_path / "api.sarif")],
                                capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert result.returncode in (EXIT_OK, EXIT_POLICY_FAILED, EXIT_SCAN_ERROR), result.stderr
    budget = [line for line in result.stderr.splitlines() if "request budget of 40 exhausted" in line]
    assert budget == ["warning: secscan-api: request budget of 40 exhausted; results are incomplete"], result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == len(set(warnings))  # each once, from the run's notifications
