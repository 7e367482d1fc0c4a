"""The shop fixture: every planted flaw proven by hand on the vulnerable app and absent from the fixed twin,
plus the real-API behaviours a scanner has to cope with (setup trap, logout, 200+fail errors, form token
endpoint, rename, CSRF, envelopes, spec security omissions). Real werkzeug servers on 127.0.0.1."""

from __future__ import annotations

import threading
import time

import httpx
import jwt
import pytest
import yaml
from werkzeug.serving import make_server

from secscan_demo import shop_api

pytestmark = pytest.mark.slow

PW = shop_api.SEED_PASSWORDS
GT = shop_api.flaws
SPEC = yaml.safe_load(shop_api.SPEC_PATH.read_text(encoding="utf-8"))
HTTP_METHODS = ("get", "put", "post", "patch", "delete")
SAMPLE_PATH_VALUES = {"order_id": "1001", "address_id": "1", "username": "alice", "product_id": "1", "review_id": "1"}
LISTED_SKUS = ["MUG-001", "TEE-RED-M", "BAG-TOTE", "LAMP-DESK", "PEN-SET"]


def spec_operation(op: str) -> dict:
    method, path = op.split(" ", 1)
    return SPEC["paths"][path][method.lower()]


def concrete(path_template: str) -> str:
    path = path_template
    for name, value in SAMPLE_PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, path
    return path


class Server:
    def __init__(self, app) -> None:
        self.app = app
        self.httpd = make_server("127.0.0.1", 0, app, threaded=True)
        self.base = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


class Shop:
    """A client for one variant, with shortcuts for tenants."""

    def __init__(self, client: httpx.Client, vulnerable: bool) -> None:
        self.client = client
        self.vulnerable = vulnerable

    def call(self, method: str, path: str, token: str | None = None, **kwargs) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.request(method, path, headers=headers, **kwargs)

    def token_response(self, username: str, password: str) -> httpx.Response:
        return self.client.post("/api/v1/oauth/token",
                                data={"grant_type": "password", "username": username, "password": password})

    def token(self, username: str, password: str | None = None) -> str:
        r = self.token_response(username, password if password is not None else PW[username])
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def web_login(self, username: str) -> str:
        r = self.client.post("/web/login", data={"username": username, "password": PW[username]})
        assert r.status_code == 200 and r.json()["status"] == "success", r.text
        assert "httponly" in r.headers["set-cookie"].lower()
        sid = r.cookies["shop_session"]
        self.client.cookies.clear()  # cookies are sent explicitly below
        return sid

    def web(self, method: str, path: str, sid: str | None, **kwargs) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if sid:
            headers["Cookie"] = f"shop_session={sid}"
        return self.client.request(method, path, headers=headers, **kwargs)

    def csrf(self, sid: str) -> str:
        r = self.web("GET", "/web/csrf", sid)
        assert r.status_code == 200, r.text
        token = r.json()["csrf_token"]
        assert isinstance(token, str) and len(token) >= 20
        return token


@pytest.fixture(scope="module")
def servers():
    started = {"vuln": Server(shop_api.create_app(None)), "fixed": Server(shop_api.create_app(set()))}
    yield started
    for server in started.values():
        server.close()


@pytest.fixture(params=["vuln", "fixed"])
def shop(request, servers):
    server = servers[request.param]
    shop_api.reset_state(server.app)
    with httpx.Client(base_url=server.base, trust_env=False, timeout=10) as client:
        yield Shop(client, vulnerable=request.param == "vuln")


