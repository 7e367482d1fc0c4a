"""`secscan upload` end to end against a local fake of GitHub's code scanning API (tests/fake_github.py):
payload encoding, left-out results, processing status, every failure as one line with exit 2 or 3, and the token
never anywhere but the Authorization header."""

from __future__ import annotations

import base64
import gzip
import json
import re
import secrets
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from secscan.cli import cli
from secscan.cli_upload import upload
from secscan.errors import EXIT_OK, EXIT_SCAN_ERROR, EXIT_USAGE
from secscan.fingerprints import annotate
from secscan.github_upload import GitHubClient, encode_sarif, parse_target, wait_for_processing
from secscan.models import Finding, Location, Rule, Severity, Status, ToolRun
from secscan.sarif import to_sarif
from tests.conftest import REPO, validate_sarif
from tests.fake_github import FakeGitHub

REPO_SLUG = "octo-org/octo-repo"
SHA = "0123456789abcdef0123456789abcdef01234567"
REF = "refs/heads/main"


@pytest.fixture
def token() -> str:
    return "ghs_" + secrets.token_hex(18)


@pytest.fixture
def sarif_doc(tmp_path: Path) -> dict[str, Any]:
    """secscan's own SARIF: bandit with four results (one suppressed, one baselined absent, one unchanged), semgrep
    with none."""
    (tmp_path / "app.py").write_text("import os\nos.system(a)\nos.system(b)\nos.system(c)\nos.system(d)\n")
    rule = Rule(id="B605", title="Shell", description="d", severity=Severity.HIGH, cwe=(78,))
    findings = [Finding(tool="bandit", rule=rule, message=f"m{n}", location=Location("app.py", n),
                        severity=Severity.HIGH) for n in (2, 3, 4, 5)]
    doc = to_sarif([ToolRun("bandit", Status.OK, tuple(annotate(findings, tmp_path)), version="1.9"),
                    ToolRun("semgrep", Status.OK, version="1.182.0")], tmp_path)
    results = doc["runs"][0]["results"]
    results[1]["suppressions"] = [{"kind": "inSource"}]
    results[2]["baselineState"] = "absent"
    results[3]["baselineState"] = "unchanged"
    validate_sarif(doc)
    return doc


@pytest.fixture
def sarif_file(tmp_path: Path, sarif_doc: dict[str, Any]) -> Path:
    path = tmp_path / "secscan.sarif"
    path.write_text(json.dumps(sarif_doc))
    return path


def invoke(sarif: Path, api_url: str, env: dict[str, str], *extra: str, repo: str = REPO_SLUG,
           ref: str = REF, sha: str = SHA) -> Result:
    args = ["upload", "--sarif", str(sarif), "--repo", repo, "--ref", ref, "--sha", sha, "--api-url", api_url,
            *extra]
    return CliRunner().invoke(cli, args, env={"GITHUB_API_URL": None, **env})


def assert_no_token(token: str, result: Result, fake: FakeGitHub | None = None) -> None:
    assert token not in result.stdout and token not in result.stderr
    if result.exception is not None:
        assert token not in str(result.exception) and token not in repr(result.exception)
    if fake is not None:
        assert fake.token_outside_authorization() == []


