"""`secscan hook` and .pre-commit-hooks.yaml: the real pre-commit blocks a vulnerable commit and passes a clean one,
the deps hook runs only for dependency files, split calls give the same answer, nothing is ever rewritten."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from secscan import baseline as baseline_mod
from secscan import pipeline
from secscan.cli_hook import hook_lines, hook_request, new_findings, write_partial_sarif
from secscan.sarif_checks import github_problems
from tests.conftest import ADVISORIES, REPO, validate_sarif

pytestmark = pytest.mark.slow  # real tools, real servers (see the slow marker in pyproject.toml)

HookResult = pipeline.ScanResult


def run_hook(files: tuple[Path, ...], cwd: Path) -> pipeline.ScanResult:
    return pipeline.run(hook_request("static", files, None, {}, cwd=cwd))


MANIFEST = REPO / ".pre-commit-hooks.yaml"
BIN = Path(sys.executable).parent
PRE_COMMIT = BIN / "pre-commit"
# Built at run time so that no scanner ever flags this test file itself.
AWS_KEY = "AKIA" + "IOSFODNN7" + "EXAMPLX"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEX"
VULNERABLE = (
    "import sqlite3\nfrom flask import request\n"
    f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n\n\n'
    "def find(conn: sqlite3.Connection) -> list:\n"
    "    return conn.execute(f\"SELECT * FROM users WHERE name = '{request.args.get('n')}'\").fetchall()\n"
)
SHELL = "import subprocess\nfrom flask import request\n\ndef run() -> None:\n    subprocess.call(request.args['c'], shell=True)\n"
CLEAN = "def add(a: int, b: int) -> int:\n    return a + b\n"
MARKED = ("import subprocess  # nosec B404 -- needed\nfrom flask import request\n\ndef run() -> None:\n"
          "    # secscan: ignore[command-injection-taint]\n"
          "    subprocess.call(request.args['c'], shell=True)  # nosec B602 -- a fixed admin command\n")
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=repo, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV, **(env or {})}, timeout=600, check=False)


def new_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    return path


def snapshot(repo: Path) -> dict[str, tuple[str, int]]:
    """Content hash and mtime of every file outside .git."""
    return {p.relative_to(repo).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(repo.rglob("*")) if p.is_file() and ".git" not in p.relative_to(repo).parts}


# --- the manifest ----------------------------------------------------------------------------------------------


def test_manifest_is_valid_for_pre_commit_and_declares_the_three_hooks() -> None:
    check = subprocess.run([str(PRE_COMMIT), "validate-manifest", str(MANIFEST)], capture_output=True, text=True,
                           check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    hooks = {h["id"]: h for h in yaml.safe_load(MANIFEST.read_text())}
    assert hooks["secscan"]["require_serial"] is True and "--stage static" in hooks["secscan"]["entry"]
    assert hooks["secscan-deps"]["pass_filenames"] is False and "--stage deps" in hooks["secscan-deps"]["entry"]
    assert hooks["secscan-api"]["stages"] == ["manual"] and hooks["secscan-api"]["pass_filenames"] is False
    environments = {tuple(h["additional_dependencies"]) for h in hooks.values()}
    assert environments == {("semgrep==1.182.0",)}, "one shared hook environment, with semgrep in it"
    deps = re.compile(hooks["secscan-deps"]["files"])
    for name in ("requirements.txt", "sub/requirements-dev.txt", "dev-requirements.txt", "requirements/base.txt",
                 "pyproject.toml", "poetry.lock", "uv.lock", "Pipfile.lock", "requirements.in"):
        assert deps.search(name), name
    for name in ("app.py", "requirements.py", "docs/pyproject.toml.md", "Pipfile"):
        assert not deps.search(name), name


# --- the real pre-commit, with the manifest's hooks run from the installed secscan -------------------------------


def local_config() -> str:
    """The manifest's hooks as `repo: local` hooks using this interpreter's environment (no venv build): every
    field is kept (entry, files, types, pass_filenames, stages...) except the language and its environment's
    additional_dependencies (semgrep, found here through PATH or SECSCAN_SEMGREP_BIN)."""
    hooks = [{**{k: v for k, v in hook.items() if k != "additional_dependencies"}, "language": "unsupported"}
             for hook in yaml.safe_load(MANIFEST.read_text())]
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False)


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One repository, three commits through `git commit` and the installed pre-commit hook."""
    repo = new_repo(tmp_path_factory.mktemp("pc") / "repo", {".pre-commit-config.yaml": local_config()})
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "PRE_COMMIT_HOME": str(tmp_path_factory.mktemp("pc-home")), "SECSCAN_ADVISORY_DB": str(ADVISORIES)}
    install = subprocess.run([str(PRE_COMMIT), "install"], cwd=repo, capture_output=True, text=True,
                             env={**os.environ, **env}, check=False)
    assert install.returncode == 0, install.stderr
    out: dict[str, object] = {"repo": repo}
    (repo / "app.py").write_text(VULNERABLE)
    git(repo, "add", "-A")
    before = snapshot(repo)
    out["vulnerable"] = git(repo, "commit", "-m", "vulnerable", env=env)
    out["untouched"] = before == snapshot(repo)
    out["head_after_vulnerable"] = git(repo, "rev-parse", "--verify", "-q", "HEAD").stdout.strip()
    (repo / "app.py").write_text(CLEAN)
    git(repo, "add", "-A")
    out["clean"] = git(repo, "commit", "-m", "clean", env=env)
    (repo / "requirements.txt").write_text("requests==2.19.0\n")
    git(repo, "add", "-A")
    out["deps"] = git(repo, "commit", "-m", "deps", env=env)
    out["log"] = git(repo, "log", "--format=%s").stdout.split()
    return out