# --------------------------------------------------------------------------------------------------
# ground truth table & factory
# --------------------------------------------------------------------------------------------------
def test_ground_truth_table_matches_spec_and_factory():
    spec_ops = {f"{m.upper()} {p}" for p, item in SPEC["paths"].items() for m in item if m in HTTP_METHODS}
    assert set(GT.FLAWS) == GT.ALL_FLAWS and len(GT.ALL_FLAWS) >= 12
    for name, flaw in GT.FLAWS.items():
        assert flaw.name == name and flaw.owasp.startswith("API") and "2023" in flaw.owasp
        assert flaw.operations and set(flaw.operations) <= spec_ops, name
        assert flaw.report and flaw.proof
    for decoy in GT.DECOYS:
        assert set(decoy.operations) <= spec_ops, decoy
    assert set(GT.TRAPS) <= spec_ops
    assert set(GT.UNDECLARED_AUTH_OPERATIONS) <= spec_ops and set(GT.DECLARED_AUTH_OPERATIONS) <= spec_ops
    assert shop_api.app_flaws(shop_api.create_app()) == GT.ALL_FLAWS
    assert shop_api.app_flaws(shop_api.create_app(set())) == frozenset()
    assert shop_api.app_flaws(shop_api.create_app({"bola_order_read"})) == {"bola_order_read"}
    with pytest.raises(ValueError, match="bogus"):
        shop_api.create_app({"bogus"})


def test_every_spec_operation_is_routed():
    adapter = shop_api.create_app(set()).url_map.bind("localhost")
    count = 0
    for path, item in SPEC["paths"].items():
        for method in item:
            if method not in HTTP_METHODS:
                continue
            endpoint, _ = adapter.match(concrete(path), method=method.upper())
            assert endpoint, (method, path)
            count += 1
    assert count == 34


# --------------------------------------------------------------------------------------------------
# real-API behaviours 1-8
# --------------------------------------------------------------------------------------------------
def test_setup_get_recreates_the_database(shop):
    assert "Re-create the database" in spec_operation("GET /api/v1/setup")["summary"]
    assert "parameters" not in spec_operation("GET /api/v1/setup")
    alice, bob = shop.token("alice"), shop.token("bob")
    r = shop.call("POST", "/api/v1/addresses", alice,
                  json={"label": "Gran", "line1": "5 Tea Party Row", "city": "York", "postcode": "YO1 7HH",
                        "country": "GB"})
    assert r.status_code == 201
    new_address = r.headers["Location"]
    assert shop.call("PATCH", "/api/v1/profile", bob, json={"display_name": "Bobby"}).json()["data"][
        "display_name"] == "Bobby"
    dave = {"username": "dave", "email": "dave@example.com", "password": "Dave-pass-1"}
    assert shop.call("POST", "/api/v1/register", json=dave).status_code == 201

    r = shop.call("GET", "/api/v1/setup")  # anonymous, parameterless
    assert r.status_code == 200
    assert r.json() == {"status": "success", "message": "Database re-created with demo data"}

    assert shop.call("GET", new_address, alice).status_code == 404
    assert [a["id"] for a in shop.call("GET", "/api/v1/addresses", alice).json()["data"]] == [1, 4]
    assert shop.call("GET", "/api/v1/profile", bob).json()["data"]["display_name"] == "Bob Builder"
    assert shop.token_response("dave", "Dave-pass-1").status_code == 400


def test_logout_revokes_the_bearer_token(shop):
    first, second = shop.token("alice"), shop.token("alice")
    assert shop.call("GET", "/api/v1/profile", first).status_code == 200
    r = shop.call("POST", "/api/v1/logout", first)
    assert r.status_code == 200 and r.json() == {"status": "success", "message": "Logged out"}
    for path in ("/api/v1/profile", "/api/v1/orders", "/api/v1/loyalty"):
        r = shop.call("GET", path, first)
        assert r.status_code == 401, path
        assert r.json() == {"status": "fail", "message": "Token has been revoked"}
    assert shop.call("GET", "/api/v1/profile", second).status_code == 200  # only the presented token
    assert shop.call("POST", "/api/v1/logout").status_code == 401


