"""BOLA probe against the tenant API: exact findings on the vulnerable app, none on the fixed twin."""

from __future__ import annotations

import pytest
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from secscan_demo.tenant_api.flaws import DECOY_OPERATIONS, FLAW_OPERATIONS

pytestmark = pytest.mark.slow  # real tools, real servers (see the slow marker in pyproject.toml)

EXPECTED = {
    ("bola", "GET /books/{book_id}"), ("bola", "PUT /books/{book_id}"), ("bola", "DELETE /books/{book_id}"),
    ("bola", "GET /books/{book_id}/export"),  # the no_auth route is readable cross-tenant too
    ("bola", "GET /users/{user_id}"),
}


def test_ground_truth_covers_expected_operations():
    truth = {*FLAW_OPERATIONS["bola"], *FLAW_OPERATIONS["bola_user"], *FLAW_OPERATIONS["no_auth"]}
    assert {op for _, op in EXPECTED} == truth


def test_bola_found_exactly_on_vulnerable_app(vulnerable_run, ops_of):
    assert {item for item in ops_of(vulnerable_run) if item[0] == "bola"} == EXPECTED
    assert vulnerable_run.status.value == "ok"


def test_fixed_twin_has_no_finding_at_all(fixed_run):
    assert fixed_run.status.value == "ok"
    assert [f.logical_location for f in fixed_run.findings] == []


def test_decoys_never_flagged(vulnerable_run, fixed_run):
    flagged = {f.logical_location for f in (*vulnerable_run.findings, *fixed_run.findings)}
    assert not flagged & set(DECOY_OPERATIONS)


def test_every_bola_finding_is_confirmed_with_three_steps(vulnerable_run):
    bolas = [f for f in vulnerable_run.findings if f.rule.id == "bola"]
    assert {(f.rule.id, f.logical_location) for f in bolas} == EXPECTED
    for f in bolas:
        props = f.properties
        owner, attacker = props["tenants"]
        assert owner != attacker and attacker != "admin"
        assert props["confirmed"] is True and props["owasp"] == "API1:2023"
        names = [step["step"] for step in props["evidence"]]
        assert names[:2] == ["owner baseline", "attack"] and names[2] in ("control", "read-back")
        attack = props["evidence"][1]
        assert 200 <= attack["status"] < 300
        assert f"$SECSCAN_TOKEN_{attacker.upper()}" in attack["curl"]
        assert f"$SECSCAN_TOKEN_{owner.upper()}" in props["evidence"][0]["curl"]
        roles = "->".join("admin" if name == "admin" else "user" for name in props["tenants"])
        assert f.context == f"{props['method']}|{props['pathTemplate']}|bola|{roles}|{props['parameter']}"


def test_admin_reading_others_objects_is_not_a_finding(fixed, tmp_path):
    """On the fixed twin the admin legitimately reads alice's objects (200 with her canary): not BOLA."""
    run = fixed.scan(fixed.tenants_yaml(tmp_path, users=("admin", "alice")), probes=("bola",))
    assert run.findings == ()


def test_only_alice_reads_flagged_when_only_admin_and_alice(vulnerable, tmp_path):
    run = vulnerable.scan(vulnerable.tenants_yaml(tmp_path, users=("admin", "alice")), probes=("bola",))
    assert run.findings and all(f.properties["tenants"] == ["admin", "alice"] for f in run.findings)


def test_no_delete_without_allow_destructive(vulnerable, tmp_path, ops_of):
    run = vulnerable.scan(vulnerable.tenants_yaml(tmp_path, users=("alice", "bob")), probes=("bola",))
    assert {op for _, op in ops_of(run)} == {op for _, op in EXPECTED} - {"DELETE /books/{book_id}"}
    store = vulnerable.app.state.ctx.store
    assert store.book(1) is not None and store.book(3) is not None  # seeded objects untouched


def test_public_objects_are_not_findings(vulnerable, tmp_path):
    """Objects declared public in tenants.yaml are skipped; the user objects stay in scope."""
    public = {"public": {"book_id": [str(i) for i in range(1, 200)]}}
    path = vulnerable.tenants_yaml(tmp_path, users=("alice", "bob"), alice=public, bob=public)
    run = vulnerable.scan(path, probes=("bola",))
    assert {f.logical_location for f in run.findings} == {"GET /users/{user_id}"}


def test_objects_declared_in_owns_are_attacked(vulnerable, tmp_path):
    """carol's book 60 is not on her first list page; only `owns` tells secscan about it."""
    bob_public = {"public": {"book_id": ["3", "4", *(str(i) for i in range(65, 70))]}}  # bob's and all new ones
    path = vulnerable.tenants_yaml(tmp_path, users=("bob", "carol"), bob=bob_public,
                                   carol={"owns": {"book_id": ["60"]}})
    run = vulnerable.scan(path, probes=("bola",))
    reads = {f.properties["url"] for f in run.findings if f.logical_location == "GET /books/{book_id}"}
    assert reads == {f"{vulnerable.base_url}/books/60"}


