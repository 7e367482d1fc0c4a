"""Failure modes of a run: rejected or duplicate credentials, no servers, unreachable, hanging and redirecting
servers, an exhausted budget and credentials that stop working mid-run."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi import FastAPI, HTTPException, Security
from fastapi.responses import RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from secscan.errors import EXIT_USAGE, TargetUnreachable, UsageError
from secscan_probes.engine import run_api_scan
from tests.probes.probe_support import SPEC, api_settings, free_port, serve

pytestmark = pytest.mark.slow  # real tools, real servers (see the slow marker in pyproject.toml)


def settings(tokens, base_url, **extra) -> object:
    return api_settings(openapi=str(SPEC), tokens=tokens, base_url=base_url, quiet=True, **extra)


def test_rejected_credentials_stop_the_run_with_one_line(vulnerable, tmp_path):
    path = vulnerable.tenants_yaml(tmp_path, users=("alice", "bob"),
                                   bob={"headers": {"Authorization": "Bearer not-a-valid-token"}})
    with pytest.raises(UsageError) as caught:
        run_api_scan(settings(path, vulnerable.base_url))
    assert str(caught.value) == ("tenant bob: credentials rejected by GET /users/me (401), GET /books (401), "
                                 "GET /search (401)")


def test_two_tenants_with_one_identity_are_refused(vulnerable, tmp_path):
    """Identical credentials are refused when the file is read (before any request); two different tokens of one
    account are refused by the preflight, which compares the identity endpoint's answers."""
    same = {"headers": {"Authorization": f"Bearer {vulnerable.token('alice')}"}}
    path = vulnerable.tenants_yaml(tmp_path, users=("alice", "bob"), bob=same)
    with pytest.raises(UsageError, match=r"tenants alice and bob have identical credentials: they are one identity$"):
        run_api_scan(settings(path, vulnerable.base_url))
    other_token = {"headers": {"Authorization": f"Bearer {vulnerable.token('alice')}"}, "query": {"x": "1"}}
    path = vulnerable.tenants_yaml(tmp_path, users=("alice", "bob"), bob=other_token)
    with pytest.raises(UsageError, match=r"^tenants alice and bob are the same identity \(identical GET /users/me\)$"):
        run_api_scan(settings(path, vulnerable.base_url))


def test_spec_without_servers_needs_base_url(vulnerable, tmp_path):
    spec = json.loads(SPEC.read_text())
    del spec["servers"]
    copy = tmp_path / "openapi.json"
    copy.write_text(json.dumps(spec, indent=2))
    options = {"openapi": str(copy), "tokens": vulnerable.tenants_yaml(tmp_path), "quiet": True}
    with pytest.raises(UsageError, match="spec has no servers; pass --base-url"):
        run_api_scan(api_settings(**options))
    assert run_api_scan(api_settings(**options, base_url=vulnerable.base_url, probes=("excessive-data",))).findings


def test_unreachable_server(vulnerable, tmp_path):
    with pytest.raises(TargetUnreachable) as caught:
        run_api_scan(settings(vulnerable.tenants_yaml(tmp_path), f"http://127.0.0.1:{free_port()}"))
    assert caught.value.exit_code == EXIT_USAGE
    assert re.match(r"^http://127\.0\.0\.1:\d+ is unreachable: GET /users/me: ConnectError", str(caught.value))


@contextmanager
def hanging_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        listener.close()


def test_hanging_server_honours_the_timeout(vulnerable, tmp_path):
    with hanging_server() as url:
        started = time.monotonic()
        with pytest.raises(TargetUnreachable, match=r"GET /users/me: no complete response within 0\.5 s"):
            run_api_scan(settings(vulnerable.tenants_yaml(tmp_path), url, timeout=0.5))
        assert time.monotonic() - started < 5


