"""BOPLA probes: mass assignment confirmed by read-back, excessive data exposure by property names only."""

from __future__ import annotations

import json

import pytest

from secscan.sarif import dumps, to_sarif
from secscan_demo.tenant_api.flaws import FLAW_OPERATIONS

pytestmark = pytest.mark.slow  # real tools, real servers (see the slow marker in pyproject.toml)

MASS = {("mass-assignment", op) for op in FLAW_OPERATIONS["mass_assignment"]}
EXPOSURE = {("excessive-data", op) for op in FLAW_OPERATIONS["excessive_data"]}


def test_expected_sets_match_the_fixture_ground_truth():
    assert MASS == {("mass-assignment", "PATCH /users/me"), ("mass-assignment", "POST /books")}
    assert {op for _, op in EXPOSURE} == {"GET /users/me", "PATCH /users/me", "GET /users/{user_id}"}


def test_mass_assignment_found_where_values_persisted(vulnerable_run, ops_of):
    assert {item for item in ops_of(vulnerable_run) if item[0] == "mass-assignment"} == MASS
    by_op = {f.logical_location: f for f in vulnerable_run.findings if f.rule.id == "mass-assignment"}
    assert set(by_op["PATCH /users/me"].properties["parameter"].split(",")) >= {"role", "is_admin", "balance"}
    assert by_op["POST /books"].properties["parameter"] == "owner_id"
    for finding in by_op.values():
        assert [s["step"] for s in finding.properties["evidence"]] == ["baseline", "attack", "read-back"]
        assert finding.properties["confirmed"] is True and finding.properties["owasp"] == "API3:2023"


def test_fixed_twin_accepts_and_ignores_so_no_mass_assignment(fixed, tmp_path):
    run = fixed.scan(fixed.tenants_yaml(tmp_path), probes=("mass-assignment", "excessive-data"))
    assert run.findings == ()
    # the twin really did accept the extra properties (2xx) and ignore them
    assert fixed.app.state.ctx.store.user(1)["role"] == "user"


def test_mass_assignment_restores_the_actors_profile(vulnerable, tmp_path):
    run = vulnerable.scan(vulnerable.tenants_yaml(tmp_path, users=("alice", "bob")), probes=("mass-assignment",))
    assert {f.logical_location for f in run.findings} == {"PATCH /users/me", "POST /books"}
    alice = vulnerable.app.state.ctx.store.user(1)
    assert (alice["username"], alice["role"], alice["is_admin"], alice["balance"]) == ("alice", "user", 0, 100.0)


def test_excessive_data_found_on_user_endpoints(vulnerable_run, ops_of):
    assert {item for item in ops_of(vulnerable_run) if item[0] == "excessive-data"} == EXPOSURE
    for f in (f for f in vulnerable_run.findings if f.rule.id == "excessive-data"):
        assert f.properties["parameter"] == "api_token,otp_code,password_hash"


def test_no_property_value_in_output(vulnerable, vulnerable_run):
    text = dumps(to_sarif([vulnerable_run])) + json.dumps([f.message for f in vulnerable_run.findings])
    store = vulnerable.app.state.ctx.store
    for user_id in (1, 2, 3, 4):
        row = store.user(user_id)
        for column in ("password_hash", "api_token", "otp_code"):
            assert row[column] not in text, column
    assert "password_hash" in text  # the names are reported


def test_an_existing_profile_is_patched_one_known_property_at_a_time_and_left_as_it_was(tmp_path):
    """A profile that stores any key and refuses nulls (adversarial pass): secscan once sent 17 properties in one
    PATCH, ownership ids included, and 'restored' unknown originals as null, which the server refused, leaving
    alice admin of another tenant. Now: one property per PATCH, only properties whose value it read, never an
    ownership id; each put back before the next."""
    import yaml
    from fastapi import Body, Depends, FastAPI, HTTPException
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

    from secscan_probes.engine import run_api_scan
    from tests.probes.probe_support import api_settings, serve

    profiles = {u: {"name": u, "role": "user", "balance": 10, "is_admin": False} for u in ("alice", "bob")}
    original = {u: dict(p) for u, p in profiles.items()}
    bodies: list[dict] = []
    app = FastAPI()

    def user(creds: HTTPAuthorizationCredentials = Depends(HTTPBearer())) -> str:  # noqa: B008
        if creds.credentials not in profiles:
            raise HTTPException(401)
        return creds.credentials

    @app.get("/users/me")
    def me(who: str = Depends(user)) -> dict:  # noqa: B008
        return profiles[who]

    @app.patch("/users/me")
    def patch_me(body: dict = Body(...), who: str = Depends(user)) -> dict:  # noqa: B008
        bodies.append(body)
        if any(v is None for v in body.values()):
            raise HTTPException(422, "null not allowed")
        profiles[who].update(body)
        return profiles[who]

    path = tmp_path / "tenants.yaml"
    path.write_text(yaml.safe_dump({"tenants": {u: {"headers": {"Authorization": f"Bearer {u}"}} for u in profiles}}))
    with serve(app) as url:
        run = run_api_scan(api_settings(openapi=f"{url}/openapi.json", tokens=path, probes=("mass-assignment",)))
    assert profiles == original
    assert bodies and all(len(b) == 1 for b in bodies), bodies
    assert not any(k in b for b in bodies for k in ("owner_id", "tenant_id", "user_id")), bodies
    persisted = {f.properties["parameter"] for f in run.findings if f.rule.id == "mass-assignment"}
    assert persisted == {"balance,is_admin,role"}, [f.message for f in run.findings]
