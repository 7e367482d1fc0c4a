"""`secscan api` end to end through the top-level CLI: every probe, the exact expected findings on the
vulnerable tenant API, none on its fixed twin, GitHub-ready SARIF, and no credential anywhere in the output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from secscan.cli import cli
from secscan.errors import EXIT_OK, EXIT_POLICY_FAILED, EXIT_USAGE
from secscan_demo.serve import serve
from secscan_demo.tenant_api.app import create_app, issue_token
from secscan_demo.tenant_api.flaws import DECOY_OPERATIONS, FLAW_OPERATIONS
from tests.conftest import REPO, validate_sarif

pytestmark = pytest.mark.slow  # real tools, real servers (see the slow marker in pyproject.toml)

SPEC = REPO / "fixtures" / "vuln_apps" / "tenant_api" / "openapi.json"
USERS = ("alice", "bob", "admin", "carol")

# The ground truth of fixtures/vuln_apps/tenant_api, as (rule, operation) results. Flaws that live in a shared
# token verifier are reported once, at the first secured operation in the spec (GET /users/me).
EXPECTED = {
    ("bola", "GET /books/{book_id}"), ("bola", "PUT /books/{book_id}"), ("bola", "DELETE /books/{book_id}"),
    ("bola", "GET /users/{user_id}"), ("bola", "GET /books/{book_id}/export"),
    ("auth-no-credentials", "GET /books/{book_id}/export"),
    ("jwt-alg-none", "GET /users/me"), ("jwt-signature-not-verified", "GET /users/me"),
    ("jwt-expired-accepted", "GET /users/me"), ("jwt-weak-secret", "POST /auth/login"),
    ("auth-user-enumeration", "POST /auth/login"),
    ("mass-assignment", "PATCH /users/me"), ("mass-assignment", "POST /books"),
    ("excessive-data", "GET /users/me"), ("excessive-data", "PATCH /users/me"), ("excessive-data", "GET /users/{user_id}"),
    # bola_user + excessive_data together: bob receives alice's password hash (the same value alice sees)
    ("sensitive-data-exposure", "GET /users/{user_id}"),
    ("sql-injection", "GET /search"), ("nosql-injection", "POST /auth/login"), ("command-injection", "POST /tools/ping"),
    ("template-injection", "POST /render"), ("path-traversal", "GET /export"),
    ("no-rate-limit", "POST /auth/login"), ("no-rate-limit", "POST /auth/reset-password"),
    ("no-rate-limit", "POST /auth/otp/verify"), ("unbounded-page-size", "GET /books"),
}


def _scan(flaws: set[str] | None, tmp: Path) -> tuple[object, dict, dict, dict[str, str]]:
    app = create_app(flaws)
    tokens = {user: issue_token(app, user) for user in USERS}
    env = {f"{user.upper()}_TOKEN": token for user, token in tokens.items()}
    (tmp / "tenants.yaml").write_text("tenants:\n" + "".join(
        f'  {u}:\n    headers: {{Authorization: "Bearer ${{{u.upper()}_TOKEN}}"}}\n'
        + ("    role: admin\n" if u == "admin" else "") for u in USERS))
    with serve(app) as base_url:
        result = CliRunner().invoke(cli, ["api", "--openapi", str(SPEC), "--tokens", str(tmp / "tenants.yaml"),
                                          "--base-url", base_url, "-o", str(tmp / "api.sarif"), "--format", "json",
                                          "--allow-destructive"], env=env)
    doc = json.loads((tmp / "api.sarif").read_text())
    return result, json.loads(result.stdout), doc, tokens


@pytest.fixture(scope="module")
def vulnerable(tmp_path_factory: pytest.TempPathFactory):
    return _scan(None, tmp_path_factory.mktemp("vulnerable"))


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory):
    return _scan(set(), tmp_path_factory.mktemp("fixed"))


def _ops(doc: dict) -> set[tuple[str, str]]:
    (run,) = doc["runs"]
    return {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]) for r in run["results"]}


# Flaws of the shared token verifier: the ground truth says "every secured operation".
GLOBAL_FLAW_RULES = {"jwt_none": "jwt-alg-none", "jwt_nosig": "jwt-signature-not-verified",
                     "jwt_expired": "jwt-expired-accepted", "weak_jwt_key": "jwt-weak-secret"}


def test_expected_table_covers_every_flaw_of_the_ground_truth():
    located = {op for _, op in EXPECTED}
    for flaw, operations in FLAW_OPERATIONS.items():
        if flaw in GLOBAL_FLAW_RULES:
            assert GLOBAL_FLAW_RULES[flaw] in {rule for rule, _ in EXPECTED}, flaw
        else:
            assert set(operations) <= located, flaw


def test_every_flaw_is_found_exactly(vulnerable):
    result, _, doc, _ = vulnerable
    assert result.exit_code == EXIT_POLICY_FAILED, result.output
    assert _ops(doc) == EXPECTED


def test_fixed_twin_has_no_finding_and_passes(fixed):
    result, data, doc, _ = fixed
    assert result.exit_code == EXIT_OK, result.output
    assert doc["runs"][0]["results"] == [] and data["findings"] == []


def test_decoys_are_never_flagged(vulnerable, fixed):
    for _, _, doc, _ in (vulnerable, fixed):
        assert not {op for _, op in _ops(doc)} & set(DECOY_OPERATIONS)


def test_sarif_is_github_ready_and_every_result_confirmed_with_evidence(vulnerable):
    _, _, doc, _ = vulnerable
    validate_sarif(doc)
    (run,) = doc["runs"]
    assert run["tool"]["driver"]["name"] == "secscan-api" and run["automationDetails"]["id"] == "secscan/api/"
    for result in run["results"]:
        props = result["properties"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "fixtures/vuln_apps/tenant_api/openapi.json"
        assert props["confirmed"] is True and props["owasp"].startswith("API") and props["evidence"]
        assert all(step["curl"].startswith("curl ") for step in props["evidence"])


def test_no_credential_appears_in_any_output(vulnerable):
    result, _, doc, tokens = vulnerable
    text = json.dumps(doc) + result.output
    for token in tokens.values():
        assert token not in text
        assert token.split(".")[2] not in text  # not even the signature
    assert "$SECSCAN_TOKEN_" in json.dumps(doc)


def test_api_is_registered_and_validates_probe_names(tmp_path: Path):
    result = CliRunner().invoke(cli, ["api", "--openapi", str(SPEC), "--tokens", str(tmp_path / "t.yaml"),
                                      "--probes", "bola,nope"])
    assert result.exit_code == EXIT_USAGE and "unknown probe nope" in result.output