def test_errors_are_answered_200_with_status_fail(shop):
    cases = [
        ("POST", "/api/v1/login", None, {"username": "alice", "password": "nope-nope"}),
        ("POST", "/api/v1/register", None, {"username": "eve", "email": "not-an-email", "password": "Eve-pass-12"}),
        ("POST", "/api/v1/register", None, {"username": "bob", "email": "b2@example.com", "password": "Bob-pass-12"}),
        ("PATCH", "/api/v1/profile", shop.token("alice"), {"email": "not-an-email"}),
        ("PATCH", "/api/v1/profile", shop.token("carol"), {"username": "bob"}),
        ("PUT", "/api/v1/users/carol/password", shop.token("carol"), {"new_password": "short"}),
    ]
    for method, path, token, body in cases:
        r = shop.call(method, path, token, json=body)
        assert r.status_code == 200, (path, r.text)
        assert r.json()["status"] == "fail" and r.json()["message"], (path, r.json())
    assert shop.call("PATCH", "/api/v1/profile", shop.token("carol"), json={"username": "bob"}).json()[
        "message"] == "Username already taken"
    assert shop.call("GET", "/api/v1/profile", shop.token("alice")).json()["data"]["email"] == "alice@example.com"
    assert shop.token("carol")  # the too-short password was not stored
    r = shop.client.post("/web/login", data={"username": "alice", "password": "nope-nope"})
    assert r.status_code == 200 and r.json() == {"status": "fail", "message": "Invalid username or password"}
    # ... but not everywhere: orders validate with 422, unknown objects are 404
    r = shop.call("POST", "/api/v1/orders", shop.token("alice"), json={"items": []})
    assert r.status_code == 422 and r.json()["errors"] == {"items": "must be a non-empty array"}
    r = shop.call("GET", "/api/v1/orders/999999", shop.token("alice"))
    assert r.status_code == 404 and r.json() == {"status": "fail", "message": "Order not found"}


def test_token_endpoint_is_form_encoded_oauth2(shop):
    body = SPEC["paths"]["/api/v1/oauth/token"]["post"]["requestBody"]["content"]
    assert list(body) == ["application/x-www-form-urlencoded"]
    r = shop.token_response("alice", PW["alice"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    reply = r.json()
    assert reply["token_type"] == "bearer" and reply["expires_in"] == 3600
    assert jwt.get_unverified_header(reply["access_token"])["alg"] == "HS256"
    assert jwt.decode(reply["access_token"], options={"verify_signature": False})["sub"] == "alice"
    assert shop.call("GET", "/api/v1/profile", reply["access_token"]).json()["data"]["username"] == "alice"

    r = shop.client.post("/api/v1/oauth/token",
                         json={"grant_type": "password", "username": "alice", "password": PW["alice"]})
    assert r.status_code == 415 and r.json()["error"] == "invalid_request" and "access_token" not in r.json()
    r = shop.client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials", "username": "alice",
                                                       "password": PW["alice"]})
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    wrong, unknown = shop.token_response("alice", "wrong-pass"), shop.token_response("nosuchuser", "wrong-pass")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json() == {"error": "invalid_grant",
                                              "error_description": "Invalid username or password"}


def test_rename_breaks_tokens_bound_to_the_old_username(shop):
    old = shop.token("alice")
    r = shop.call("PATCH", "/api/v1/profile", old, json={"username": "alicia"})
    assert r.status_code == 200 and r.json()["data"]["username"] == "alicia" and r.json()["data"]["id"] == 1
    r = shop.call("GET", "/api/v1/profile", old)
    assert r.status_code == 401 and r.json() == {"status": "fail", "message": "User not found"}
    assert shop.token_response("alice", PW["alice"]).status_code == 400
    new = shop.token("alicia", PW["alice"])
    assert shop.call("GET", "/api/v1/profile", new).json()["data"]["username"] == "alicia"
    assert [o["id"] for o in shop.call("GET", "/api/v1/orders", new).json()["data"]] == [1001, 1002]


