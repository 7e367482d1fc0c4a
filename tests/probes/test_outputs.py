"""A full `secscan api` run through the click command: valid SARIF located at operation lines, stable
fingerprints, and no token value in any output, stderr or log."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from secscan.cli_api import api
from secscan.fingerprints import annotate
from secscan_demo.tenant_api.app import reset_state
from tests.probes.probe_support import REPO, SPEC, USERS

pytestmark = pytest.mark.slow  # real tools, real servers (see the slow marker in pyproject.toml)

SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
SPEC_URI = "fixtures/vuln_apps/tenant_api/openapi.json"


def operation_lines() -> dict[str, int]:
    """'GET /books/{book_id}' -> line, read independently from the indented JSON spec."""
    lines, current, found = SPEC.read_text().splitlines(), None, {}
    for number, line in enumerate(lines, start=1):
        if m := re.fullmatch(r' {4}"(/[^"]*)": \{', line):
            current = m.group(1)
        elif (m := re.fullmatch(r' {6}"(get|put|post|patch|delete)": \{', line)) and current:
            found[f"{m.group(1).upper()} {current}"] = number
    return found


@pytest.fixture(scope="module")
def cli_run(vulnerable, tmp_path_factory):
    """`secscan api` with tokens from ${VAR}s, all three output formats, logs captured at DEBUG."""
    tmp = tmp_path_factory.mktemp("cli")
    tokens = {u: vulnerable.token(u) for u in USERS}
    env = {f"{u.upper()}_TOKEN": t for u, t in tokens.items()}
    yaml_text = "tenants:\n" + "".join(
        f"  {u}:\n    headers: {{Authorization: \"Bearer ${{{u.upper()}_TOKEN}}\"}}\n"
        + ("    role: admin\n" if u == "admin" else "") for u in USERS)
    (tmp / "tenants.yaml").write_text(yaml_text)
    outputs = {}
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root_logger = logging.getLogger()
    old_level = root_logger.level
    root_logger.addHandler(handler)
    root_logger.setLevel(logging.DEBUG)
    try:
        for fmt in ("json", "text"):
            reset_state(vulnerable.app)
            args = ["--openapi", str(SPEC), "--tokens", str(tmp / "tenants.yaml"), "--base-url", vulnerable.base_url,
                    "--output", str(tmp / f"{fmt}.sarif"), "--format", fmt, "--allow-destructive", "--fail-on", "high",
                    "--probes", "bola,mass-assignment,excessive-data"]
            result = CliRunner().invoke(api, args, env=env, catch_exceptions=False)
            outputs[fmt] = (result, (tmp / f"{fmt}.sarif").read_text())
    finally:
        root_logger.removeHandler(handler)
        root_logger.setLevel(old_level)
    return tokens, outputs, stream.getvalue()


def test_exit_code_and_formats(cli_run):
    _, outputs, _ = cli_run
    json_result, _ = outputs["json"]
    assert json_result.exit_code == 1  # high findings
    report = json.loads(json_result.stdout)
    assert report["verdict"]["exitCode"] == 1 and report["findings"]
    text_result, _ = outputs["text"]
    assert re.search(rf"^{re.escape(SPEC_URI)}:\d+: CRITICAL \[secscan-api bola\]", text_result.stdout, re.M)


def test_no_token_value_anywhere(cli_run):
    tokens, outputs, logs = cli_run
    everything = logs + "".join(r.stdout + r.stderr + sarif for r, sarif in outputs.values())
    for user, token in tokens.items():
        assert token not in everything, user
        assert token.split(".")[2] not in everything  # not even the signature
    assert "$SECSCAN_TOKEN_ALICE" in outputs["json"][1]


def test_sarif_is_valid_and_located_at_operation_lines(cli_run):
    _, outputs, _ = cli_run
    lines = operation_lines()
    for _, sarif in outputs.values():
        doc = json.loads(sarif)
        jsonschema.Draft4Validator(SCHEMA).validate(doc)
        run = doc["runs"][0]
        assert run["tool"]["driver"]["name"] == "secscan-api"
        assert run["automationDetails"]["id"] == "secscan/api/"
        assert run["results"]
        for result in run["results"]:
            location = result["locations"][0]
            logical = location["logicalLocations"][0]["fullyQualifiedName"]
            assert location["physicalLocation"]["artifactLocation"]["uri"] == SPEC_URI
            assert location["physicalLocation"]["region"]["startLine"] == lines[logical]
            assert result["properties"]["pathTemplate"] in logical
            assert result["partialFingerprints"]["primaryLocationLineHash"]


def test_fingerprints_are_stable_across_runs(cli_run):
    _, outputs, _ = cli_run
    prints = [sorted(r["fingerprints"]["secscan/v1"] for r in json.loads(sarif)["runs"][0]["results"])
              for _, sarif in outputs.values()]
    assert prints[0] == prints[1] and len(set(prints[0])) == len(prints[0])


def test_unknown_probe_is_a_usage_error():
    result = CliRunner().invoke(api, ["--openapi", str(SPEC), "--tokens", "x.yaml", "--probes", "bola,nope"])
    assert result.exit_code == 2 and "unknown probe nope" in result.output


def test_annotate_keeps_context_identity(vulnerable_run):
    annotated = annotate(vulnerable_run.findings, REPO)
    assert all(f.fingerprint and f.line_hash for f in annotated)
    assert Path(REPO / annotated[0].location.path).is_file()