def one_error_line(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("secscan: error: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_upload_sends_gzip_base64_sarif_without_suppressed_or_absent_results(token: str, sarif_file: Path):
    with FakeGitHub(token) as fake:
        result = invoke(sarif_file, fake.url, {"GITHUB_TOKEN": token})
    assert result.exit_code == EXIT_OK, result.output
    (upload,) = fake.uploads
    assert (upload["commit_sha"], upload["ref"]) == (SHA, REF)
    sent = upload["sarif"]
    validate_sarif(sent)
    messages = [r["message"]["text"] for r in sent["runs"][0]["results"]]
    assert messages == ["m2", "m5"]  # m3 suppressed, m4 absent; m5 (baseline "unchanged") is still present
    assert [r["automationDetails"]["id"] for r in sent["runs"]] == ["secscan/bandit/", "secscan/semgrep/"]
    summary = json.loads(result.stdout)
    assert summary == {"id": upload["id"], "url": f"{fake.url}/repos/{REPO_SLUG}/code-scanning/sarifs/{upload['id']}",
                       "results": 2, "dropped": 2}
    assert "2 results in 2 runs, 2 left out" in result.stderr
    assert fake.polls == 0
    assert_no_token(token, result, fake)


def test_encode_sarif_is_gzip_then_base64(sarif_doc: dict[str, Any]):
    assert json.loads(gzip.decompress(base64.b64decode(encode_sarif(sarif_doc)))) == sarif_doc


def test_wait_polls_until_complete(token: str, sarif_file: Path):
    with FakeGitHub(token, pending_polls=2) as fake:
        result = invoke(sarif_file, fake.url, {"GITHUB_TOKEN": token}, "--wait", "--poll-interval", "0.01")
    assert result.exit_code == EXIT_OK, result.output
    assert fake.polls == 3
    summary = json.loads(result.stdout)
    assert summary["processing_status"] == "complete"
    assert summary["analyses_url"].endswith(f"sarif_id={fake.uploads[0]['id']}")
    assert "processing complete" in result.stderr
    assert_no_token(token, result, fake)


def test_wait_reports_failed_processing_with_githubs_errors_and_exit_3(token: str, sarif_file: Path):
    errors = ("locationFromSarifResult: expected artifact location", "rejecting SARIF, too many results")
    with FakeGitHub(token, mode="fail", pending_polls=1, processing_errors=errors) as fake:
        result = invoke(sarif_file, fake.url, {"GITHUB_TOKEN": token}, "--wait", "--poll-interval", "0.01")
    assert result.exit_code == EXIT_SCAN_ERROR
    line = one_error_line(result)
    assert "rejected the SARIF as invalid while processing upload" in line
    assert all(error in line for error in errors)
    assert_no_token(token, result, fake)


def test_wait_gives_up_with_a_warning_when_still_pending(token: str, sarif_file: Path):
    with FakeGitHub(token, pending_polls=10_000) as fake:
        result = invoke(sarif_file, fake.url, {"GITHUB_TOKEN": token}, "--wait", "--wait-timeout", "0.3",
                        "--poll-interval", "0.02")
    assert result.exit_code == EXIT_OK, result.output
    assert json.loads(result.stdout)["processing_status"] == "pending"
    assert "still pending after 0.3 s" in result.stderr
    assert 2 <= fake.polls < 20


def test_poll_delays_double_from_the_interval_up_to_30_seconds(token: str, sarif_doc: dict[str, Any]):
    now, sleeps = [0.0], []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    target = parse_target(REPO_SLUG, REF, SHA)
    with FakeGitHub(token, pending_polls=7) as fake, GitHubClient(fake.url, token) as client:
        receipt = client.upload(target, encode_sarif(sarif_doc))
        status = wait_for_processing(client, target, receipt.id, timeout=1000, interval=5, sleep=sleep,
                                     clock=lambda: now[0])
    assert status.status == "complete"
    assert sleeps == [5, 10, 20, 30, 30, 30, 30]


@pytest.mark.parametrize(("mode", "status", "said"), [
    ("403", 403, "Resource not accessible by integration; the token needs security_events write"),
    ("422", 422, "commit_sha does not exist in the repository"),
    ("413", 413, "Payload Too Large"),
])
def test_http_errors_are_one_line_with_exit_3(token: str, sarif_file: Path, mode: str, status: int, said: str):
    with FakeGitHub(token, mode=mode) as fake:
        result = invoke(sarif_file, fake.url, {"GITHUB_TOKEN": token})
    assert result.exit_code == EXIT_SCAN_ERROR
    line = one_error_line(result)
    assert f"GitHub answered HTTP {status}" in line and said in line
    assert fake.uploads == [] and result.stdout == ""
    assert_no_token(token, result, fake)


def test_wrong_token_is_a_401(token: str, sarif_file: Path):
    other = "ghs_" + secrets.token_hex(18)
    with FakeGitHub(token) as fake:
        result = invoke(sarif_file, fake.url, {"GITHUB_TOKEN": other})
    assert result.exit_code == EXIT_SCAN_ERROR
    line = one_error_line(result)
    assert "HTTP 401" in line and "Bad credentials" in line and "invalid or expired" in line
    assert_no_token(other, result)
    assert fake.uploads == []


def test_unknown_repository_is_a_404(token: str, sarif_file: Path):
    with FakeGitHub(token) as fake:
        result = invoke(sarif_file, fake.url, {"GITHUB_TOKEN": token}, repo="octo-org/other")
    assert result.exit_code == EXIT_SCAN_ERROR
    line = one_error_line(result)
    assert "HTTP 404" in line and "POST /repos/octo-org/other/code-scanning/sarifs" in line
    assert "no such repository" in line


def test_a_server_that_echoes_the_token_gets_it_scrubbed(token: str, sarif_file: Path):
    with FakeGitHub(token, mode="echo") as fake:
        result = invoke(sarif_file, fake.url, {"GITHUB_TOKEN": token})
    assert result.exit_code == EXIT_SCAN_ERROR
    assert "token rejected: Bearer ***" in one_error_line(result)
    assert_no_token(token, result, fake)


def test_network_error_is_one_line_with_exit_3(token: str, sarif_file: Path):
    result = invoke(sarif_file, f"http://127.0.0.1:{closed_port()}", {"GITHUB_TOKEN": token})
    assert result.exit_code == EXIT_SCAN_ERROR
    assert "the upload: cannot reach http://127.0.0.1:" in one_error_line(result)
    assert_no_token(token, result)


def test_a_custom_token_variable(token: str, sarif_file: Path):
    with FakeGitHub(token) as fake:
        result = invoke(sarif_file, fake.url, {"GITHUB_TOKEN": None, "SECSCAN_GH": token}, "--token-env", "SECSCAN_GH")
    assert result.exit_code == EXIT_OK, result.output
    assert len(fake.uploads) == 1


@pytest.mark.parametrize(("env", "said"), [
    ({"GITHUB_TOKEN": None}, "no GitHub token: environment variable GITHUB_TOKEN is not set or empty"),
    ({"GITHUB_TOKEN": "   "}, "no GitHub token"),
    ({"GITHUB_TOKEN": "ghs_abc\r\nX-Evil: 1"}, "the token in GITHUB_TOKEN contains spaces, control or non-ASCII"),
])
def test_missing_or_malformed_token_is_exit_2_and_nothing_is_sent(sarif_file: Path, env: dict[str, Any], said: str):
    with FakeGitHub("unused") as fake:
        result = invoke(sarif_file, fake.url, env)
    assert result.exit_code == EXIT_USAGE
    assert said in one_error_line(result)
    assert fake.requests == []
    if env["GITHUB_TOKEN"] and env["GITHUB_TOKEN"].strip():
        assert_no_token(env["GITHUB_TOKEN"], result)
        assert "ghs_abc" not in result.output


@pytest.mark.parametrize(("option", "value", "said"), [
    ("repo", "octo-repo", "--repo: 'octo-repo' is not OWNER/NAME"),
    ("repo", "a/b/c", "is not OWNER/NAME"),
    ("repo", "-octo/repo", "is not OWNER/NAME"),
    ("repo", "octo/..", "is not OWNER/NAME"),
    ("ref", "main", "did you mean refs/heads/main?"),
    ("ref", "refs/pull/x/merge", "--ref: 'refs/pull/x/merge' is not"),
    ("sha", "abc123", "--sha: 'abc123' is not a full commit SHA"),
])
def test_bad_repo_ref_or_sha_is_exit_2(token: str, sarif_file: Path, option: str, value: str, said: str):
    with FakeGitHub(token) as fake:
        result = invoke(sarif_file, fake.url, {"GITHUB_TOKEN": token}, **{option: value})
    assert result.exit_code == EXIT_USAGE
    assert said in one_error_line(result)
    assert fake.requests == []


@pytest.mark.parametrize(("url", "said"), [
    ("http://api.github.example", "refusing to send the token over plain http"),
    ("ftp://127.0.0.1/", "must be an http(s) URL"),
    ("https://user:pw@api.github.com", "without credentials"),
])
def test_unsafe_api_url_is_exit_2(token: str, sarif_file: Path, url: str, said: str):
    result = invoke(sarif_file, url, {"GITHUB_TOKEN": token})
    assert result.exit_code == EXIT_USAGE
    assert said in one_error_line(result)


@pytest.mark.parametrize(("content", "said"), [
    (None, "cannot read"),
    (b"{not json", "is not JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
    (b"\xff\xfe\x00", "is not UTF-8 text"),
    (b"[1, 2]", "would reject this SARIF (1 problem above)"),
])
def test_unreadable_or_invalid_file_is_exit_2(token: str, tmp_path: Path, content: bytes | None, said: str):
    path = tmp_path / "in.sarif"
    if content is not None:
        path.write_bytes(content)
    with FakeGitHub(token) as fake:
        result = invoke(path, fake.url, {"GITHUB_TOKEN": token})
    assert result.exit_code == EXIT_USAGE
    assert said in one_error_line(result)
    assert fake.requests == []


def test_a_sarif_github_would_reject_is_refused_with_each_problem(token: str, tmp_path: Path,
                                                                  sarif_doc: dict[str, Any]):
    sarif_doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = \
        "http://127.0.0.1:8000/users/1"
    sarif_doc["runs"][1]["properties"] = {"partialScan": True}
    path = tmp_path / "bad.sarif"
    path.write_text(json.dumps(sarif_doc))
    with FakeGitHub(token) as fake:
        result = invoke(path, fake.url, {"GITHUB_TOKEN": token})
    assert result.exit_code == EXIT_USAGE
    assert f"secscan: {path}: run 0 (bandit) result 0: locations[0].physicalLocation.artifactLocation.uri " \
           "'http://127.0.0.1:8000/users/1' is a URL" in result.stderr
    assert f"secscan: {path}: run 1 (semgrep): a partial scan" in result.stderr
    assert "(2 problems above); nothing was uploaded" in one_error_line(result)
    assert fake.requests == []


def test_a_failed_tool_run_is_uploaded_with_a_warning(token: str, tmp_path: Path, sarif_doc: dict[str, Any]):
    sarif_doc["runs"][1]["invocations"][0]["executionSuccessful"] = False
    path = tmp_path / "failed.sarif"
    path.write_text(json.dumps(sarif_doc))
    with FakeGitHub(token) as fake:
        result = invoke(path, fake.url, {"GITHUB_TOKEN": token})
    assert result.exit_code == EXIT_OK, result.output
    assert "warning: run 1 (semgrep): the tool did not run successfully" in result.stderr
    assert len(fake.uploads) == 1


def _upload_flags(script: str) -> set[str]:
    """The --options given to `secscan upload` in a shell snippet (continuation lines joined)."""
    joined = script.replace("\\\n", " ")
    lines = [line for line in joined.splitlines() if " upload " in line]
    return {flag for line in lines for flag in re.findall(r"(?<=\s)--[a-z-]+", line)}


def test_action_and_documented_workflow_parse_and_use_only_real_upload_options():
    known = {opt for param in upload.params for opt in param.opts}
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    scripts = [step["run"] for step in action["runs"]["steps"] if "run" in step]
    docs = (REPO / "docs" / "github-actions.md").read_text()
    workflows = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", docs, re.S)]
    (full,) = [w for w in workflows if isinstance(w, dict) and "jobs" in w and "name" in w]  # the complete one
    assert full["jobs"]["secscan"]["permissions"]["security-events"] == "write"
    scripts += [step["run"] for step in full["jobs"]["secscan"]["steps"] if "run" in step]
    used = set().union(*(_upload_flags(s) for s in scripts))
    assert {"--sarif", "--repo", "--ref", "--sha", "--wait"} <= used <= known