def redirecting_app() -> FastAPI:
    app = FastAPI(servers=[{"url": "http://127.0.0.1:9"}])
    bearer = HTTPBearer()
    users = {"t-alice-123": 1, "t-bob-456": 2}

    def who(creds: HTTPAuthorizationCredentials) -> int:
        if creds.credentials not in users:
            raise HTTPException(401)
        return users[creds.credentials]

    @app.get("/users/me")
    def me(creds: HTTPAuthorizationCredentials = Security(bearer)) -> dict:
        return {"id": who(creds)}

    @app.get("/things")
    def things(creds: HTTPAuthorizationCredentials = Security(bearer)) -> RedirectResponse:
        who(creds)
        return RedirectResponse("http://example.invalid/steal", status_code=302)

    return app


def test_off_host_redirect_is_not_followed_and_logged(tmp_path):
    app = redirecting_app()
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(app.openapi(), indent=2))
    tokens = tmp_path / "tenants.yaml"
    tokens.write_text("tenants:\n  alice: {headers: {Authorization: Bearer t-alice-123}}\n"
                      "  bob: {headers: {Authorization: Bearer t-bob-456}}\n")
    with serve(app) as url:
        run = run_api_scan(api_settings(openapi=str(spec), tokens=tokens, base_url=url, quiet=True,
                                           probes=("bola", "excessive-data")))
    messages = [n.message for n in run.notifications if n.level == "warning"]
    assert any(m == f"GET {url}/things redirected to http://example.invalid/steal: out of scope, not followed"
               for m in messages), messages
    assert run.findings == ()


def test_budget_too_small_for_preflight(vulnerable, tmp_path):
    with pytest.raises(UsageError, match="--max-requests 2 is too small"):
        run_api_scan(settings(vulnerable.tenants_yaml(tmp_path), vulnerable.base_url, max_requests=2))


def test_exhausted_budget_ends_the_run_cleanly_and_cannot_pass(vulnerable, tmp_path):
    """The probes stop at the budget; the run is FAILED (not a PASS), and the cleanup still deletes what secscan
    created: its DELETEs go beyond the budget."""
    run = run_api_scan(settings(vulnerable.tenants_yaml(tmp_path, users=("alice", "bob")), vulnerable.base_url,
                                max_requests=12, probes=("bola",)))
    assert run.status.value == "failed"
    messages = [n.message for n in run.notifications]
    assert any("request budget of 12 exhausted" in m for m in messages)
    assert any("the request budget of 12 ran out: bola did not run completely" in m for m in messages), messages
    created = run.properties["createdObjects"]
    assert created and all(o["deleted"] for o in created), created
    assert run.notifications[-1].message.startswith(
        f"{12 + len(created)} requests ({len(created)} of them deleting what secscan created), ")
    assert f"{len(created)} created by secscan ({len(created)} deleted)" in run.notifications[-1].message


class RevokeAfterFirstRead:
    """ASGI wrapper: bob's token stops working after his first successful GET /books/{id}."""

    def __init__(self, app, token: str) -> None:
        self.app, self.token, self.seen = app, token.encode(), False

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and (b"authorization", b"Bearer " + self.token) in scope["headers"]:
            if self.seen:
                await send({"type": "http.response.start", "status": 401, "headers": []})
                await send({"type": "http.response.body", "body": b""})
                return
            self.seen = re.fullmatch(r"/books/\d+", scope["path"]) is not None
        await self.app(scope, receive, send)


def test_credentials_that_stop_working_are_reported_loudly(vulnerable, tmp_path):
    from secscan_demo.tenant_api.app import reset_state

    path = vulnerable.tenants_yaml(tmp_path, users=("alice", "bob"))
    reset_state(vulnerable.app)
    with serve(RevokeAfterFirstRead(vulnerable.app, vulnerable.token("bob"))) as url:
        run = run_api_scan(settings(path, url, probes=("bola",)))
    warnings = [n.message for n in run.notifications if n.level == "warning"]
    assert any(m.startswith("credentials of tenant bob stopped working mid-run (GET /books/{book_id} answered 401")
               for m in warnings), warnings
    errors = [n.message for n in run.notifications if n.level == "error"]
    assert run.status.value == "failed" and any(
        m.startswith("bob's session stopped working during ") and m.endswith("; bob was not used any further")
        and "no write by secscan preceded it" in m for m in errors), errors
    assert all(f.properties["evidence"][1]["status"] == 200 for f in run.findings)  # only real 2xx evidence