def test_commit_with_aws_key_and_sql_fstring_is_blocked_with_the_findings_listed(committed: dict) -> None:
    result = committed["vulnerable"]
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert committed["head_after_vulnerable"] == "", "the commit must not have been created"
    assert re.search(r"^app\.py:3: HIGH \[detect-secrets aws-access-key\] AWS Access Key found \(value AK…", output,
                     re.M), output
    assert re.search(r"^app\.py:7: CRITICAL \[semgrep sql-injection-taint\] ", output, re.M), output
    assert "secscan hook (static, 2 files): FAIL (exit 1)" in output  # app.py and .pre-commit-config.yaml
    assert AWS_KEY not in output, "the secret value must never be printed"
    assert "Failed" in output and "files were modified by this hook" not in output
    assert committed["untouched"], "the hook must not modify any file"


def test_clean_commit_passes_and_the_deps_hook_skips_it(committed: dict) -> None:
    result = committed["clean"]
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"secscan \(bandit, semgrep, detect-secrets on staged files\)\.+Passed", output), output
    assert re.search(r"secscan \(dependency audit\)\.+\(no files to check\)Skipped", output), output
    assert "secscan (OWASP API probes)" not in output, "the API hook is manual-stage only"


def test_deps_hook_runs_only_when_a_requirements_file_is_staged(committed: dict) -> None:
    result = committed["deps"]
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert re.search(r"secscan \(dependency audit\)\.+Failed", output), output
    assert re.search(r"^requirements\.txt:1: HIGH \[pip-audit PYSEC-2018-28\] requests 2\.19\.0", output, re.M)
    assert committed["log"] == ["clean"]


