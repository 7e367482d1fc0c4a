"""Injection probe: exact findings on the tenant API, none on the fixed twin, decoys quiet, two signals per finding."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pytest
import yaml
from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from secscan.models import ToolRun
from secscan_demo.tenant_api.app import create_app
from secscan_demo.tenant_api.flaws import DECOY_OPERATIONS, FLAW_OPERATIONS
from secscan_probes.engine import run_api_scan
from secscan_probes.probes.injection.payloads import sql_error
from secscan_probes.probes.injection.targets import body_fields, with_value
from tests.probes.probe_support import Served, api_settings, serve

pytestmark = pytest.mark.slow  # real tools, real servers (see the slow marker in pyproject.toml)

RULE_OF_FLAW = {"sqli": "sql-injection", "nosqli": "nosql-injection", "cmdi": "command-injection",
                "ssti": "template-injection", "path_traversal": "path-traversal"}
EXPECTED = {(rule, op) for flaw, rule in RULE_OF_FLAW.items() for op in FLAW_OPERATIONS[flaw]}
PARAMETER = {"GET /search": "q", "POST /auth/login": "username,password", "POST /tools/ping": "host",
             "POST /render": "name", "GET /export": "file"}
CWE = {"sql-injection": 89, "nosql-injection": 943, "command-injection": 78, "template-injection": 1336,
       "path-traversal": 22}
REQUEST_BUDGET = 400
Bearer = Annotated[HTTPAuthorizationCredentials, Depends(HTTPBearer())]


@pytest.fixture(scope="module")
def vuln_run(vulnerable: Served, tmp_path_factory: pytest.TempPathFactory) -> ToolRun:
    return vulnerable.scan(vulnerable.tenants_yaml(tmp_path_factory.mktemp("inj-vuln")), probes=("injection",))


@pytest.fixture(scope="module")
def fixed_run(fixed: Served, tmp_path_factory: pytest.TempPathFactory) -> ToolRun:
    return fixed.scan(fixed.tenants_yaml(tmp_path_factory.mktemp("inj-fixed")), probes=("injection",))


def notes(run: ToolRun) -> list[str]:
    return [n.message for n in run.notifications]


def test_expected_set_covers_every_injection_flaw():
    assert {op for _, op in EXPECTED} == set(PARAMETER)


def test_exact_findings_on_vulnerable_app(vuln_run, ops_of):
    assert vuln_run.status.value == "ok"
    assert ops_of(vuln_run) == EXPECTED


def test_fixed_twin_has_no_finding(fixed_run):
    assert fixed_run.status.value == "ok"
    assert [f.logical_location for f in fixed_run.findings] == []


def test_every_finding_is_confirmed_by_two_signals_with_baseline_and_control(vuln_run):
    assert len(vuln_run.findings) == len(EXPECTED)
    for f in vuln_run.findings:
        props = f.properties
        names = [step["step"] for step in props["evidence"]]
        assert props["confirmed"] is True and props["owasp"] == "API8:2023", f.message
        assert names[0] == "baseline" and names[-1].startswith("control"), names
        assert sum(name.startswith("signal") for name in names) >= 2, names
        assert props["parameter"] == PARAMETER[f.logical_location]
        assert f.rule.cwe == (CWE[f.rule.id],)


def test_messages_name_the_parameter_and_never_dump_bodies_or_tokens(vuln_run):
    assert len(vuln_run.findings) == len(EXPECTED)
    for f in vuln_run.findings:
        assert PARAMETER[f.logical_location].split(",")[0] in f.message
        shown = f.message + "".join(step["curl"] for step in f.properties["evidence"])
        assert not re.search(r"root:x:0:0|OperationalError|unrecognized token|Bearer ey", shown), f.message
        if f.logical_location in ("GET /search", "POST /tools/ping"):  # authenticated operations
            assert all("$SECSCAN_TOKEN_ALICE" in step["curl"] for step in f.properties["evidence"])


def test_sql_finding_names_both_signals(vuln_run):
    sql = next(f for f in vuln_run.findings if f.rule.id == "sql-injection")
    assert "SQLite error signature" in sql.message and "boolean differential" in sql.message


def test_decoys_are_never_findings_and_the_quote_500_is_only_a_note(vuln_run, fixed_run):
    for run in (vuln_run, fixed_run):
        assert not {f.logical_location for f in run.findings} & set(DECOY_OPERATIONS)
        unhandled = [m for m in notes(run) if "unhandled-input" in m]
        assert len(unhandled) == 1 and "GET /legacy/lookup query parameter code answers 500" in unhandled[0]
        assert not [m for m in notes(run) if "/status/check" in m and " requests to " not in m]  # but the tally


def test_request_budget_on_the_fixture_app(vuln_run):
    count = next(m for m in notes(vuln_run) if m.startswith("injection: ") and " requests to " in m)  # engine tally
    assert int(count.split()[1]) <= REQUEST_BUDGET, count


def test_partial_app_reports_only_its_flaw_even_behind_the_login_limiter(tmp_path, ops_of):
    """Only nosqli on (so the login limiter is active): the operator check runs before the limit is reached."""
    app = create_app({"nosqli"})
    with serve(app) as url:
        served = Served(app, url)
        run = served.scan(served.tenants_yaml(tmp_path), probes=("injection",))
    assert ops_of(run) == {("nosql-injection", "POST /auth/login")}
    assert any("POST /auth/login was throttled (429)" in m for m in notes(run))


@pytest.mark.parametrize(("text", "database"), [
    ('sqlite3.OperationalError: near "%": syntax error', "SQLite"),
    ("psycopg2.errors.SyntaxError: unterminated quoted string at or near \"'\"", "PostgreSQL"),
    ("You have an error in your SQL syntax; check the manual", "MySQL"),
    ("Unclosed quotation mark after the character string ''.", "MSSQL"),
    ("ORA-01756: quoted string not properly terminated", "Oracle"),
    ("sh: 1: Syntax error: Unterminated quoted string", None),
    ('{"detail": "internal server error"}', None),
])
def test_sql_error_signatures(text, database):
    assert sql_error(text) == database


def test_nested_body_string_fields_are_inputs_and_set_without_touching_the_example():
    schema = {"type": "object", "properties": {
        "user": {"type": "object", "properties": {"name": {"type": "string"},
                                                 "tags": {"type": "array", "items": {"type": "string"}}}},
        "kind": {"type": "string", "enum": ["a", "b"]}, "count": {"type": "integer"},
        "id": {"type": "string", "readOnly": True}, "note": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}
    assert [i.name for i in body_fields(schema)] == ["user.name", "user.tags[]", "note"]
    example = {"user": {"name": "x"}, "kind": "a"}
    changed = with_value(example, ("user", "tags", 0), "payload")
    assert changed == {"user": {"name": "x", "tags": ["payload"]}, "kind": "a"}
    assert example == {"user": {"name": "x"}, "kind": "a"}


# --- a small PostgreSQL-like app: the time-based signal, and a lone error signature that stays unreported ---------
def pg_like_app() -> FastAPI:
    """/items: PostgreSQL-style error on an unbalanced quote and a real pg_sleep; /other: the error only."""
    api = FastAPI(servers=[{"url": "http://127.0.0.1"}])

    @api.get("/me", response_model=None)
    def me(creds: Bearer) -> object:
        return {"name": "tester"} if creds.credentials == "t0k3n" else JSONResponse({"detail": "no"}, 401)

    def broken(name: str) -> JSONResponse | None:
        if name.count("'") % 2:
            return JSONResponse({"detail": "psycopg2.errors.SyntaxError: unterminated quoted string at or near"}, 500)
        return None

    @api.get("/items", response_model=None)
    async def items(name: str = "") -> object:
        delay = re.search(r"pg_sleep\((\d+)\)", name)
        if delay and not broken(name):
            await asyncio.sleep(int(delay.group(1)))
        return broken(name) or {"items": []}

    @api.get("/other", response_model=None)
    def other(name: str = "") -> object:
        return broken(name) or {"items": []}

    return api


def documented(app: FastAPI) -> dict:
    """The app's spec, with examples restricted to quote-free names (the server itself accepts anything)."""
    spec = app.openapi()
    for path in ("/items", "/other"):
        for param in spec["paths"][path]["get"]["parameters"]:
            param["schema"]["pattern"] = "^[a-z]{1,8}$"
    return spec


@pytest.fixture(scope="module")
def pg_like(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    app = pg_like_app()
    folder = tmp_path_factory.mktemp("pg-like")
    spec, tenants = folder / "openapi.yaml", folder / "tenants.yaml"
    spec.write_text(yaml.safe_dump(documented(app)), encoding="utf-8")
    tenants.write_text(yaml.safe_dump({"tenants": {"tester": {"headers": {"Authorization": "Bearer t0k3n"}}}}))
    with serve(app) as url:
        yield url, spec, tenants


def test_time_delay_is_the_second_signal_and_a_lone_error_is_not_reported(pg_like, ops_of):
    url, spec, tenants = pg_like
    run = run_api_scan(api_settings(openapi=str(spec), tokens=tenants, base_url=url, probes=("injection",),
                                       quiet=True))
    assert ops_of(run) == {("sql-injection", "GET /items")}
    message = run.findings[0].message
    assert "PostgreSQL error signature" in message and "PostgreSQL time delay" in message
    steps = [step["step"] for step in run.findings[0].properties["evidence"]]
    assert "signal: time delay" in steps and "control: 0-second delay" in steps