def test_web_part_uses_cookie_session_and_csrf(shop):
    r = shop.client.post("/web/login", json={"username": "alice", "password": PW["alice"]})
    assert r.status_code == 415
    sid = shop.web_login("alice")
    assert shop.web("GET", "/web/account", sid).json()["data"]["username"] == "alice"
    assert shop.web("GET", "/web/account", None).status_code == 401
    assert shop.call("GET", "/api/v1/profile", headers={"Cookie": f"shop_session={sid}"}).status_code == 401
    token = shop.csrf(sid)

    r = shop.web("POST", "/web/account", sid, data={"display_name": "Mallory was here"})
    assert r.status_code == 403 and r.json() == {"status": "fail", "message": "CSRF token missing"}
    r = shop.web("POST", "/web/account", sid, data={"display_name": "Mallory"}, headers={"X-CSRF-Token": "x" * 43})
    assert r.status_code == 403 and r.json() == {"status": "fail", "message": "CSRF token invalid"}
    bob_token = shop.csrf(shop.web_login("bob"))
    r = shop.web("POST", "/web/account", sid, data={"display_name": "Mallory"}, headers={"X-CSRF-Token": bob_token})
    assert r.status_code == 403
    assert shop.web("GET", "/web/account", sid).json()["data"]["display_name"] == "Alice Liddell"

    r = shop.web("POST", "/web/account", sid, data={"display_name": "Alice L."}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["data"]["display_name"] == "Alice L."
    r = shop.web("POST", "/web/account", sid, data={"display_name": "Alice M.", "_csrf": token})
    assert r.status_code == 200 and r.json()["data"]["display_name"] == "Alice M."
    r = shop.web("POST", "/web/logout", sid)
    assert r.status_code == 403 and r.json()["message"] == "CSRF token missing"
    assert shop.web("GET", "/web/account", sid).status_code == 200


def test_objects_come_in_data_envelopes_and_creations_have_location(shop):
    alice = shop.token("alice")
    r = shop.call("GET", "/api/v1/orders", alice)
    assert r.status_code == 200
    assert [o["id"] for o in r.json()["data"]] == [1001, 1002]
    assert r.json()["meta"] == {"total": 2, "page": 1, "per_page": 20}
    r = shop.call("GET", "/api/v1/orders/1001", alice)
    assert set(r.json()) == {"data"} and r.json()["data"]["id"] == 1001 and r.json()["data"]["customer"] == "alice"
    r = shop.call("GET", "/api/v1/products")
    assert [p["sku"] for p in r.json()["data"]] == LISTED_SKUS and r.json()["meta"]["total"] == 5

    creations = [
        ("/api/v1/addresses", {"line1": "9 Mad Hatter Mews", "city": "Oxford", "postcode": "OX3 9DU",
                               "country": "GB"}, "/api/v1/addresses/"),
        ("/api/v1/orders", {"items": [{"product_id": 3, "quantity": 2}], "address_id": 1}, "/api/v1/orders/"),
        ("/api/v1/products/2/reviews", {"rating": 4, "body": "Good fit."}, "/api/v1/reviews/"),
    ]
    for path, body, prefix in creations:
        r = shop.call("POST", path, alice, json=body)
        assert r.status_code == 201, (path, r.text)
        created = r.json()["data"]
        assert set(r.json()) == {"data"} and isinstance(created["id"], int)
        assert r.headers["Location"] == f"{prefix}{created['id']}"
        again = shop.call("GET", r.headers["Location"], alice)
        assert again.status_code == 200 and again.json()["data"] == created
    assert shop.call("GET", "/api/v1/orders", alice).json()["data"][-1]["total"] == 30.0
    r = shop.call("POST", "/api/v1/register",
                  json={"username": "dave", "email": "dave@example.com", "password": "Dave-pass-1"})
    assert r.status_code == 201 and r.headers["Location"] == "/api/v1/users/dave"
    assert r.json()["data"]["username"] == "dave" and r.json()["data"]["role"] == "customer"


def test_spec_security_omissions_versus_real_401s(shop):
    assert "security" not in SPEC
    assert SPEC["servers"] and all(s["url"].startswith("/") for s in SPEC["servers"])
    assert set(SPEC["components"]["securitySchemes"]) == {"bearerAuth", "cookieAuth"}
    assert SPEC["components"]["securitySchemes"]["bearerAuth"]["bearerFormat"] == "JWT"
    checked = 0
    for op in GT.UNDECLARED_AUTH_OPERATIONS + GT.DECLARED_AUTH_OPERATIONS:
        declared = spec_operation(op).get("security")
        if op in GT.UNDECLARED_AUTH_OPERATIONS:
            assert declared is None, op
        else:
            assert declared in ([{"bearerAuth": []}], [{"cookieAuth": []}]), op
        method, path = op.split(" ", 1)
        kwargs = {"data": {"x": "1"}} if path.startswith("/web") else {"json": {}}
        r = shop.call(method, concrete(path), **({} if method == "GET" else kwargs))
        assert r.status_code == 401, (op, r.status_code, r.text)
        assert r.json()["status"] == "fail"
        checked += 1
    assert checked == 21
    # media types of request bodies
    form = "application/x-www-form-urlencoded"
    assert list(spec_operation("POST /web/login")["requestBody"]["content"]) == [form]
    assert list(spec_operation("POST /web/account")["requestBody"]["content"]) == [form]
    assert list(spec_operation("POST /api/v1/register")["requestBody"]["content"]) == ["application/json"]
    # the spec is served
    r = shop.client.get("/openapi.yaml")
    assert r.status_code == 200 and yaml.safe_load(r.text) == SPEC
    assert shop.client.get("/api/openapi.json").json() == SPEC


# --------------------------------------------------------------------------------------------------
# planted flaws (vulnerable) / closed (fixed twin)
# --------------------------------------------------------------------------------------------------
def test_bola_order_read(shop):
    bob = shop.token("bob")
    r = shop.call("GET", "/api/v1/orders/1001", bob)
    if shop.vulnerable:
        assert r.status_code == 200
        assert r.json()["data"]["id"] == 1001 and r.json()["data"]["customer"] == "alice"
    else:
        assert r.status_code == 404 and r.json() == {"status": "fail", "message": "Order not found"}
    assert shop.call("GET", "/api/v1/orders/1003", bob).json()["data"]["customer"] == "bob"
    # decoy: staff may read every order
    assert shop.call("GET", "/api/v1/orders/1001", shop.token("admin")).status_code == 200
    assert shop.call("GET", "/api/v1/orders/1001").status_code == 401


def test_bola_address_write(shop):
    alice, bob = shop.token("alice"), shop.token("bob")
    r = shop.call("PATCH", "/api/v1/addresses/1", bob, json={"city": "Hacked"})
    seen_by_alice = shop.call("GET", "/api/v1/addresses/1", alice)
    assert seen_by_alice.status_code == 200
    if shop.vulnerable:
        assert r.status_code == 200 and r.json()["data"]["city"] == "Hacked"
        assert seen_by_alice.json()["data"]["city"] == "Hacked"
    else:
        assert r.status_code == 404 and r.json()["message"] == "Address not found"
        assert seen_by_alice.json()["data"]["city"] == "Oxford"
    # decoys: the read and the delete are protected in both variants
    assert shop.call("GET", "/api/v1/addresses/1", bob).status_code == 404
    assert shop.call("DELETE", "/api/v1/addresses/1", bob).status_code == 404
    assert shop.call("GET", "/api/v1/addresses/1", alice).status_code == 200
    # owners can still edit their own
    r = shop.call("PATCH", "/api/v1/addresses/2", bob, json={"label": "Flat"})
    assert r.status_code == 200 and r.json()["data"]["label"] == "Flat"


def test_foreign_password_change(shop):
    r = shop.call("PUT", "/api/v1/users/alice/password", shop.token("bob"), json={"new_password": "Pwned-by-bob-1"})
    with_new, with_old = shop.token_response("alice", "Pwned-by-bob-1"), shop.token_response("alice", PW["alice"])
    if shop.vulnerable:
        assert r.status_code == 200 and r.json() == {"status": "success", "message": "Password updated"}
        assert with_new.status_code == 200 and with_old.status_code == 400
    else:
        assert r.status_code == 403 and r.json()["message"] == "You can only change your own password"
        assert with_new.status_code == 400 and with_old.status_code == 200
        # changing one's own password works in the fixed twin
        r = shop.call("PUT", "/api/v1/users/alice/password", shop.token("alice"), json={"new_password": "Alice-new-2"})
        assert r.status_code == 200 and shop.token_response("alice", "Alice-new-2").status_code == 200
    assert shop.call("PUT", "/api/v1/users/nosuchuser/password", shop.token("bob"),
                     json={"new_password": "Whatever-123"}).status_code == 404


def test_decoy_email_change_checks_ownership(shop):
    r = shop.call("PUT", "/api/v1/users/alice/email", shop.token("bob"), json={"email": "bob-owns@example.com"})
    assert r.status_code == 403 and r.json()["message"] == "You can only change your own e-mail address"
    alice = shop.token("alice")
    assert shop.call("GET", "/api/v1/profile", alice).json()["data"]["email"] == "alice@example.com"
    r = shop.call("PUT", "/api/v1/users/alice/email", alice, json={"email": "alice@wonder.example"})
    assert r.status_code == 200 and r.json()["data"]["email"] == "alice@wonder.example"


def test_jwt_signature_not_verified(shop):
    now = int(time.time())
    unsigned = jwt.encode({"sub": "alice", "iss": "shop-api", "exp": now + 600}, None, algorithm="none")
    assert unsigned.endswith(".") and jwt.get_unverified_header(unsigned)["alg"] == "none"
    wrong_key = jwt.encode({"sub": "alice", "iss": "shop-api", "iat": now, "exp": now + 600, "jti": "forged"},
                           "this-is-not-the-server-key-0123456789", algorithm="HS256")
    for forged in (unsigned, wrong_key):
        r = shop.call("GET", "/api/v1/loyalty", forged)
        if shop.vulnerable:
            assert r.status_code == 200
            assert r.json()["data"] == {"username": "alice", "points": 1200, "tier": "gold",
                                        "card_number": "LC-4000-1111-0001"}
        else:
            assert r.status_code == 401 and r.json()["message"] == "Invalid or expired token"
        # every other operation verifies the signature
        assert shop.call("GET", "/api/v1/profile", forged).status_code == 401
    assert shop.call("GET", "/api/v1/loyalty", shop.token("bob")).json()["data"]["card_number"] == "LC-4000-2222-0002"
    assert shop.call("GET", "/api/v1/loyalty", "garbage").status_code == 401


def test_web_session_not_revoked_at_logout(shop):
    sid = shop.web_login("alice")
    token = shop.csrf(sid)
    r = shop.web("POST", "/web/logout", sid, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json() == {"status": "success", "message": "Signed out"}
    cleared = r.headers["set-cookie"]
    assert cleared.startswith("shop_session=;") and ("Max-Age=0" in cleared or "1970" in cleared)
    replay = shop.web("GET", "/web/account", sid)
    if shop.vulnerable:
        assert replay.status_code == 200 and replay.json()["data"]["username"] == "alice"
    else:
        assert replay.status_code == 401 and replay.json() == {"status": "fail", "message": "Not logged in"}


@pytest.mark.parametrize("extra", [{"role": "admin"}, {"is_admin": True}])
def test_mass_assignment_at_sign_up(shop, extra):
    r = shop.call("POST", "/api/v1/register", json={"username": "mallory", "email": "mallory@example.com",
                                                    "password": "Mallory-123", **extra})
    assert r.status_code == 201
    mallory = shop.token("mallory", "Mallory-123")
    profile = shop.call("GET", "/api/v1/profile", mallory).json()["data"]
    admin_list = shop.call("GET", "/api/v1/admin/users", mallory)
    if shop.vulnerable:
        assert r.json()["data"]["role"] == profile["role"] == "admin"
        assert admin_list.status_code == 200
        assert {u["username"] for u in admin_list.json()["data"]} >= {"alice", "bob", "carol", "admin", "mallory"}
    else:
        assert r.json()["data"]["role"] == profile["role"] == "customer"
        assert admin_list.status_code == 403 and admin_list.json()["message"] == "Admin privileges required"
    assert shop.call("GET", "/api/v1/admin/users", shop.token("bob")).status_code == 403
    assert shop.call("GET", "/api/v1/admin/users", shop.token("admin")).status_code == 200


def test_mass_assignment_on_profile_update(shop):
    alice = shop.token("alice")
    r = shop.call("PATCH", "/api/v1/profile", alice,
                  json={"display_name": "Alice L.", "credit": 99999, "role": "admin"})
    assert r.status_code == 200 and r.json()["data"]["display_name"] == "Alice L."
    profile = shop.call("GET", "/api/v1/profile", alice).json()["data"]
    if shop.vulnerable:
        assert profile["credit"] == 99999.0 and profile["role"] == "admin"
    else:
        assert profile["credit"] == 25.0 and profile["role"] == "customer"


def test_review_author_exposure(shop):
    reviews = shop.call("GET", "/api/v1/products/1/reviews")  # anonymous
    assert reviews.status_code == 200 and len(reviews.json()["data"]) == 2
    single = shop.call("GET", "/api/v1/reviews/1")
    assert single.status_code == 200
    for author in (reviews.json()["data"][0]["author"], single.json()["data"]["author"]):
        assert author["username"] == "bob"
        if shop.vulnerable:
            assert author["password_hash"].startswith("pbkdf2:sha256:") and len(author["password_hash"]) > 40
            assert author["email"] == "bob@example.com"
        else:
            assert set(author) == {"username", "display_name", "member_since"}
    # decoy: one's own profile shows own e-mail but never a hash
    own = shop.call("GET", "/api/v1/profile", shop.token("alice")).json()["data"]
    assert own["email"] == "alice@example.com" and "password_hash" not in own


def test_login_user_enumeration(shop):
    unknown = shop.call("POST", "/api/v1/login", json={"username": "nosuchuser", "password": "Whatever-123"})
    wrong = shop.call("POST", "/api/v1/login", json={"username": "alice", "password": "Whatever-123"})
    assert unknown.status_code == wrong.status_code == 200
    assert unknown.json()["status"] == wrong.json()["status"] == "fail"
    if shop.vulnerable:
        assert unknown.json()["message"] == "No account found for that username"
        assert wrong.json()["message"] == "Incorrect password"
    else:
        assert unknown.json() == wrong.json() == {"status": "fail", "message": "Invalid username or password"}
    ok = shop.call("POST", "/api/v1/login", json={"username": "alice", "password": PW["alice"]})
    assert ok.status_code == 200 and ok.json()["status"] == "success"
    assert shop.call("GET", "/api/v1/profile", ok.json()["auth_token"]).status_code == 200


def test_sqli_in_product_search(shop):
    def skus(q: str) -> list[str]:
        r = shop.call("GET", "/api/v1/products/search", params={"q": q})
        assert r.status_code == 200, (q, r.text)
        return [p["sku"] for p in r.json()["data"]]

    assert skus("mug") == ["MUG-001"]
    assert skus("zzz") == []
    assert skus("' AND '1'='2") == []
    broken = shop.call("GET", "/api/v1/products/search", params={"q": "'"})
    if shop.vulnerable:
        assert skus("' OR '1'='1") == LISTED_SKUS
        assert set(skus("x' OR 1=1 --")) == set(LISTED_SKUS) | {"GIFT-STAFF-100", "PROTO-X"}
        assert broken.status_code == 500
        assert broken.json()["status"] == "error" and broken.json()["message"].startswith("Database error:")
        assert "unrecognized token" in broken.json()["message"] or "syntax error" in broken.json()["message"]
    else:
        assert skus("' OR '1'='1") == [] and skus("x' OR 1=1 --") == []
        assert broken.status_code == 200 and broken.json()["data"] == []
        assert skus("50%") == []  # LIKE wildcards are escaped too


def test_no_rate_limit_on_login(shop):
    statuses = [shop.call("POST", "/api/v1/login", json={"username": "alice", "password": f"guess-{i:03d}"}).status_code
                for i in range(12)]
    right = shop.call("POST", "/api/v1/login", json={"username": "alice", "password": PW["alice"]})
    if shop.vulnerable:
        assert statuses == [200] * 12
        assert right.status_code == 200 and right.json()["status"] == "success"
        assert shop.token_response("alice", PW["alice"]).status_code == 200
    else:
        assert statuses == [200] * 10 + [429] * 2
        assert right.status_code == 429 and right.headers["Retry-After"] == "60"
        assert right.json() == {"status": "fail", "message": "Too many login attempts, try again later"}
        blocked = shop.token_response("alice", PW["alice"])
        assert blocked.status_code == 429 and blocked.json()["error"] == "too_many_requests"
        web = shop.client.post("/web/login", data={"username": "alice", "password": PW["alice"]})
        assert web.status_code == 429


def test_rate_limit_is_also_per_client(shop):
    statuses = [shop.token_response(f"ghost{i}", "Guess-1234").status_code for i in range(11)]
    bob = shop.token_response("bob", PW["bob"])
    if shop.vulnerable:
        assert statuses == [400] * 11 and bob.status_code == 200
    else:
        assert statuses == [400] * 10 + [429] and bob.status_code == 429


def test_bfla_product_update(shop):
    r = shop.call("PATCH", "/api/v1/products/1", shop.token("bob"), json={"price": 0.01})
    price = shop.call("GET", "/api/v1/products/1").json()["data"]["price"]
    if shop.vulnerable:
        assert r.status_code == 200 and r.json()["data"]["price"] == 0.01 and price == 0.01
    else:
        assert r.status_code == 403 and r.json()["message"] == "Admin privileges required" and price == 12.5
    r = shop.call("PATCH", "/api/v1/products/2", shop.token("admin"), json={"price": 21.0})
    assert r.status_code == 200 and r.json()["data"]["price"] == 21.0
    assert shop.call("PATCH", "/api/v1/products/1", json={"price": 1}).status_code == 401
    assert "Admin only" in spec_operation("PATCH /api/v1/products/{product_id}")["summary"]


# --------------------------------------------------------------------------------------------------
# decoys (identical in both variants)
# --------------------------------------------------------------------------------------------------
def test_decoy_public_catalogue_and_public_profiles(shop):
    r = shop.call("GET", "/api/v1/products/1")
    assert r.status_code == 200 and r.json()["data"]["sku"] == "MUG-001"
    assert shop.call("GET", "/api/v1/products/7").status_code == 404  # unlisted stays hidden
    r = shop.call("GET", "/api/v1/users/alice", shop.token("bob"))
    assert r.status_code == 200
    assert r.json()["data"] == {"username": "alice", "display_name": "Alice Liddell", "member_since": "2023-11-02"}
    sid = shop.web_login("carol")
    account = shop.web("GET", "/web/account", sid).json()["data"]
    assert account["username"] == "carol" and "password_hash" not in account


def test_decoy_store_search_crashes_but_is_not_injectable(shop):
    def stores(q: str) -> list[str]:
        r = shop.call("GET", "/api/v1/stores", params={"q": q})
        assert r.status_code == 200, (q, r.text)
        return [s["name"] for s in r.json()["data"]]

    assert stores("London") == ["Shop Central"]
    assert stores('"shop north"') == ["Shop North"]
    assert stores("") == ["Shop Central", "Shop North", "Shop West"]
    r = shop.call("GET", "/api/v1/stores", params={"q": "'"})
    assert r.status_code == 500
    assert r.json() == {"status": "error", "message": "Internal server error"}
    assert stores("' OR '1'='1") == [] and stores("' AND '1'='2") == []
    # an unbalanced quote crashes the same generic way whatever surrounds it
    assert shop.call("GET", "/api/v1/stores", params={"q": "x' OR 1=1 --"}).status_code == 500


def test_decoy_password_reset_and_web_login_do_not_enumerate(shop):
    known = shop.call("POST", "/api/v1/password-reset", json={"username": "alice"})
    unknown = shop.call("POST", "/api/v1/password-reset", json={"username": "nosuchuser"})
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json() == {"status": "success",
                                              "message": "If the account exists, a reset link has been sent"}
    wrong = shop.client.post("/web/login", data={"username": "alice", "password": "Whatever-123"})
    ghost = shop.client.post("/web/login", data={"username": "nosuchuser", "password": "Whatever-123"})
    assert wrong.status_code == ghost.status_code == 200 and wrong.json() == ghost.json()


def test_no_rate_limit_on_password_reset(shop):
    statuses = [shop.call("POST", "/api/v1/password-reset", json={"username": "alice"}).status_code
                for _ in range(11)]
    if shop.vulnerable:
        assert statuses == [200] * 11
    else:
        assert statuses == [200] * 10 + [429]
