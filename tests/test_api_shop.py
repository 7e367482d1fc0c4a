"""`secscan api` on the second fixture (Flask shop, written without reading the probes): login recipes (a form
token endpoint, a cookie session with CSRF), the exact planted set on the vulnerable app, none on the fixed twin,
every tenant and object as it was afterwards, nothing left behind with --allow-destructive (but the one sign-up
account the sign-up check must create, which the run names), and a coverage table that matches the app."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from secscan.cli import cli
from secscan.errors import EXIT_OK, EXIT_POLICY_FAILED
from secscan_demo import shop_api
from secscan_demo.serve import serve_wsgi
from tests.conftest import validate_sarif

pytestmark = pytest.mark.slow  # real tools, real servers (see the slow marker in pyproject.toml)

PW = shop_api.SEED_PASSWORDS
ENV = {"SHOP_ALICE_PASSWORD": PW["alice"], "SHOP_BOB_PASSWORD": PW["bob"], "SHOP_CAROL_PASSWORD": PW["carol"]}
# alice and bob use the form-encoded OAuth2 token endpoint; carol the cookie session of /web, with its CSRF token.
TENANTS = """\
tenants:
  alice:
    credentials: {username: alice, password: "${SHOP_ALICE_PASSWORD}"}
    login: &oauth
      path: /api/v1/oauth/token
      form: {grant_type: password, username: "{username}", password: "{password}"}
      token: access_token
  bob:
    credentials: {username: bob, password: "${SHOP_BOB_PASSWORD}"}
    login: *oauth
  carol_web:
    credentials: {username: carol, password: "${SHOP_CAROL_PASSWORD}"}
    login:
      path: /web/login
      form: {username: "{username}", password: "{password}"}
      cookie: shop_session
    csrf: {path: /web/csrf, token: csrf_token, header: X-CSRF-Token}
