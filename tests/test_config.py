"""Configuration: discovery, strict validation (one-line errors naming file and key), precedence, provenance,
and every setting doing what it says on a real scan."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from secscan import config as config_mod
from secscan.cli import cli
from secscan.errors import EXIT_OK, EXIT_POLICY_FAILED, EXIT_SCAN_ERROR, EXIT_USAGE, ConfigError
from secscan.models import Severity
from tests.conftest import validate_sarif

VULNERABLE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "app.py").write_text(VULNERABLE)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _static(root: Path, *args: str):
    out = root.parent / "out.sarif"
    out.unlink(missing_ok=True)
    result = CliRunner().invoke(cli, ["static", *args, "-q", "-o", str(out)])
    doc = json.loads(out.read_text()) if out.exists() else None
    if doc is not None:
        validate_sarif(doc)
    return result, doc


# --- discovery -------------------------------------------------------------------------------------------------


def test_discovery_walks_up_prefers_secscan_toml_and_skips_pyprojects_without_a_table(repo: Path):
    nested = repo / "src" / "pkg"
    (repo / "src" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert config_mod.discover(nested) is None
    (repo / "pyproject.toml").write_text("[tool.secscan]\nfail_on = 'low'\n")
    assert config_mod.discover(nested) == repo / "pyproject.toml"
    (repo / ".secscan.toml").write_text("fail_on = 'medium'\n")
    assert config_mod.discover(nested) == repo / ".secscan.toml"
    (repo / "secscan.toml").write_text("fail_on = 'critical'\n")
    assert config_mod.discover(nested) == repo / "secscan.toml"
    assert config_mod.load(nested).config.fail_on is Severity.CRITICAL


def test_discovery_stops_at_the_git_root(repo: Path):
    (repo.parent / "secscan.toml").write_text("fail_on = 'low'\n")
    assert config_mod.discover(repo / "src") is None


def test_pyproject_table_relative_paths_and_provenance(repo: Path):
    (repo / "pyproject.toml").write_text(
        "[project]\nname = 'x'\n\n[tool.secscan]\npaths = ['src']\nfail_on = 'medium'\n"
        "[tool.secscan.tool_options.semgrep]\ntimeout = 60\n[tool.secscan.api]\nopenapi = 'spec/openapi.yaml'\n"
        "base_url = 'http://127.0.0.1:8000'\n")
    effective = config_mod.load(repo / "src", overrides={"fail_on": Severity.HIGH, "api.rate": 5.0})
    cfg = effective.config
    assert cfg.paths == [str(repo / "src")] and cfg.api.openapi == str(repo / "spec" / "openapi.yaml")
    assert cfg.api.base_url == "http://127.0.0.1:8000"  # URLs are not paths
    assert cfg.fail_on is Severity.HIGH and cfg.api.rate == 5.0 and cfg.tool_options["semgrep"].timeout == 60
    shown = {line.split(" = ")[0]: line.rsplit("# ", 1)[1] for line in config_mod.show(effective).splitlines()[1:]}
    origin = f"{repo / 'pyproject.toml'} [tool.secscan]"
    assert shown["fail_on"] == "command line" and shown["api.rate"] == "command line"
    assert shown["paths"] == origin and shown["tool_options.semgrep.timeout"] == origin
    assert shown["fail_on_tool_error"] == "default" and shown["api.max_requests"] == "default"


def test_config_show_command(repo: Path):
    (repo / "secscan.toml").write_text("tools = ['bandit']\n[rules.B602]\nseverity = 'low'\n")
    result = CliRunner().invoke(cli, ["config", "show", str(repo / "src")])
    assert result.exit_code == EXIT_OK, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"# config file: {repo / 'secscan.toml'}"
    assert any(line.startswith('tools = ["bandit"]') and line.endswith(f"# {repo / 'secscan.toml'}") for line in lines)
    assert any(line.startswith('rules.B602.severity = "low"') for line in lines)
    assert any(line.startswith("fail_on = \"high\"") and line.endswith("# default") for line in lines)


# --- bad configuration --------------------------------------------------------------------------------------------

BAD = [
    ("", "config file is empty"),
    ("fail_on = \n", "not valid TOML"),
    ("colour = 'red'\n", "colour: unknown key"),
    ("fail_on = 'severe'\n", "fail_on: unknown severity 'severe' (expected one of: low, medium, high, critical)"),
    ("fail_on_tool_error = 'yes'\n", "fail_on_tool_error: Input should be a valid boolean"),
    ("timeout = '300'\n", "timeout: Input should be a valid number"),
    ("timeout = -1\n", "timeout: Input should be greater than 0"),
    ("timeout = inf\n", "timeout: Input should be a finite number"),
    ("tools = ['bandit', 'nope']\n", "tools: unknown tool nope"),
    ("tools = []\n", "tools: must name at least one tool"),
    ("[tool_options.nope]\ntimeout = 1\n", "tool_options: unknown tool nope"),
    ("[tool_options.bandit]\nextra_args = '--skip B101'\n", "tool_options.bandit.extra_args: Input should be a valid list"),
    ("[rules.B602]\nseverity = 'urgent'\n", "rules.B602.severity: unknown severity 'urgent'"),
    ("[rules.B602]\ndisabled = true\n", "rules.B602.disabled: unknown key"),
    ("[api]\nmax_requests = 0\n", "api.max_requests: Input should be greater than or equal to 1"),
    ("paths = 'src'\n", "paths: Input should be a valid list"),
]


@pytest.mark.parametrize(("text", "expected"), BAD, ids=[e for _, e in BAD])
def test_bad_config_is_a_one_line_error_naming_file_and_key(repo: Path, text: str, expected: str):
    path = repo / "secscan.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        config_mod.load(repo)
    assert str(info.value).startswith(f"{path}: ") and expected in str(info.value) and "\n" not in str(info.value)


def test_bad_config_through_the_cli_is_exit_2_before_scanning(repo: Path):
    (repo / "pyproject.toml").write_text("[tool.secscan]\nfail_on = 3\n")
    for args in (["static", str(repo)], ["scan", str(repo)], ["config", "show", str(repo)]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == EXIT_USAGE, (args, result.output)
        assert result.output.strip().splitlines() == [
            f"secscan: error: {repo / 'pyproject.toml'} [tool.secscan]: fail_on: must be a string: one of low, "
            "medium, high, critical"]
        assert "Traceback" not in result.output
    missing = CliRunner().invoke(cli, ["static", str(repo), "--config", str(repo / "nope.toml")])
    assert missing.exit_code == EXIT_USAGE and "--config: no such file" in missing.output


# --- settings doing what they say (real bandit) -------------------------------------------------------------------


def test_config_fail_on_applies_and_the_command_line_wins(repo: Path):
    (repo / "secscan.toml").write_text("tools = ['bandit']\nfail_on = 'critical'\n")
    result, doc = _static(repo, str(repo))
    assert result.exit_code == EXIT_OK, result.output
    assert [r["tool"]["driver"]["name"] for r in doc["runs"]] == ["bandit"]
    result, _ = _static(repo, str(repo), "--fail-on", "high")
    assert result.exit_code == EXIT_POLICY_FAILED


def test_rule_overrides_and_disables(repo: Path):
    (repo / "secscan.toml").write_text("tools = ['bandit']\n[rules.B602]\nseverity = 'low'\n"
                                       "[rules.B404]\nenabled = false\n")
    result, doc = _static(repo, str(repo))
    assert result.exit_code == EXIT_OK, result.output
    (only,) = doc["runs"][0]["results"]
    assert only["ruleId"] == "B602" and only["level"] == "note" and only["properties"]["originalSeverity"] == "high"
    (rule,) = doc["runs"][0]["tool"]["driver"]["rules"]
    assert rule["properties"]["security-severity"] == "3.0"


def test_per_tool_timeout_and_extra_args(repo: Path):
    (repo / "secscan.toml").write_text("tools = ['bandit']\ntimeout = 300\n[tool_options.bandit]\ntimeout = 0.1\n")
    result, doc = _static(repo, str(repo))
    assert result.exit_code == EXIT_SCAN_ERROR
    note = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert note == "bandit timed out after 0.1 s"
    result, _ = _static(repo, str(repo), "--timeout", "300")  # an explicit --timeout applies to every tool
    assert result.exit_code == EXIT_POLICY_FAILED
    (repo / "secscan.toml").write_text("tools = ['bandit']\n[tool_options.bandit]\nextra_args = ['-n', '1']\n")
    result, doc = _static(repo, str(repo))
    assert result.exit_code == EXIT_POLICY_FAILED and {r["ruleId"] for r in doc["runs"][0]["results"]} == {
        "B404", "B602"}
    notes = [n["message"]["text"] for n in doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]]
    assert "ran with extra arguments from the configuration: -n 1" in notes


@pytest.mark.parametrize(("tool", "args", "offending"), [
    ("bandit", ["--skip", "B602"], "--skip"), ("bandit", ["-x", "app.py"], "-x"), ("bandit", ["-lll"], "-lll"),
    ("bandit", ["-sB602"], "-sB602"), ("semgrep", ["--exclude-rule=sql-injection-taint"],
                                       "--exclude-rule=sql-injection-taint"),
    ("pip-audit", ["--ignore-vuln", "PYSEC-1"], "--ignore-vuln"), ("semgrep", ["--config", "rules.yaml"], "--config"),
])
def test_extra_args_that_narrow_the_scan_are_refused_before_any_tool_runs(repo: Path, tool, args, offending):
    """`extra_args` cannot silently drop findings (issue 10 #22): secscan's own exclude/suppressions show it."""
    (repo / "secscan.toml").write_text(f"tools = ['{tool}']\n[tool_options.{tool}]\nextra_args = {args!r}\n")
    result, _ = _static(repo, str(repo))
    assert result.exit_code == EXIT_USAGE, result.output
    assert (f"secscan.toml: tool_options.{tool}.extra_args: '{offending}' changes which files {tool} scans, "
            "what it reports or where its rules come from; use secscan's exclude, suppressions or fail_on "
            "instead") in result.output


def test_extra_args_never_carry_a_url(repo: Path):
    """Adversarial pass: the scanned repository's pyproject made semgrep fetch rules from a URL."""
    (repo / "pyproject.toml").write_text("[tool.secscan]\ntools = ['semgrep']\n[tool.secscan.tool_options.semgrep]\n"
                                         "extra_args = ['--metrics=off', 'http://127.0.0.1:9/rules.yaml']\n")
    result, _ = _static(repo, str(repo))
    assert result.exit_code == EXIT_USAGE
    assert "'http://127.0.0.1:9/rules.yaml' is a URL; secscan's tools never fetch from the network" in result.output


def test_detect_secrets_takes_no_extra_args(repo: Path):
    (repo / "secscan.toml").write_text("tools = ['detect-secrets']\n[tool_options.detect-secrets]\n"
                                       "extra_args = ['--exclude-files', '.*']\n")
    result, _ = _static(repo, str(repo))
    assert result.exit_code == EXIT_USAGE and "detect-secrets takes no extra arguments" in result.output


def test_config_paths_are_used_when_no_path_is_given(repo: Path):
    (repo / "other").mkdir()
    (repo / "other" / "x.py").write_text(VULNERABLE)
    config = repo / "secscan.toml"
    config.write_text("tools = ['bandit']\npaths = ['other']\nexclude = ['app.py']\n")
    result, doc = _static(repo, "--config", str(config))
    assert result.exit_code == EXIT_POLICY_FAILED
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]} == {
        "other/x.py"}


