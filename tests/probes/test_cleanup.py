"""The cleanup deletes what secscan created, and nothing else: an upsert that answers 201 with an object that
already existed (adversarial pass) keeps its object."""

from __future__ import annotations

import itertools

import pytest
import yaml
from fastapi import Body, Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from secscan_probes.engine import run_api_scan
from tests.probes.probe_support import api_settings, serve


def notes_app(upsert_to: str | None) -> tuple[FastAPI, dict[str, dict], list[str]]:
    """alice owns note 1, bob note 2; POST /notes makes a new note, or (upsert_to) answers 201 with that one."""
    notes = {"1": {"id": "1", "owner": "alice", "text": "alice's"}, "2": {"id": "2", "owner": "bob", "text": "bob's"}}
    deleted: list[str] = []
    ids = itertools.count(100)
    app = FastAPI()

    def user(creds: HTTPAuthorizationCredentials = Depends(HTTPBearer())) -> str:  # noqa: B008
        if creds.credentials not in ("alice", "bob"):
            raise HTTPException(401)
        return creds.credentials

    @app.get("/me")
    def me(who: str = Depends(user)) -> dict:  # noqa: B008
        return {"name": who}

    @app.post("/notes", status_code=201)
    def create(body: dict = Body(...), who: str = Depends(user)) -> dict:  # noqa: B008
        if upsert_to is not None:
            return notes[upsert_to]
        note = {"id": str(next(ids)), "owner": who, "text": str(body.get("text", ""))}
        notes[note["id"]] = note
        return note

    @app.get("/notes/{note_id}")
    def read(note_id: str, who: str = Depends(user)) -> dict:  # noqa: B008
        if note_id not in notes or notes[note_id]["owner"] != who:
            raise HTTPException(404)
        return notes[note_id]

    @app.delete("/notes/{note_id}", status_code=204)
    def delete(note_id: str, who: str = Depends(user)) -> None:  # noqa: B008
        if note_id not in notes or notes[note_id]["owner"] != who:
            raise HTTPException(404)
        deleted.append(note_id)
        del notes[note_id]

    return app, notes, deleted


def scan(tmp_path, app: FastAPI):
    path = tmp_path / "tenants.yaml"
    path.write_text(yaml.safe_dump({"tenants": {
        "alice": {"headers": {"Authorization": "Bearer alice"}, "owns": {"note_id": ["1"]}},
        "bob": {"headers": {"Authorization": "Bearer bob"}, "owns": {"note_id": ["2"]}}}}))
    with serve(app) as url:
        return run_api_scan(api_settings(openapi=f"{url}/openapi.json", tokens=path, probes=("bola",)))


def test_objects_secscan_created_are_deleted_again(tmp_path):
    app, notes, deleted = notes_app(None)
    run = scan(tmp_path, app)
    created = run.properties["createdObjects"]
    assert created and all(o["deleted"] for o in created), created
    assert set(notes) == {"1", "2"} and sorted(deleted) == sorted(o["value"] for o in created)


def test_an_upsert_answering_201_with_an_existing_object_never_gets_it_deleted(tmp_path):
    app, notes, deleted = notes_app("1")
    run = scan(tmp_path, app)
    assert deleted == [] and set(notes) == {"1", "2"}
    kept = [o for o in run.properties["createdObjects"] if not o["deleted"]]
    assert kept and {o["value"] for o in kept} == {"1"}, run.properties["createdObjects"]
    assert any("left on the target" in n.message and "note_id=1" in n.message for n in run.notifications)


@pytest.mark.parametrize("destructive", [False, True])
def test_a_full_scan_leaves_every_user_and_book_of_the_tenant_fixture_as_it_was(vulnerable, tmp_path, destructive):
    """All probes, the vulnerable tenant API: BOLA writes, mass assignment, injection and cleanup afterwards leave
    the users (names, roles, password hashes) and books exactly as seeded, with nothing added."""
    from secscan_demo.tenant_api.app import _ctx
    from tests.probes.probe_support import SPEC

    store = _ctx(vulnerable.app).store
    tokens = vulnerable.tenants_yaml(tmp_path)  # resets the seed data first

    def rows() -> dict[str, list[dict]]:
        return {table: store.raw_query(f"SELECT * FROM {table} ORDER BY id") for table in ("users", "books")}

    before = rows()
    assert before["users"] and before["books"]
    run = run_api_scan(api_settings(openapi=str(SPEC), tokens=tokens, base_url=vulnerable.base_url,
                                    allow_destructive=destructive))
    assert run.findings, "the scan found the planted flaws (it did write to the API)"
    assert rows() == before
