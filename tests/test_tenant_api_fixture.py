"""Ground truth for the tenant API fixture: each flaw shows on the vulnerable app and not on its fixed twin."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import yaml
from fastapi import FastAPI

from secscan_demo.serve import serve
from secscan_demo.tenant_api.app import create_app, factory, flaws_of, issue_token, reset_state
from secscan_demo.tenant_api.dump_specs import SPECS, render_spec
from secscan_demo.tenant_api.flaws import (
    ALL_FLAWS,
    DECOY_OPERATIONS,
    EVERY_SECURED_OPERATION,
    FLAW_OPERATIONS,
    parse_flaws,
)
from secscan_demo.tenant_api.store import SEED_PASSWORDS
from secscan_demo.tenant_api.tokens import fetch_tokens

pytestmark = pytest.mark.slow  # real tools, real servers (see the slow marker in pyproject.toml)

APP_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "vuln_apps" / "tenant_api"
# A third app with every other flaw on shows that the flaws switch independently.
PARTIAL_FLAWS = frozenset(sorted(ALL_FLAWS)[::2])
VARIANTS: dict[str, frozenset[str] | None] = {"vulnerable": None, "fixed": frozenset(), "partial": PARTIAL_FLAWS}
MASS_PROPS = {"role", "is_admin", "owner_id", "balance", "verified"}
USER_OUT_KEYS = {"id", "username", "email", "display_name", "role", "is_admin", "balance", "verified"}
PUBLIC_OPERATIONS = {
    "POST /auth/login", "POST /auth/reset-password", "POST /auth/otp/verify", "GET /export",
    "POST /render", *DECOY_OPERATIONS,
}


@dataclass
class Target:
    """One running app: its flaws, an httpx client on its base URL and long-lived tenant tokens."""

    app: FastAPI
    flaws: frozenset[str]
    client: httpx.Client
    tokens: dict[str, str]

    def call(self, user: str | None, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return self.client.request(method, path, headers=headers, **kwargs)

    def with_token(self, token: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)


@pytest.fixture(scope="module")
def targets() -> Iterator[dict[str, Target]]:
    with ExitStack() as stack:
        running = {}
        for name, flaws in VARIANTS.items():
            app = create_app(flaws)
            client = stack.enter_context(httpx.Client(base_url=stack.enter_context(serve(app)), timeout=15))
            tokens = {user: issue_token(app, user) for user in SEED_PASSWORDS}
            running[name] = Target(app, flaws_of(app), client, tokens)
        yield running


@pytest.fixture(params=list(VARIANTS))
def target(request: pytest.FixtureRequest, targets: dict[str, Target]) -> Target:
    chosen = targets[request.param]
    reset_state(chosen.app)
    return chosen


# --- an independent JWT encoder, so forged tokens do not come from the code under test ---

def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jwt(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = _b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest()) if key else ""
    return f"{signing_input}.{signature}"


def _claims(sub: str) -> dict[str, Any]:
    return {"sub": sub, "iat": int(time.time()), "exp": int(time.time()) + 3600}


def _payload(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _me(target: Target, token: str) -> httpx.Response:
    return target.with_token(token, "GET", "/users/me")


# --- one check per flaw: `vulnerable` says whether the flaw is switched on in the target ---

def check_bola(t: Target, vulnerable: bool) -> None:
    read = t.call("bob", "GET", "/books/1")
    book_id = t.call("alice", "POST", "/books", json={"title": "mine", "content": "alice only"}).json()["id"]
    put = t.call("bob", "PUT", f"/books/{book_id}", json={"title": "pwned", "content": "by bob"})
    delete = t.call("bob", "DELETE", f"/books/{book_id}")
    after = t.call("alice", "GET", f"/books/{book_id}")
    if vulnerable:
        assert read.status_code == 200 and "alice-secret-1" in read.json()["content"]
        assert put.status_code == 200 and put.json()["title"] == "pwned"
        assert delete.status_code == 204 and after.status_code == 404
    else:
        assert (read.status_code, put.status_code, delete.status_code) == (404, 404, 404)
        assert "alice-secret" not in read.text
        assert after.status_code == 200 and after.json()["title"] == "mine"


def check_bola_user(t: Target, vulnerable: bool) -> None:
    other = t.call("bob", "GET", "/users/1")
    assert t.call("bob", "GET", "/users/2").json()["username"] == "bob"
    if vulnerable:
        assert other.status_code == 200 and other.json()["username"] == "alice"
    else:
        assert other.status_code == 404 and "alice" not in other.text


def check_no_auth(t: Target, vulnerable: bool) -> None:
    anonymous = t.call(None, "GET", "/books/1/export")
    garbage = t.with_token("not-a-jwt", "GET", "/books/1/export")
    assert t.call("alice", "GET", "/books/1/export").status_code == 200
    if vulnerable:
        assert anonymous.status_code == garbage.status_code == 200
        assert "alice-secret-1" in anonymous.json()["content"]
    else:
        assert anonymous.status_code == garbage.status_code == 401
        assert anonymous.headers["WWW-Authenticate"] == "Bearer"


def check_jwt_none(t: Target, vulnerable: bool) -> None:
    reply = _me(t, _jwt({"alg": "none", "typ": "JWT"}, _claims("1"), key=None))
    if vulnerable:
        assert reply.status_code == 200 and reply.json()["username"] == "alice"
    else:
        assert reply.status_code == 401


def check_jwt_nosig(t: Target, vulnerable: bool) -> None:
    header, _, signature = t.tokens["alice"].split(".")
    as_bob = f"{header}.{_b64(json.dumps({**_claims('2')}).encode())}.{signature}"
    stripped = f"{header}.{t.tokens['alice'].split('.')[1]}."
    replies = [_me(t, as_bob), _me(t, stripped)]
    if vulnerable:
        assert [r.status_code for r in replies] == [200, 200]
        assert [r.json()["username"] for r in replies] == ["bob", "alice"]
    else:
        assert [r.status_code for r in replies] == [401, 401]


def check_jwt_expired(t: Target, vulnerable: bool) -> None:
    expired = issue_token(t.app, "alice", ttl_seconds=-3600)
    assert _payload(expired)["exp"] < time.time()
    reply = _me(t, expired)
    assert reply.status_code == (200 if vulnerable else 401)


def check_weak_jwt_key(t: Target, vulnerable: bool) -> None:
    issued = t.client.post("/auth/login", json={"username": "alice", "password": SEED_PASSWORDS["alice"]})
    head, body, sig = issued.json()["access_token"].split(".")
    cracked = sig == _b64(hmac.new(b"secret123", f"{head}.{body}".encode(), hashlib.sha256).digest())
    assert cracked is vulnerable
    forged = _me(t, _jwt({"alg": "HS256", "typ": "JWT"}, _claims("3"), key=b"secret123"))
    accepted = vulnerable or "jwt_nosig" in t.flaws  # jwt_nosig accepts any signature
    assert forged.status_code == (200 if accepted else 401)
    if accepted:
        assert forged.json()["username"] == "admin"


def check_user_enum(t: Target, vulnerable: bool) -> None:
    unknown = t.client.post("/auth/login", json={"username": "nobody-here", "password": "x"})
    wrong = t.client.post("/auth/login", json={"username": "alice", "password": "wrong-password"})
    if vulnerable:
        assert (unknown.status_code, wrong.status_code) == (404, 401)
        assert unknown.json() != wrong.json()
    else:
        assert unknown.status_code == wrong.status_code == 401
        assert unknown.json() == wrong.json()


def check_nosqli(t: Target, vulnerable: bool) -> None:
    reply = t.client.post("/auth/login", json={"username": "alice", "password": {"$ne": None}})
    if vulnerable:
        assert reply.status_code == 200
        assert _me(t, reply.json()["access_token"]).json()["username"] == "alice"
    else:
        assert reply.status_code == 422 and "access_token" not in reply.text


def _search(t: Target, query: str) -> httpx.Response:
    return t.call("alice", "GET", "/search", params={"q": query})


def check_sqli(t: Target, vulnerable: bool) -> None:
    error = _search(t, "'")
    always, never, base = (_search(t, q) for q in ("' OR 1=1 --", "' AND 1=2 --", "diary"))
    assert base.status_code == 200 and base.json()["count"] == 1
    if vulnerable:
        assert error.status_code == 500 and "sqlite3.OperationalError: unrecognized token" in error.text
        assert always.json()["count"] == 64 and never.json()["count"] == 0
    else:
        assert error.status_code == 200 and "sqlite" not in error.text.lower()
        assert always.json()["count"] == never.json()["count"] == 0


def check_cmdi(t: Target, vulnerable: bool) -> None:
    plain = t.call("alice", "POST", "/tools/ping", json={"host": "127.0.0.1"})
    assert plain.status_code == 200 and plain.json()["output"].strip() == "pinging 127.0.0.1"
    injected = t.call("alice", "POST", "/tools/ping", json={"host": "127.0.0.1;echo MARK$((6*7))X"})
    if vulnerable:
        assert injected.status_code == 200 and "MARK42X" in injected.json()["output"]
    else:
        assert injected.status_code == 422 and "MARK42X" not in injected.text


def check_ssti(t: Target, vulnerable: bool) -> None:
    reply = t.client.post("/render", json={"name": "{{1337*7331}}"})
    assert reply.status_code == 200
    expected = "Hello 9801547!" if vulnerable else "Hello {{1337*7331}}!"
    assert reply.json()["greeting"] == expected


def check_path_traversal(t: Target, vulnerable: bool) -> None:
    assert "Quarterly public report" in t.client.get("/export", params={"file": "report.txt"}).text
    for name in ("../../../../../../../../../etc/passwd", "/etc/passwd"):
        reply = t.client.get("/export", params={"file": name})
        if vulnerable:
            assert reply.status_code == 200 and "root:x:0:0" in reply.text
        else:
            assert reply.status_code == 404 and "root:" not in reply.text


RATE_LIMITED = (
    ("/auth/login", {"username": "alice", "password": "wrong-password"}),
    ("/auth/reset-password", {"email": "alice@example.test"}),
    ("/auth/otp/verify", {"username": "alice", "code": "000000"}),
)


def check_no_rate_limit(t: Target, vulnerable: bool) -> None:
    for path, body in RATE_LIMITED:
        replies = [t.client.post(path, json=body) for _ in range(30)]
        codes = [r.status_code for r in replies]
        if vulnerable:
            assert 429 not in codes, path
        else:
            assert 429 not in codes[:10] and codes[10:] == [429] * 20, (path, codes)
            assert int(replies[-1].headers["Retry-After"]) >= 1


def check_unbounded_page(t: Target, vulnerable: bool) -> None:
    assert len(t.call("carol", "GET", "/books").json()) == 10
    assert len(t.call("carol", "GET", "/books", params={"limit": 50}).json()) == 50
    huge = t.call("carol", "GET", "/books", params={"limit": 100000})
    if vulnerable:
        assert huge.status_code == 200 and len(huge.json()) == 60
    else:
        assert huge.status_code == 422


def check_mass_assignment(t: Target, vulnerable: bool) -> None:
    extra = {"role": "admin", "is_admin": True, "balance": 1e6, "verified": False}
    patched = t.call("carol", "PATCH", "/users/me", json={"display_name": "Caz", **extra})
    me = t.call("carol", "GET", "/users/me").json()
    assert patched.status_code == 200 and me["display_name"] == "Caz"  # the fixed twin accepts and ignores
    persisted = {key: me[key] for key in extra}
    assert persisted == (extra if vulnerable else {"role": "user", "is_admin": False, "balance": 100.0,
                                                    "verified": True})
    book = t.call("alice", "POST", "/books", json={"title": "gift", "owner_id": 2})
    assert book.status_code == 201 and book.headers["Location"] == f"/books/{book.json()['id']}"
    assert book.json()["owner_id"] == (2 if vulnerable else 1)


def check_excessive_data(t: Target, vulnerable: bool) -> None:
    for path in ("/users/me", "/users/1"):
        profile = t.call("alice", "GET", path).json()
        if vulnerable:
            assert profile["password_hash"].startswith("sha256$") and profile["api_token"].startswith("tk_")
        else:
            assert set(profile) == USER_OUT_KEYS


CHECKS: dict[str, Callable[[Target, bool], None]] = {
    "bola": check_bola, "bola_user": check_bola_user, "no_auth": check_no_auth, "jwt_none": check_jwt_none,
    "jwt_nosig": check_jwt_nosig, "jwt_expired": check_jwt_expired, "weak_jwt_key": check_weak_jwt_key,
    "user_enum": check_user_enum, "nosqli": check_nosqli, "sqli": check_sqli, "cmdi": check_cmdi,
    "ssti": check_ssti, "path_traversal": check_path_traversal, "no_rate_limit": check_no_rate_limit,
    "unbounded_page": check_unbounded_page, "mass_assignment": check_mass_assignment,
    "excessive_data": check_excessive_data,
}


def test_every_flaw_has_a_check() -> None:
    assert set(CHECKS) == ALL_FLAWS and set(FLAW_OPERATIONS) == ALL_FLAWS
    assert PARTIAL_FLAWS and PARTIAL_FLAWS != ALL_FLAWS


@pytest.mark.parametrize("flaw", sorted(CHECKS))
def test_flaw_ground_truth(flaw: str, target: Target) -> None:
    CHECKS[flaw](target, flaw in target.flaws)


# --- decoys and legitimate access: identical, finding-free behaviour in every variant ---

def test_decoy_public_announcement_same_for_everyone(target: Target) -> None:
    replies = [target.call(user, "GET", "/public/announcements/1") for user in (None, "alice", "bob")]
    replies.append(target.with_token("garbage", "GET", "/public/announcements/1"))
    assert {r.status_code for r in replies} == {200}
    assert all(r.json() == replies[0].json() for r in replies)
    assert target.call(None, "GET", "/public/announcements/999").status_code == 404


def test_decoy_status_check_fails_softly(target: Target) -> None:
    assert target.client.get("/status/check", params={"item": "db"}).json()["status"] == "ok"
    for item in ("' OR '1'='1", "<script>alert(1)</script>", "../../etc/passwd", "{{7*7}}"):
        reply = target.client.get("/status/check", params={"item": item})
        assert reply.status_code == 200 and reply.json() == {"item": item, "status": "fail"}


def test_decoy_legacy_lookup_errors_on_quotes_without_sql(target: Target) -> None:
    assert target.client.get("/legacy/lookup", params={"code": "A100"}).json()["name"] == "Widget"
    quoted = [target.client.get("/legacy/lookup", params={"code": c})
              for c in ("A100'", "A100' AND '1'='1", "A100' AND '1'='2", 'A100"')]
    assert {r.status_code for r in quoted} == {500}
    assert all(r.text == quoted[0].text for r in quoted)
    assert not any(word in quoted[0].text.lower() for word in ("sql", "syntax", "token"))
    unquoted = [target.client.get("/legacy/lookup", params={"code": c}) for c in ("A100 AND 1=1", "A100 AND 1=2")]
    assert [r.status_code for r in unquoted] == [404, 404] and unquoted[0].json() == unquoted[1].json()


def test_legitimate_access_is_allowed(target: Target) -> None:
    assert target.call("alice", "GET", "/books/1").json()["owner_id"] == 1
    assert target.call("admin", "GET", "/books/1").status_code == 200  # admins may read any book
    assert target.call("admin", "GET", "/users/1").json()["username"] == "alice"
    assert [b["id"] for b in target.call("alice", "GET", "/books").json()] == [1, 2]
    assert target.call(None, "GET", "/books").status_code == 401
    login = target.client.post("/auth/login", json={"username": "bob", "password": SEED_PASSWORDS["bob"]})
    assert _me(target, login.json()["access_token"]).json()["username"] == "bob"


def test_fetch_tokens_helper(target: Target) -> None:
    tokens = fetch_tokens(str(target.client.base_url), ("alice", "admin"))
    assert [_me(target, tokens[name]).json()["username"] for name in ("alice", "admin")] == ["alice", "admin"]


# --- specs and configuration ---

def _spec(filename: str) -> dict[str, Any]:
    return json.loads((APP_DIR / filename).read_text(encoding="utf-8"))


def _operations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{method.upper()} {path}": op for path, ops in spec["paths"].items() for method, op in ops.items()}


def _request_properties(spec: dict[str, Any], op: dict[str, Any]) -> set[str]:
    schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return set(schema.get("properties", {}))


@pytest.mark.parametrize("filename", sorted(SPECS))
def test_spec_file_is_current_and_clean(filename: str) -> None:
    text = (APP_DIR / filename).read_text(encoding="utf-8")
    assert text == render_spec(SPECS[filename])
    spec = json.loads(text)
    assert spec["servers"] == [{"url": "http://127.0.0.1:8000"}]
    assert "password_hash" not in text and "api_token" not in text
    for name, op in _operations(spec).items():
        assert not _request_properties(spec, op) & MASS_PROPS, name
        expected = [] if name in PUBLIC_OPERATIONS else [{"bearerAuth": []}]
        assert op.get("security") == expected, name


@pytest.mark.parametrize("filename", sorted(SPECS))
def test_spec_loads_in_schemathesis(filename: str) -> None:
    schema = schemathesis.openapi.from_path(str(APP_DIR / filename))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(_operations(_spec(filename))) == 19


def test_ground_truth_operations_exist_in_spec() -> None:
    declared = set(_operations(_spec("openapi.json")))
    listed = {op for ops in FLAW_OPERATIONS.values() for op in ops} | set(DECOY_OPERATIONS)
    assert listed - {EVERY_SECURED_OPERATION} <= declared
    assert set(DECOY_OPERATIONS) <= PUBLIC_OPERATIONS


def test_tenants_example_shape() -> None:
    tenants = yaml.safe_load((APP_DIR / "tenants.example.yaml").read_text(encoding="utf-8"))["tenants"]
    assert list(tenants) == ["alice", "bob", "admin"]
    for name, spec in tenants.items():
        assert spec["headers"] == {"Authorization": f"Bearer ${{{name.upper()}_TOKEN}}"}
    assert (tenants["alice"]["role"], tenants["admin"]["role"], "role" in tenants["bob"]) == ("user", "admin", False)


def test_flaw_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_flaws("all") == parse_flaws(None) == ALL_FLAWS
    assert parse_flaws("none") == frozenset()
    assert parse_flaws(" bola, sqli ") == {"bola", "sqli"}
    with pytest.raises(ValueError, match="bogus"):
        parse_flaws("bola,bogus")
    monkeypatch.setenv("TENANT_API_FLAWS", "ssti,cmdi")
    assert flaws_of(factory()) == {"ssti", "cmdi"}
    assert flaws_of(create_app()) == ALL_FLAWS and flaws_of(create_app(set())) == frozenset()