"""
# Ground truth (shop_api/flaws.py) -> the results secscan reports for it.
FLAW_RESULTS = {
    "bola_order_read": {("bola", "GET /api/v1/orders/{order_id}")},
    "bola_address_write": {("bola", "PATCH /api/v1/addresses/{address_id}")},
    "foreign_password_change": {("foreign-credential-change", "PUT /api/v1/users/{username}/password")},
    "jwt_signature_not_verified": {("jwt-alg-none", "GET /api/v1/loyalty"),
                                   ("jwt-signature-not-verified", "GET /api/v1/loyalty")},
    "web_session_not_revoked": {("session-not-revoked", "POST /web/logout")},
    "mass_assignment_register": {("mass-assignment", "POST /api/v1/register")},
    "mass_assignment_profile": {("mass-assignment", "PATCH /api/v1/profile")},
    "review_author_exposure": {("sensitive-data-exposure", "GET /api/v1/products/{product_id}/reviews"),
                               ("sensitive-data-exposure", "GET /api/v1/reviews/{review_id}")},
    "login_user_enumeration": {("auth-user-enumeration", "POST /api/v1/login")},
    "sqli_product_search": {("sql-injection", "GET /api/v1/products/search")},
    "no_login_rate_limit": {("no-rate-limit", "POST /api/v1/login"), ("no-rate-limit", "POST /api/v1/oauth/token"),
                            ("no-rate-limit", "POST /web/login")},
    "no_reset_rate_limit": {("no-rate-limit", "POST /api/v1/password-reset")},
    "bfla_product_update": {("bfla", "PATCH /api/v1/products/{product_id}")},
}
EXPECTED = set().union(*FLAW_RESULTS.values())
UNSAFE = {"GET /api/v1/setup", "POST /api/v1/logout", "POST /web/logout"}


def snapshot(app: Any) -> dict[str, Any]:
    """Everything the tenants own, as stored (password hashes are salted: compared by logging in instead)."""
    state = app.extensions["shop_api"].state
    users = {uid: {k: v for k, v in u.items() if k != "password_hash"} for uid, u in state.users.items()}
    products = [dict(row) for row in state.db.execute("SELECT * FROM products ORDER BY id")]
    return copy.deepcopy({"users": users, "addresses": state.addresses, "orders": state.orders,
                          "loyalty": state.loyalty, "reviews": state.reviews, "products": products})


def own_view(base_url: str) -> dict[str, Any]:
    """What each tenant sees of itself after logging in with its real password, as a user would check."""
    views = {}
    with httpx.Client(base_url=base_url, trust_env=False, timeout=10) as client:
        for user in ("alice", "bob", "carol"):
            token = client.post("/api/v1/oauth/token", data={"grant_type": "password", "username": user,
                                                              "password": PW[user]}).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            views[user] = {path: client.get(path, headers=auth).json()["data"]
                           for path in ("/api/v1/profile", "/api/v1/addresses", "/api/v1/orders")}
    return views


def scan(variant: set[str] | None, tmp: Path) -> dict[str, Any]:
    app = shop_api.create_app(variant)
    (tmp / "tenants.yaml").write_text(TENANTS, encoding="utf-8")
    with serve_wsgi(app) as base_url:
        before, views = snapshot(app), own_view(base_url)
        shop_api.reset_state(app)  # forget the logins above (they count toward the fixed twin's throttle)
        result = CliRunner().invoke(cli, ["api", "--openapi", str(shop_api.SPEC_PATH), "--tokens",
                                          str(tmp / "tenants.yaml"), "--base-url", base_url, "--allow-destructive",
                                          "-o", str(tmp / "api.sarif"), "--format", "json"], env=ENV)
        after = snapshot(app)
        shop_api.reset_state(app)  # the fixed twin's login throttle: the check below logs in three times
        after_views = own_view(base_url) if variant is not None else None
    doc = json.loads((tmp / "api.sarif").read_text(encoding="utf-8"))
    return {"result": result, "doc": doc, "before": before, "after": after, "views": (views, after_views)}


@pytest.fixture(scope="module")
def vulnerable(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return scan(None, tmp_path_factory.mktemp("shop-vulnerable"))


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return scan(set(), tmp_path_factory.mktemp("shop-fixed"))


def results(doc: dict[str, Any]) -> set[tuple[str, str]]:
    (run,) = doc["runs"]
    return {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]) for r in run["results"]}


def test_the_result_table_covers_every_planted_flaw():
    assert set(FLAW_RESULTS) == set(shop_api.FLAWS)
    for flaw, found in FLAW_RESULTS.items():
        assert {op for _, op in found} <= set(shop_api.FLAWS[flaw].operations), flaw


def test_exactly_the_planted_flaws_on_the_vulnerable_app(vulnerable):
    result = vulnerable["result"]
    assert result.exit_code == EXIT_POLICY_FAILED, result.output
    validate_sarif(vulnerable["doc"])
    assert results(vulnerable["doc"]) == EXPECTED


def test_nothing_on_the_fixed_twin(fixed):
    assert fixed["result"].exit_code == EXIT_OK, fixed["result"].output
    assert results(fixed["doc"]) == set()


@pytest.mark.parametrize("which", ["vulnerable", "fixed"])
def test_every_tenant_and_object_is_as_it_was(which, request):
    """Objects written during the run are restored, created ones deleted; only the sign-up check's throwaway
    account stays, and the run names it."""
    run = request.getfixturevalue(which)
    before, after = run["before"], run["after"]
    new_users = {uid: u for uid, u in after["users"].items() if uid not in before["users"]}
    after = {**after, "loyalty": {uid: card for uid, card in after["loyalty"].items() if uid not in new_users}}
    assert {k: v for k, v in after.items() if k != "users"} == {k: v for k, v in before.items() if k != "users"}
    assert {uid: u for uid, u in after["users"].items() if uid in before["users"]} == before["users"]
    assert len(new_users) == 1 and next(iter(new_users.values()))["username"].startswith("secscan")
    notes = [n["message"]["text"] for n in run["doc"]["runs"][0]["invocations"][0]["toolExecutionNotifications"]]
    assert any(next(iter(new_users.values()))["username"] in n for n in notes)
    views, views_after = run["views"]
    if views_after is not None:
        assert views_after == views  # each tenant logs in with its own password and reads the same data


def test_coverage_matches_what_the_app_allows(vulnerable):
    coverage = vulnerable["doc"]["runs"][0]["properties"]["coverage"]
    # 34 documented operations; the 3 unsafe ones are never called, which leaves 31.
    assert coverage["operations"] == 31 and {c["operation"] for c in coverage["notCalled"]} == UNSAFE
    assert set(coverage["neverAnswered2xx"]) == {
        "GET /api/v1/admin/users",  # admin only, and no admin among the tenants
        "PUT /api/v1/users/{username}/email",  # changing another account's e-mail is refused (a decoy)
    }
    # Each would create an order or a review that no operation can delete again: never sent. POST /web/account
    # ("Save account settings") would store every injection payload over carol's display name: never sent either.
    assert coverage["notRequested"] == ["POST /api/v1/orders", "POST /api/v1/products/{product_id}/reviews",
                                        "POST /web/account"]
    assert coverage["exercised"] == 31 - 2 - 3


def test_each_probe_family_says_what_it_tested(vulnerable):
    from secscan_probes.engine.registry import discover

    tested = vulnerable["doc"]["runs"][0]["properties"]["probes"]
    assert set(tested) == set(discover().names())
    assert "GET /api/v1/addresses/{address_id}" in tested["bola"]["operations"]
    assert all(entry["requests"] > 0 for entry in tested.values()), tested
    notes = [n["message"]["text"] for n in vulnerable["doc"]["runs"][0]["invocations"][0]["toolExecutionNotifications"]]
    assert any(n.startswith(f"bola: {tested['bola']['requests']} requests to ") for n in notes)
