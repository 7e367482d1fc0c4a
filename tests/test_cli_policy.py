"""`secscan scan`, `gate`, `merge` end to end through click with the real tools: every exit code, suppressions
and expiry, static + API in one SARIF and one verdict, foreign SARIF, duplicate categories."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from secscan.cli import cli
from secscan.errors import EXIT_OK, EXIT_POLICY_FAILED, EXIT_SCAN_ERROR, EXIT_USAGE
from secscan_demo.serve import serve
from secscan_demo.tenant_api.app import create_app, issue_token
from tests.conftest import REPO, SCHEMA, validate_sarif

VULNERABLE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
CLEAN = "def add(a, b):\n    return a + b\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text(VULNERABLE)
    (root / "secscan.toml").write_text("tools = ['bandit']\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


def _scan(root: Path, *args: str, env: dict[str, str] | None = None):
    out = root.parent / "scan.sarif"
    out.unlink(missing_ok=True)
    result = _invoke("scan", str(root), "-o", str(out), *args, env=env)
    doc = json.loads(out.read_text()) if out.exists() else None
    if doc is not None:
        validate_sarif(doc)
    return result, doc


def _errors(output: str) -> list[str]:
    assert "Traceback" not in output
    return [line for line in output.splitlines() if line.startswith("secscan: error:")]


# --- scan: the four exit codes ----------------------------------------------------------------------------------


def test_scan_exit_1_lists_the_reason_and_exit_0_when_clean(repo: Path):
    result, doc = _scan(repo, "-q", "--format", "json")
    assert result.exit_code == EXIT_POLICY_FAILED
    assert json.loads(result.stdout)["verdict"]["reasons"] == ["1 finding at or above high (1 bandit)"]
    assert doc["properties"]["secscan"]["verdict"]["exitCode"] == EXIT_POLICY_FAILED
    (repo / "src" / "app.py").write_text(CLEAN)
    result, doc = _scan(repo, "-q")
    assert result.exit_code == EXIT_OK and doc["runs"][0]["results"] == []


def test_scan_exit_2_on_bad_suppression_file_and_bad_options(repo: Path):
    (repo / ".secscan-ignore.yaml").write_text("suppressions:\n  - rule: B602\n    path: src/app.py\n")
    result, doc = _scan(repo)
    assert result.exit_code == EXIT_USAGE and doc is None
    assert _errors(result.output) == ["secscan: error: .secscan-ignore.yaml: suppressions[0].reason: Field required "
                                      "(line 2)"]
    (repo / ".secscan-ignore.yaml").unlink()
    for args in (["--fail-on", "severe"], ["--tools", "nope"], ["--openapi", "spec.json"]):
        result, _ = _scan(repo, *args)
        assert result.exit_code == EXIT_USAGE, (args, result.output)
        assert "Traceback" not in result.output


def test_scan_exit_3_when_a_tool_cannot_run(repo: Path):
    result, doc = _scan(repo, "-q", "--tools", "bandit,semgrep", env={"SECSCAN_SEMGREP_BIN": "/nonexistent/semgrep"})
    assert result.exit_code == EXIT_SCAN_ERROR
    assert doc["properties"]["secscan"]["verdict"]["reasons"] == ["1 finding at or above high (1 bandit)",
                                                                   "semgrep could not run (missing)"]


@pytest.mark.parametrize("command", ["scan", "static", "api", "gate", "merge", "baseline create", "config show"])
def test_help_documents_exit_codes(command: str):
    result = _invoke(*command.split(), "--help")
    assert result.exit_code == EXIT_OK
    text = " ".join(result.output.split())
    assert "Exit codes: 0 =" in text and "2 = " in text


# --- suppressions through the CLI ----------------------------------------------------------------------------------


def test_inline_marker_and_file_entry_suppress_and_expiry_fails(repo: Path):
    (repo / "src" / "app.py").write_text(VULNERABLE.replace("shell=True)", "shell=True)  # secscan: ignore[B602] "
                                                                             "cmd comes from our own config"))
    result, doc = _scan(repo, "-q")
    assert result.exit_code == EXIT_OK, result.output
    b602 = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "B602")
    assert b602["suppressions"][0]["kind"] == "inSource"
    assert b602["suppressions"][0]["justification"] == "cmd comes from our own config"
    (repo / "src" / "app.py").write_text(VULNERABLE)
    (repo / ".secscan-ignore.yaml").write_text(
        "suppressions:\n  - rule: B602\n    path: 'src/*.py'\n    reason: accepted until the rewrite\n"
        "    expires: 2020-03-31\n  - rule: B101\n    path: '**'\n    reason: asserts are fine here\n")
    result, doc = _scan(repo, "-q", "--html", str(repo.parent / "r.html"))
    assert result.exit_code == EXIT_POLICY_FAILED
    reasons = doc["properties"]["secscan"]["verdict"]["reasons"]
    assert reasons == ["1 finding at or above high (1 bandit)", "1 expired suppression"]
    b602 = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "B602")
    assert "suppressions" not in b602 and b602["properties"]["expiredSuppression"]["expires"] == "2020-03-31"
    assert "warning: expired suppression: .secscan-ignore.yaml:2" in result.output
    assert "warning: stale suppression: .secscan-ignore.yaml:6 (rule B101, path **) matches no finding" in result.output
    assert "accepted until the rewrite" in (repo.parent / "r.html").read_text()


# --- static + API in one SARIF -------------------------------------------------------------------------------------


def test_scan_runs_static_and_the_configured_api_into_one_sarif_and_verdict(repo: Path):
    shutil.copy(REPO / "fixtures" / "vuln_apps" / "tenant_api" / "openapi.json", repo / "openapi.json")
    (repo / "tenants.yaml").write_text("tenants:\n" + "".join(
        f'  {u}:\n    headers: {{Authorization: "Bearer ${{{u.upper()}_TOKEN}}"}}\n' for u in ("alice", "bob")))
    (repo / "secscan.toml").write_text("tools = ['bandit']\n[api]\nopenapi = 'openapi.json'\ntokens = 'tenants.yaml'\n"
                                       "probes = ['bola']\nmax_requests = 400\nallow_destructive = false\n")
    (repo / ".secscan-ignore.yaml").write_text(
        "suppressions:\n  - rule: bola\n    path: openapi.json\n    operation: GET /users/{user_id}\n"
        "    reason: user profiles are public by design\n")
    app = create_app()
    env = {f"{u.upper()}_TOKEN": issue_token(app, u) for u in ("alice", "bob")}
    with serve(app) as base_url:
        result, doc = _scan(repo, "-q", "--base-url", base_url, "--format", "json", env=env)
    assert result.exit_code == EXIT_POLICY_FAILED, result.output
    runs = {r["tool"]["driver"]["name"]: r for r in doc["runs"]}
    assert set(runs) == {"bandit", "secscan-api"}
    api_results = {r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]: r for r in runs["secscan-api"]["results"]}
    assert api_results["GET /users/{user_id}"]["suppressions"][0]["justification"] == "user profiles are public by design"
    assert "suppressions" not in api_results["GET /books/{book_id}"]
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "openapi.json"
               for r in runs["secscan-api"]["results"])
    reason = json.loads(result.stdout)["verdict"]["reasons"][0]
    unsuppressed = sum(1 for r in runs["secscan-api"]["results"] if "suppressions" not in r)
    assert reason == f"{unsuppressed + 1} findings at or above high ({unsuppressed} API bola, 1 bandit)"
    for token in env.values():
        assert token not in result.output and token not in json.dumps(doc)


# --- gate ---------------------------------------------------------------------------------------------------------


def test_gate_over_our_sarif_with_baseline_and_over_a_foreign_tool(repo: Path, tmp_path: Path):
    ours = tmp_path / "ours.sarif"
    assert _invoke("static", str(repo), "--tools", "bandit", "-q", "-o", str(ours)).exit_code == EXIT_POLICY_FAILED
    validate_sarif(json.loads(ours.read_text()))
    result = _invoke("gate", str(ours), "--root", str(repo), "-q")
    assert result.exit_code == EXIT_POLICY_FAILED
    base = tmp_path / "b.json"
    assert _invoke("baseline", "create", "--from-sarif", str(ours), "--file", str(base), str(repo)).exit_code == EXIT_OK
    gated = tmp_path / "gated.sarif"
    result = _invoke("gate", str(ours), "--root", str(repo), "--baseline", str(base), "-o", str(gated), "-q")
    assert result.exit_code == EXIT_OK, result.output
    doc = json.loads(gated.read_text())
    validate_sarif(doc)
    assert {r["baselineState"] for r in doc["runs"][0]["results"]} == {"unchanged"}
    foreign = tmp_path / "bandit-native.sarif"
    subprocess.run([shutil.which("bandit") or str(Path(__import__("sys").executable).parent / "bandit"), "-q", "-f",
                    "sarif", "-o", str(foreign), "src/app.py"], cwd=repo, check=False)
    result = _invoke("gate", str(foreign), "--root", str(repo), "--format", "text", "-q")
    assert result.exit_code == EXIT_POLICY_FAILED
    assert "src/app.py:5: HIGH [Bandit B602]" in result.stdout
    (repo / ".secscan-ignore.yaml").write_text("suppressions:\n  - rule: B602\n    path: src/app.py\n    reason: ok\n")
    assert _invoke("gate", str(foreign), "--root", str(repo), "-q").exit_code == EXIT_OK


def test_gate_exit_3_on_a_failed_run_and_2_on_bad_input(repo: Path, tmp_path: Path):
    failed = tmp_path / "failed.sarif"
    result = _invoke("static", str(repo), "--tools", "bandit", "-q", "-o", str(failed),
                     env={"SECSCAN_BANDIT_BIN": "/nonexistent/bandit"})
    assert result.exit_code == EXIT_SCAN_ERROR
    validate_sarif(json.loads(failed.read_text()))
    result = _invoke("gate", str(failed), "--root", str(repo))
    assert result.exit_code == EXIT_SCAN_ERROR and "bandit could not run (failed)" in result.output
    for content, expected in (("{", "not a JSON file"), ('{"version": "2.0.0", "runs": []}', "only SARIF 2.1.0"),
                              ('{"runs": 3}', "no 'runs' list"),
                              ('{"version": "2.1.0", "runs": [{"results": []}]}', "runs[0]: not a valid SARIF run")):
        bad = tmp_path / "bad.sarif"
        bad.write_text(content)
        result = _invoke("gate", str(bad), "--root", str(repo))
        assert result.exit_code == EXIT_USAGE and len(_errors(result.output)) == 1 and expected in result.output


# --- merge --------------------------------------------------------------------------------------------------------


def test_merge_keeps_one_run_per_tool_and_category(repo: Path, tmp_path: Path):
    a, b = tmp_path / "a.sarif", tmp_path / "b.sarif"
    _invoke("static", str(repo), "--tools", "bandit", "-q", "-o", str(a))
    _invoke("static", str(repo), "--tools", "detect-secrets", "-q", "-o", str(b))
    for written in (a, b):
        validate_sarif(json.loads(written.read_text()))
    merged = tmp_path / "all.sarif"
    result = _invoke("merge", str(a), str(b), "-o", str(merged))
    assert result.exit_code == EXIT_OK, result.output
    doc = json.loads(merged.read_text())
    validate_sarif(doc)
    assert [r["automationDetails"]["id"] for r in doc["runs"]] == ["secscan/bandit/", "secscan/detect-secrets/"]
    result = _invoke("merge", str(a), str(merged), "-o", str(tmp_path / "dup.sarif"))
    assert result.exit_code == EXIT_USAGE and not (tmp_path / "dup.sarif").exists()
    assert _errors(result.output) == [f"secscan: error: {merged}: a run of bandit with category 'secscan/bandit' is "
                                      f"already in {a}; GitHub rejects duplicate categories (use --rename-duplicates "
                                      "to give it a new category)"]
    result = _invoke("merge", str(a), str(merged), "-o", str(tmp_path / "renamed.sarif"), "--rename-duplicates")
    assert result.exit_code == EXIT_OK
    renamed = json.loads((tmp_path / "renamed.sarif").read_text())
    validate_sarif(renamed)
    assert [r["automationDetails"]["id"] for r in renamed["runs"]] == [
        "secscan/bandit/", "secscan/bandit-2/", "secscan/detect-secrets/"]


def test_merge_foreign_runs_without_categories(repo: Path, tmp_path: Path):
    foreign = tmp_path / "native.sarif"
    subprocess.run([str(Path(__import__("sys").executable).parent / "bandit"), "-q", "-f", "sarif", "-o", str(foreign),
                    "src/app.py"], cwd=repo, check=False)
    out = tmp_path / "out.sarif"
    assert _invoke("merge", str(foreign), str(foreign), "-o", str(out)).exit_code == EXIT_USAGE
    assert _invoke("merge", str(foreign), str(foreign), "-o", str(out), "--rename-duplicates").exit_code == EXIT_OK
    doc = json.loads(out.read_text())
    import jsonschema

    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    assert [r.get("automationDetails", {}).get("id") for r in doc["runs"]] == [None, "Bandit-2/"]


def test_api_needs_a_spec_and_tokens_from_the_command_line_or_the_config(repo: Path):
    result = _invoke("api", "--config", str(repo / "secscan.toml"))
    assert result.exit_code == EXIT_USAGE
    assert _errors(result.output) == ["secscan: error: the API scan needs --openapi and --tokens (or set "
                                      "api.openapi / api.tokens in the config)"]
    (repo / "secscan.toml").write_text("[api]\nopenapi = 'openapi.json'\ntokens = 'missing.yaml'\n")
    result = _invoke("api", "--config", str(repo / "secscan.toml"), "--base-url", "http://127.0.0.1:9")
    assert result.exit_code == EXIT_USAGE and len(_errors(result.output)) == 1
