"""Rate-limit probe (API4:2023): unthrottled auth flows and unbounded pages on the tenant API, nothing on the twin."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel

from secscan.models import ToolRun
from secscan_demo.tenant_api.app import create_app
from secscan_demo.tenant_api.flaws import FLAW_OPERATIONS
from secscan_demo.tenant_api.store import CAROL_BULK_BOOKS
from secscan_probes.engine.context import ScanOptions
from secscan_probes.engine.spec import Operation
from secscan_probes.probes.rate_limit import is_sensitive
from tests.probes.probe_support import Served, serve

pytestmark = pytest.mark.slow  # real tools, real servers (see the slow marker in pyproject.toml)

EXPECTED = ({("no-rate-limit", op) for op in FLAW_OPERATIONS["no_rate_limit"]}
            | {("unbounded-page-size", op) for op in FLAW_OPERATIONS["unbounded_page"]})
BURST = ScanOptions().burst
BURST_MESSAGE = re.compile(rf"^POST /auth/\S+ accepted a burst without throttling: {BURST} requests in \d+\.\d s "
                           rf"\(\d+\.\d req/s\), statuses \{{(\d{{3}}): {BURST}\}}, no 429, no rate-limit headers, "
                           r"no lockout$")


@pytest.fixture(scope="module")
def vuln_run(vulnerable: Served, tmp_path_factory: pytest.TempPathFactory) -> ToolRun:
    return vulnerable.scan(vulnerable.tenants_yaml(tmp_path_factory.mktemp("rl-vuln")), probes=("rate-limit",))


@pytest.fixture(scope="module")
def fixed_run(fixed: Served, tmp_path_factory: pytest.TempPathFactory) -> ToolRun:
    return fixed.scan(fixed.tenants_yaml(tmp_path_factory.mktemp("rl-fixed")), probes=("rate-limit",))


def notes(run: ToolRun) -> list[str]:
    return [n.message for n in run.notifications]


def test_exact_findings_on_vulnerable_app(vuln_run, ops_of):
    assert vuln_run.status.value == "ok"
    assert ops_of(vuln_run) == EXPECTED


def test_burst_findings_give_measured_numbers_and_are_anonymous(vuln_run):
    bursts = [f for f in vuln_run.findings if f.rule.id == "no-rate-limit"]
    assert len(bursts) == sum(1 for rule, _ in EXPECTED if rule == "no-rate-limit")
    for f in bursts:
        match = BURST_MESSAGE.match(f.message)
        assert match and 200 <= int(match.group(1)) < 500, f.message
        props = f.properties
        assert props["owasp"] == "API4:2023" and props["tenants"] == [] and f.rule.cwe == (307,)
        assert [step["step"] for step in props["evidence"]] == ["first of burst", "last of burst"]
        curl = props["evidence"][0]["curl"]  # an unknown account: never a tenant's, never a real address
        assert "secscan-" in curl and not re.search(r"alice|bob|carol|admin|Authorization", curl), curl
        if "email" in curl:  # the reset flow takes an address: an unknown one at a reserved domain
            assert "@example.invalid" in curl, curl


def test_unbounded_page_names_the_numbers(vuln_run):
    page = next(f for f in vuln_run.findings if f.rule.id == "unbounded-page-size")
    match = re.fullmatch(r"GET /books honoured limit=100000 as carol: (\d+) items in one page "
                         r"\(declared maximum 50; the default page returned 10\)", page.message)
    assert match and int(match.group(1)) >= CAROL_BULK_BOOKS, page.message  # carol owns the most books
    assert page.properties["parameter"] == "limit" and page.rule.cwe == (770,)
    assert [step["status"] for step in page.properties["evidence"]] == [200, 200]


def test_fixed_twin_throttles_every_flow_and_gives_no_finding(fixed_run):
    assert fixed_run.status.value == "ok" and fixed_run.findings == ()
    for op in FLAW_OPERATIONS["no_rate_limit"]:
        assert any(m.startswith(f"rate-limit: {op} is throttled: 429 for ") for m in notes(fixed_run)), op


def test_partial_app_reports_only_its_flaw(tmp_path, ops_of):
    """Only unbounded_page on: the login limiter is active, so no burst finding."""
    app = create_app({"unbounded_page"})
    with serve(app) as url:
        served = Served(app, url)
        run = served.scan(served.tenants_yaml(tmp_path), probes=("rate-limit",))
    assert ops_of(run) == {("unbounded-page-size", "GET /books")}


def test_bursts_stay_inside_the_remaining_budget(vulnerable, tmp_path, ops_of):
    run = vulnerable.scan(vulnerable.tenants_yaml(tmp_path), probes=("rate-limit",), max_requests=130)
    total, cleanup = next((int(m.group(1)), int(m.group(2) or 0)) for n in notes(run) if (m := re.match(
        r"^(\d+) requests(?: \((\d+) of them deleting what secscan created\))?, ", n)))
    assert total - cleanup <= 130 and ops_of(run) <= EXPECTED
    assert not [m for m in notes(run) if "exhausted" in m]
    assert any("not burst: only" in m for m in notes(run))


@pytest.mark.parametrize(("path", "operation_id", "expected"), [
    ("/auth/login", None, True), ("/api/v1/sign-in", None, True), ("/password/forgot", None, True),
    ("/x", "verifyOtp", True), ("/oauth/token", None, True), ("/mfa/challenge", None, True),
    ("/books", "list_books_books_get", False), ("/authors", None, False), ("/users/me", None, False),
])
def test_sensitive_operation_names(path, operation_id, expected):
    op = Operation("POST", path, operation_id, (), None, None, {}, ())
    assert is_sensitive(op) is expected


def test_rate_limit_runs_last_whatever_the_probes_order():
    from secscan_probes.engine import select_probes

    assert [p.name for p in select_probes(("rate-limit", "bola", "auth"))] == ["bola", "auth", "rate-limit"]


class Signup(BaseModel):
    username: str
    password: str


def test_a_sign_up_under_an_auth_prefix_is_never_burst(tmp_path):
    """LNbits' POST /api/v1/auth/register: 'auth' made it look like a login, and a burst that got through would
    have registered 50 accounts. Sign-ups create something: they are not burst at all."""
    import yaml
    from fastapi import Depends, FastAPI, HTTPException
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

    from secscan_probes.engine import run_api_scan
    from tests.probes.probe_support import api_settings

    app, accounts = FastAPI(), {"alice": "a", "bob": "b"}

    def user(creds: HTTPAuthorizationCredentials = Depends(HTTPBearer())) -> str:  # noqa: B008
        if creds.credentials not in accounts:
            raise HTTPException(401)
        return creds.credentials

    @app.post("/api/v1/auth/register")
    def register(body: Signup) -> dict:
        accounts[body.username] = body.password
        return {"username": body.username}

    @app.get("/api/v1/me")
    def me(who: str = Depends(user)) -> dict:  # noqa: B008
        return {"name": who}

    path = tmp_path / "tenants.yaml"
    path.write_text(yaml.safe_dump({"tenants": {u: {"headers": {"Authorization": f"Bearer {u}"}} for u in
                                                ("alice", "bob")}}))
    with serve(app) as url:
        run = run_api_scan(api_settings(openapi=f"{url}/openapi.json", tokens=path, probes=("rate-limit",)))
    assert run.findings == () and set(accounts) == {"alice", "bob"}, sorted(accounts)