def test_api_hook_runs_the_probes_from_the_config_in_the_manual_stage(tmp_path: Path) -> None:
    from secscan_demo.serve import serve
    from secscan_demo.tenant_api.app import create_app, issue_token

    users = ("alice", "bob")
    repo = new_repo(tmp_path / "repo", {
        ".pre-commit-config.yaml": local_config(),
        "openapi.json": (REPO / "fixtures" / "vuln_apps" / "tenant_api" / "openapi.json").read_text(),
        "tenants.yaml": "tenants:\n" + "".join(
            f'  {u}:\n    headers: {{Authorization: "Bearer ${{{u.upper()}_TOKEN}}"}}\n' for u in users)})
    git(repo, "add", "-A")
    app = create_app(None)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "PRE_COMMIT_HOME": str(tmp_path / "home"), **{f"{u.upper()}_TOKEN": issue_token(app, u) for u in users}}
    with serve(app) as url:
        (repo / ".secscan.toml").write_text(f'[api]\nopenapi = "openapi.json"\ntokens = "tenants.yaml"\n'
                                            f'base_url = "{url}"\nprobes = ["excessive-data"]\n')
        before = snapshot(repo)
        result = subprocess.run([str(PRE_COMMIT), "run", "secscan-api", "--hook-stage", "manual"], cwd=repo, env=env,
                                capture_output=True, text=True, timeout=600, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 1 and re.search(r"secscan \(OWASP API probes\)\.+Failed", output), output
    assert re.search(r"^openapi\.json:\d+: HIGH \[secscan-api excessive-data\] GET /users/me returns sensitive", output,
                     re.M), output
    assert "secscan hook (api, API): FAIL (exit 1)" in output
    assert snapshot(repo) == before, "no api.sarif or any other file may be written"


# --- split calls: each call is judged on its own files and the baseline only -------------------------------------


@pytest.fixture(scope="module")
def split_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two vulnerable files, one clean, one secret; a baseline accepting the shell=True finding in b.py; an expired
    suppression for a file that no call below touches; a detect-secrets baseline that must not be rewritten."""
    repo = new_repo(tmp_path_factory.mktemp("split") / "repo", {
        "a.py": VULNERABLE, "b.py": SHELL, "c.py": CLEAN, "d.py": MARKED, "legacy/old.py": SHELL, "other.py": SHELL,
        "conf/settings.env": f'aws_access_key_id = {AWS_KEY}\naws_secret_access_key = "{AWS_SECRET}"\n',
        ".secscan.toml": 'exclude = ["legacy"]\n',
        ".secscan-ignore.yaml": "suppressions:\n  - rule: B602\n    path: other.py\n    reason: old\n"
                                "    expires: 2020-01-01\n",
    })
    ds_baseline = subprocess.run([str(BIN / "detect-secrets"), "scan", "c.py"], cwd=repo, capture_output=True,
                                 text=True, check=True)
    (repo / ".secrets.baseline").write_text(ds_baseline.stdout)
    first = run_hook((repo / "b.py",), cwd=repo)
    accepted = [f for r in first.runs for f in r.findings]
    assert any(f.tool == "bandit" and f.rule.id == "B602" for f in accepted), hook_lines(first)
    entries = baseline_mod.build(accepted, date(2025, 1, 1))
    (repo / ".secscan-baseline.json").write_text(baseline_mod.dumps(entries))
    return repo


def _call(repo: Path, names: list[str]) -> HookResult:
    return run_hook(tuple(repo / n for n in names), cwd=repo)


def _finding_lines(result: HookResult) -> list[str]:
    return [line for line in hook_lines(result) if not line.startswith("secscan")]


@pytest.fixture(scope="module")
def split_results(split_repo: Path) -> dict[str, object]:
    before = snapshot(split_repo)
    results: dict[str, object] = {
        "one": _call(split_repo, ["a.py", "b.py", "c.py", "d.py", "conf/settings.env", "legacy/old.py"]),
        "first": _call(split_repo, ["c.py", "legacy/old.py", "a.py"]),
        "second": _call(split_repo, ["conf/settings.env", "d.py", "b.py"]),
    }
    results["untouched"] = snapshot(split_repo) == before
    return results


def test_hook_mode_writes_nothing_not_even_the_secrets_baseline(split_results: dict) -> None:
    assert split_results["untouched"], "files (including .secrets.baseline) changed during hook calls"


def test_split_calls_give_the_same_findings_and_verdict_as_one_call(split_results: dict) -> None:
    one, first, second = split_results["one"], split_results["first"], split_results["second"]
    assert sorted(_finding_lines(first) + _finding_lines(second)) == sorted(_finding_lines(one))
    assert max(first.verdict.exit_code, second.verdict.exit_code) == one.verdict.exit_code == 1
    assert first.verdict.exit_code == 1 and second.verdict.exit_code == 1  # a.py's findings; the AWS secret
    assert {r.tool: r.status.value for r in one.runs} == {"bandit": "ok", "semgrep": "ok", "detect-secrets": "ok"}


def test_only_new_findings_are_printed_and_excludes_apply(split_results: dict) -> None:
    lines = "\n".join(hook_lines(split_results["one"]))
    assert "b.py" not in lines, "the baselined shell=True finding is not new"
    assert "legacy/" not in lines and "(static, 5 files)" in lines, "config excludes apply to the files given"
    assert re.search(r"^conf/settings\.env:1: HIGH \[detect-secrets aws-access-key\]", lines, re.M), lines
    assert AWS_SECRET not in lines and AWS_KEY not in lines
    assert all(f.baseline_state == "new" for f in new_findings(split_results["one"]))


def test_inline_markers_apply_and_unhonoured_ones_are_reported(split_results: dict) -> None:
    lines = hook_lines(split_results["one"])
    assert not [line for line in lines if line.startswith("d.py") and "[bandit " in line], "# nosec is honoured"
    assert any(line.startswith("d.py:6: CRITICAL [semgrep command-injection-taint]") for line in lines), lines
    assert "secscan: warning: d.py:5: 'secscan: ignore[command-injection-taint]' has no reason, so it is " \
           "not honoured" in lines


def test_a_call_is_not_failed_by_files_it_did_not_scan(split_repo: Path) -> None:
    """The expired suppression (other.py) and the baseline entry (b.py) concern files this call does not see."""
    result = _call(split_repo, ["c.py"])
    assert result.verdict.exit_code == 0, hook_lines(result)
    assert result.review.expired == () and result.review.stale == () and result.review.absent == ()
    assert hook_lines(result) == ["secscan hook (static, 1 file): PASS (exit 0): no new finding at or above high"]


def test_expired_suppression_fails_the_call_that_scans_its_file(split_repo: Path) -> None:
    result = _call(split_repo, ["other.py"])
    assert result.verdict.exit_code == 1
    assert any("expired suppression" in reason for reason in result.verdict.reasons)
    assert any(line.startswith("other.py:5: HIGH [bandit B602]") and line.endswith("(expired suppression)")
               for line in hook_lines(result)), hook_lines(result)


def test_sarif_output_marks_every_run_partial_and_is_not_uploadable(split_results: dict, tmp_path: Path) -> None:
    paths = {write_partial_sarif(tmp_path, split_results[key]) for key in ("first", "second")}
    assert len(paths) == 2, "split calls writing to a directory must not overwrite each other"
    for path in paths:
        doc = json.loads(path.read_text())
        validate_sarif(doc)
        assert doc["runs"] and all(run["properties"]["partialScan"] is True for run in doc["runs"])
        assert any("partial scan" in problem for problem in github_problems(doc))


# --- the command line -------------------------------------------------------------------------------------------


def hook_cli(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """As pre-commit runs it: `python -P -m secscan.cli_hook` in the repository root."""
    return subprocess.run([sys.executable, "-P", "-m", "secscan.cli_hook", *args], cwd=repo, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=600, check=False)


def test_deps_stage_without_a_reachable_advisory_source_fails_as_not_audited(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo", {"requirements.txt": "requests==2.19.0\n"})
    git(repo, "add", "-A")
    offline = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "",
               "SECSCAN_ADVISORY_DB": ""}
    result = hook_cli(repo, "--stage", "deps", env=offline)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "secscan: error: pip-audit:" in result.stdout and "FAIL (exit 3)" in result.stdout
    audited = hook_cli(repo, "--stage", "deps", "--advisory-db", str(ADVISORIES))
    assert audited.returncode == 1 and "PYSEC-2018-28" in audited.stdout, audited.stdout + audited.stderr


def test_deps_stage_audits_only_tracked_dependency_files(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo", {"app.py": CLEAN, "requirements-dev.txt": "requests==2.19.0\n"})
    git(repo, "add", "app.py")
    untracked = hook_cli(repo, "--stage", "deps", "--advisory-db", str(ADVISORIES))
    assert untracked.returncode == 0 and "(deps, 0 files): PASS" in untracked.stdout, untracked.stdout
    git(repo, "add", "-A")
    tracked = hook_cli(repo, "--stage", "deps", "--advisory-db", str(ADVISORIES))
    assert tracked.returncode == 1 and "requirements-dev.txt:1: HIGH [pip-audit" in tracked.stdout, tracked.stdout


def test_usage_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo", {"app.py": CLEAN})
    missing = hook_cli(repo, "nope.py")
    assert missing.returncode == 2 and missing.stderr.strip() == "secscan: error: path does not exist: nope.py"
    api = hook_cli(repo, "--stage", "api")
    assert api.returncode == 2 and "api.openapi and api.tokens" in api.stderr
    (repo / ".secscan.toml").write_text("fail_on = 'severe'\n")
    bad = hook_cli(repo, "app.py")
    assert bad.returncode == 2 and bad.stderr.startswith("secscan: error: ") and "fail_on" in bad.stderr


def test_hook_path_does_not_import_the_heavy_modules() -> None:
    heavy = ("sarif_om", "schemathesis", "httpx", "rich", "secscan_probes")
    code = f"import sys, secscan.cli_hook, secscan.pipeline; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