def sharing_app() -> FastAPI:
    """alice shares an (empty) folder with bob on purpose; bob's own folder has items. No flaw at all."""

    app = FastAPI()
    bearer = HTTPBearer()
    folders = {"alice-notes": ("alice", ["alice-1", "alice-2"]), "alice-shared": ("alice", []),
               "bob-notes": ("bob", ["bob-1"])}
    shared = {"alice-shared": {"bob"}}

    def user(creds: HTTPAuthorizationCredentials = Depends(bearer)) -> str:  # noqa: B008 - FastAPI's idiom
        if creds.credentials not in ("tok-alice", "tok-bob"):
            raise HTTPException(401)
        return creds.credentials.removeprefix("tok-")

    @app.get("/me")
    def me(who: str = Depends(user)) -> dict:  # noqa: B008
        return {"name": who}

    @app.get("/folders")
    def list_folders(who: str = Depends(user)) -> dict:  # noqa: B008
        return {"data": [{"folder_id": f} for f, (owner, _) in folders.items() if who == owner
                         or who in shared.get(f, ())]}

    @app.get("/folders/{folder_id}/items")
    def items(folder_id: str, who: str = Depends(user)) -> dict:  # noqa: B008
        owner, content = folders.get(folder_id, (None, []))
        if owner is None:
            raise HTTPException(404)
        if who != owner and who not in shared.get(folder_id, ()):
            raise HTTPException(403)
        return {"data": [{"item": i} for i in content]}

    return app


def test_an_empty_shared_object_is_not_a_leak(tmp_path):
    """bob reads alice's folder that she shared with him: same (empty) answer as hers, and nothing of hers in it.
    Kinto has exactly this (a collection shared read-only); an empty list proves no access to anyone's data."""
    import yaml

    from secscan_probes.engine import run_api_scan
    from tests.probes.probe_support import api_settings, serve

    tenants = {"alice": {"headers": {"Authorization": "Bearer tok-alice"},
                         "owns": {"folder_id": ["alice-shared", "alice-notes"]}},
               "bob": {"headers": {"Authorization": "Bearer tok-bob"}, "owns": {"folder_id": ["bob-notes"]}}}
    path = tmp_path / "tenants.yaml"
    path.write_text(yaml.safe_dump({"tenants": tenants}))
    with serve(sharing_app()) as url:
        # no --base-url: FastAPI's spec has no `servers`, which OpenAPI reads as "/" of the host it came from
        run = run_api_scan(api_settings(openapi=f"{url}/openapi.json", tokens=path, probes=("bola",)))
    assert run.status.value == "ok", [n.message for n in run.notifications]
    assert run.findings == ()
    assert "GET /folders/{folder_id}/items" not in run.properties["coverage"]["notRequested"]


def test_a_read_the_owner_shared_with_the_attacker_is_not_bola(tmp_path):
    """alice's collection 1 lists bob among its readers (Kinto-style permissions on the parent): bob reading its
    records is sharing, not a flaw. Her collection 2 is not shared, and bob reading it is still reported."""
    import yaml

    from secscan_probes.engine import run_api_scan
    from tests.probes.probe_support import api_settings, serve

    collections = {"1": {"id": "1", "owner": "alice", "permissions": {"read": ["user:bob"]}},
                   "2": {"id": "2", "owner": "alice", "permissions": {"read": []}},
                   "3": {"id": "3", "owner": "bob", "permissions": {"read": []}}}
    records = {"1": [{"title": "alice's shared plan"}], "2": [{"title": "alice's private diary"}],
               "3": [{"title": "bob's list"}]}
    app = FastAPI()

    def user(creds: HTTPAuthorizationCredentials = Depends(HTTPBearer())) -> str:  # noqa: B008
        who = {"tok-alice-7": "alice", "tok-bob-9": "bob"}.get(creds.credentials)
        if who is None:
            raise HTTPException(401)
        return who

    @app.get("/me")
    def me(who: str = Depends(user)) -> dict:  # noqa: B008
        return {"user": {"id": f"user:{who}"}}

    @app.get("/collections/{id}")  # named differently from the records route's parameter, as Kinto does
    def collection(id: str, who: str = Depends(user)) -> dict:  # noqa: A002, B008
        if id not in collections or collections[id]["owner"] != who:
            raise HTTPException(403)
        return collections[id]

    @app.get("/collections/{collection_id}/records")
    def read(collection_id: str, who: str = Depends(user)) -> dict:  # noqa: B008 - broken on purpose for "2"
        if collection_id not in records:
            raise HTTPException(403)
        return {"data": records[collection_id]}

    path = tmp_path / "tenants.yaml"
    path.write_text(yaml.safe_dump({"tenants": {
        "alice": {"headers": {"Authorization": "Bearer tok-alice-7"}, "owns": {"collection_id": ["1", "2"]}},
        "bob": {"headers": {"Authorization": "Bearer tok-bob-9"}, "owns": {"collection_id": ["3"]}}}}))
    with serve(app) as url:
        run = run_api_scan(api_settings(openapi=f"{url}/openapi.json", tokens=path, probes=("bola",)))
    reads = {(f.properties["tenants"][1], f.properties["url"].rsplit("/collections/", 1)[1])
             for f in run.findings if f.rule.id == "bola"}
    assert ("bob", "2/records") in reads, reads  # the unshared collection: still a finding
    assert ("bob", "1/records") not in reads, reads
    notes = [n.message for n in run.notifications]
    assert any("GET /collections/{id} names user:bob: shared, not reported" in m for m in notes), notes
