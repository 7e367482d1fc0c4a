"""Auth probe (API2:2023) on the tenant API: exact findings per flaw, none on the fixed twin, no secret in output."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner
from fastapi import FastAPI, HTTPException, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

import secscan_probes.engine.scan as engine
from secscan.cli_api import api
from secscan_demo.tenant_api.app import create_app, reset_state
from secscan_demo.tenant_api.flaws import ALL_FLAWS, DECOY_OPERATIONS, EVERY_SECURED_OPERATION, FLAW_OPERATIONS
from secscan_demo.tenant_api.jwt_codec import WEAK_JWT_KEY
from secscan_probes.engine import run_api_scan
from secscan_probes.probes.auth.jwt_tools import NONE_VARIANTS, decode, forge_none, strip_signature, with_claims
from tests.probes.probe_support import SPEC, USERS, Served, api_settings, serve

pytestmark = pytest.mark.slow  # real tools, real servers (see the slow marker in pyproject.toml)

PATHS = json.loads(SPEC.read_text())["paths"]
# The probe replays the reads that declare security (GETs with bearerAuth), in spec order.
SECURED_READS = [f"GET {path}" for path, item in PATHS.items() if item.get("get", {}).get("security")]
LOGIN = "POST /auth/login"
JWT_RULES = {"jwt_none": "jwt-alg-none", "jwt_nosig": "jwt-signature-not-verified",
             "jwt_expired": "jwt-expired-accepted"}
AUTH_RULES = {"auth-no-credentials", "auth-malformed-token", *JWT_RULES.values(), "jwt-weak-secret",
              "auth-user-enumeration"}
JWT_SHAPED = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def token_checked(flaws: frozenset[str] | set[str]) -> list[str]:
    """Secured reads where tampered tokens mean something: a route with no auth check at all is excluded."""
    open_routes = set(FLAW_OPERATIONS["no_auth"]) if "no_auth" in flaws else set()
    return [op for op in SECURED_READS if op not in open_routes]


def expected(flaws: frozenset[str] | set[str]) -> set[tuple[str, str]]:
    """(rule id, operation) the auth probe must report when `flaws` are switched on, from FLAW_OPERATIONS."""
    found = {("auth-no-credentials", op) for op in FLAW_OPERATIONS["no_auth"]} if "no_auth" in flaws else set()
    for flaw, rule in JWT_RULES.items():
        # A global token flaw is one finding at the first affected operation (the message lists all of them).
        # Expiry is only tested with a correctly signed token, i.e. once the weak key has been cracked.
        if flaw in flaws and (flaw != "jwt_expired" or "weak_jwt_key" in flaws):
            found.add((rule, token_checked(flaws)[0]))
    if "weak_jwt_key" in flaws:  # located at the operation that issues the tokens
        found |= {("jwt-weak-secret", op) for op in FLAW_OPERATIONS["weak_jwt_key"] if op != EVERY_SECURED_OPERATION}
    if "user_enum" in flaws:
        found |= {("auth-user-enumeration", op) for op in FLAW_OPERATIONS["user_enum"]}
    return found


def auth_scan(served: Served, directory: Path, **settings: object):
    return served.scan(served.tenants_yaml(directory), probes=("auth",), **settings)


@pytest.fixture(scope="module")
def auth_run(vulnerable, tmp_path_factory):
    return auth_scan(vulnerable, tmp_path_factory.mktemp("auth-vuln"))


def test_ground_truth_is_what_the_expectation_assumes():
    for flaw in JWT_RULES:
        assert FLAW_OPERATIONS[flaw] == (EVERY_SECURED_OPERATION,)
    assert LOGIN in FLAW_OPERATIONS["weak_jwt_key"] and FLAW_OPERATIONS["user_enum"] == (LOGIN,)
    assert set(FLAW_OPERATIONS["no_auth"]) <= set(SECURED_READS) and len(SECURED_READS) == 6


def test_vulnerable_app_exact_findings(auth_run, ops_of):
    assert auth_run.status.value == "ok"
    assert ops_of(auth_run) == expected(ALL_FLAWS)
    assert {f.rule.id for f in auth_run.findings} == AUTH_RULES - {"auth-malformed-token"}


def test_token_flaw_messages_list_every_affected_operation(auth_run):
    affected = token_checked(ALL_FLAWS)
    token_findings = [f for f in auth_run.findings if f.rule.id in JWT_RULES.values()]
    assert {f.rule.id for f in token_findings} == set(JWT_RULES.values())
    for finding in token_findings:
        assert f"{len(affected)} of {len(affected)} operations" in finding.message, finding.rule.id
        assert all(op in finding.message for op in affected), finding.rule.id
        steps = {s["step"]: s for s in finding.properties["evidence"]}
        assert steps["attack"]["status"] == 200 and steps["control"]["status"] == 401
        assert "$SECSCAN_FORGED_ALICE_" in steps["attack"]["curl"]


def test_signature_bypasses_and_weak_key_impersonate_bob(auth_run):
    rules = {"jwt-alg-none", "jwt-signature-not-verified", "jwt-weak-secret"}
    for finding in (f for f in auth_run.findings if f.rule.id in rules):
        assert "Impact confirmed" in finding.message and "bob's identity" in finding.message
        forged = next(s for s in finding.properties["evidence"] if s["step"] == "impersonation")
        assert forged["status"] == 200 and "$SECSCAN_FORGED_BOB_" in forged["curl"]
        assert finding.severity.name == "CRITICAL" and finding.properties["confirmed"] is True
    weak = next(f for f in auth_run.findings if f.rule.id == "jwt-weak-secret")
    assert "wordlist" in weak.message and weak.rule.cwe == (521,)


def test_user_enumeration_evidence(auth_run):
    enum = next(f for f in auth_run.findings if f.rule.id == "auth-user-enumeration")
    assert [s["status"] for s in enum.properties["evidence"]] == [401, 404, 401, 404]
    assert enum.properties["parameter"] == "username" and enum.severity.name == "MEDIUM"


def test_fixed_twin_has_no_auth_finding(fixed, tmp_path):
    run = auth_scan(fixed, tmp_path)
    assert run.status.value == "ok"
    assert run.findings == ()


@pytest.mark.parametrize("flaws", [
    {"jwt_nosig"}, {"jwt_expired"}, {"weak_jwt_key"}, {"weak_jwt_key", "jwt_expired"},
    {"user_enum"}, {"bola", "excessive_data", "mass_assignment"},
], ids=lambda flaws: "+".join(sorted(flaws)))
def test_partial_apps(flaws, tmp_path, ops_of):
    app = create_app(flaws)
    with serve(app) as url:
        run = auth_scan(Served(app, url), tmp_path)
    assert run.status.value == "ok"
    assert ops_of(run) == expected(flaws)


def test_only_jwt_none_gives_only_alg_none(tmp_path, ops_of):
    app = create_app({"jwt_none"})
    with serve(app) as url:
        run = auth_scan(Served(app, url), tmp_path)
    assert {rule for rule, _ in ops_of(run)} == {"jwt-alg-none"}


def test_only_no_auth_flags_only_the_export_operation(tmp_path, ops_of):
    app = create_app({"no_auth"})
    with serve(app) as url:
        run = auth_scan(Served(app, url), tmp_path)
    assert ops_of(run) == {("auth-no-credentials", "GET /books/{book_id}/export")}


def test_throttled_login_is_inconclusive_not_enumeration(tmp_path):
    """With the limiter exhausted every login answers 429: no enumeration finding, a note instead."""
    app = create_app({"user_enum"})
    with serve(app) as url:
        served = Served(app, url)
        tokens = served.tenants_yaml(tmp_path)
        for _ in range(12):
            httpx.post(f"{url}/auth/login", json={"username": "alice", "password": "x"}, timeout=5)
        run = run_api_scan(api_settings(openapi=str(SPEC), tokens=tokens, base_url=url, probes=("auth",),
                                           quiet=True))
    assert run.findings == ()
    assert any("inconclusive" in n.message for n in run.notifications)


def test_decoys_never_flagged(auth_run, fixed, tmp_path):
    flagged = {f.logical_location for f in (*auth_run.findings, *auth_scan(fixed, tmp_path).findings)}
    assert flagged and not flagged & set(DECOY_OPERATIONS)


def generic_app() -> FastAPI:
    """Operations that declare bearer auth but serve public data, or a 200 'fail' to anonymous callers."""
    app = FastAPI(title="generic")
    bearer = HTTPBearer(auto_error=False)
    users = {"tok-alice-123": {"id": 1, "username": "alice"}, "tok-bob-456": {"id": 2, "username": "bob"}}

    def who(creds: HTTPAuthorizationCredentials | None) -> dict | None:
        return users.get(creds.credentials) if creds else None

    @app.get("/me")
    def me(creds: HTTPAuthorizationCredentials | None = Security(bearer)) -> dict:
        if who(creds) is None:
            raise HTTPException(401, "not authenticated")
        return who(creds)

    @app.get("/news")
    def news(creds: HTTPAuthorizationCredentials | None = Security(bearer)) -> list:
        return [{"id": 1, "title": "Welcome to the service"}, {"id": 2, "title": "Maintenance on Saturday"}]

    @app.get("/health")
    def health(creds: HTTPAuthorizationCredentials | None = Security(bearer)) -> dict:
        user = who(creds)
        return {"status": "ok", "checked_for": user["username"], "db": "up"} if user else {"status": "fail"}

    return app


def test_public_data_and_status_fail_are_not_broken_auth(tmp_path):
    """2xx without credentials is not enough: public data (same for everyone) and a 200 'fail' are not flagged."""
    (tmp_path / "tenants.yaml").write_text("tenants:\n  alice: {headers: {Authorization: 'Bearer tok-alice-123'}}\n"
                                           "  bob: {headers: {Authorization: 'Bearer tok-bob-456'}}\n")
    with serve(generic_app()) as url:
        run = run_api_scan(api_settings(openapi=f"{url}/openapi.json", tokens=tmp_path / "tenants.yaml",
                                           base_url=url, probes=("auth",), quiet=True))
    assert run.status.value == "ok"
    assert run.findings == ()


def test_request_budget_and_time(vulnerable, tmp_path, monkeypatch):
    measured: dict[str, tuple[int, float]] = {}
    original = engine._one_probe

    async def timed(ctx, info):
        before, started = ctx.client.requests_made, time.monotonic()
        result = await original(ctx, info)
        measured[info.name] = (ctx.client.requests_made - before, time.monotonic() - started)
        return result

    monkeypatch.setattr(engine, "_one_probe", timed)
    auth_scan(vulnerable, tmp_path)
    requests, seconds = measured["auth"]
    assert 20 <= requests <= 150 and seconds < 20


@pytest.fixture(scope="module")
def cli_outputs(vulnerable, tmp_path_factory):
    """`secscan api --probes auth` in json and text formats: stdout, stderr, the SARIF file and DEBUG logs."""
    tmp = tmp_path_factory.mktemp("auth-cli")
    tokens = vulnerable.tenants_yaml(tmp)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    texts = []
    try:
        for fmt in ("json", "text"):
            reset_state(vulnerable.app)
            args = ["--openapi", str(SPEC), "--tokens", str(tokens), "--base-url", vulnerable.base_url,
                    "--probes", "auth", "--output", str(tmp / f"{fmt}.sarif"), "--format", fmt]
            result = CliRunner().invoke(api, args, catch_exceptions=False)
            assert result.exit_code == 1, result.output  # critical findings fail the default policy
            texts += [result.stdout, result.stderr, (tmp / f"{fmt}.sarif").read_text()]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    headers = {u: t["headers"]["Authorization"] for u, t in yaml.safe_load(tokens.read_text())["tenants"].items()}
    return {u: h.removeprefix("Bearer ") for u, h in headers.items()}, "\n".join([*texts, stream.getvalue()])


def predictable_forgeries(alice: str, bob: str) -> list[str]:
    """Forged tokens the probe sends that a test can rebuild (the random-key and expired ones cannot be)."""
    mine, sub = decode(alice), decode(bob).claims["sub"]
    return [*(forge_none(mine, alg_variant=v) for v in NONE_VARIANTS), strip_signature(mine),
            forge_none(mine, {**mine.claims, "sub": sub}), with_claims(mine, WEAK_JWT_KEY, sub=sub)]


def test_no_key_and_no_token_in_any_output(cli_outputs):
    tokens, everything = cli_outputs
    assert "jwt-weak-secret" in everything and "$SECSCAN_FORGED_BOB_WEAK_SECRET" in everything
    assert "$SECSCAN_FORGED_ALICE_ALG_NONE" in everything and "$SECSCAN_FORGED_ALICE_STRIPPED" in everything
    assert WEAK_JWT_KEY.decode() not in everything
    assert set(tokens) == set(USERS)
    for value in (*tokens.values(), *predictable_forgeries(tokens["alice"], tokens["bob"])):
        assert value not in everything
    assert not JWT_SHAPED.search(everything)  # no real, forged, expired or random-key token at all