def test_unknown_probe_names_in_the_config_are_refused_before_any_request(repo: Path):
    from secscan import pipeline

    path = repo / "secscan.toml"
    path.write_text("[api]\nopenapi = 'openapi.json'\ntokens = 'tenants.yaml'\nprobes = ['bola', 'xss']\n")
    with pytest.raises(ConfigError) as info:
        pipeline.prepare(pipeline.ScanRequest(start=repo, static=False, api=True))
    assert str(info.value).startswith(f"api.probes ({path}): unknown probe xss (choose from ")


def test_tool_options_keep_native_reporting_args_first(tmp_path: Path):
    from secscan import pipeline

    (tmp_path / "secscan.toml").write_text('timeout = 30.0\n[tool_options.bandit]\nextra_args = ["-n", "3"]\n'
                                           'timeout = 5.0\n')
    plan = pipeline.prepare(pipeline.ScanRequest(start=tmp_path))
    bandit, semgrep = pipeline.tool_context(plan, "bandit"), pipeline.tool_context(plan, "semgrep")
    assert (bandit.extra_args, semgrep.extra_args) == (("--ignore-nosec", "-n", "3"), ("--disable-nosem",))
    assert bandit.user_args == ("-n", "3")
    assert (bandit.timeout, semgrep.timeout) == (5.0, 30.0)
    everywhere = pipeline.prepare(pipeline.ScanRequest(start=tmp_path, timeout_for_all=True))
    assert pipeline.tool_context(everywhere, "bandit").timeout == 30.0


def test_the_readme_examples_are_valid(tmp_path: Path):
    from secscan.suppressions import parse_ignore_text
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text()
    toml_block = readme.split("### Configuration", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    yaml_block = readme.split("### Suppressions", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "pyproject.toml").write_text(toml_block)
    cfg = config_mod.load(tmp_path, tmp_path / "pyproject.toml").config
    assert cfg.rules["B101"].enabled is False and cfg.tool_options["semgrep"].timeout == 600
    assert cfg.api.probes == ["bola", "auth"] and cfg.suppressions == str(tmp_path / ".secscan-ignore.yaml")
    assert len(parse_ignore_text(yaml_block, "README").entries) == 3
