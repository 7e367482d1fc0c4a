"""The unsafe-operation classifier and the --include/--exclude selection, on operations as real APIs document them
(Kinto, jupyter_server, LNbits, Django/Flask apps), not on our fixtures' names."""

from __future__ import annotations

import pytest

from secscan_probes.engine.safety import matches, select, unsafe_reason
from secscan_probes.engine.spec import Operation


def op(label: str, operation_id: str | None = None, summary: str = "", description: str = "",
       tags: tuple[str, ...] = (), deprecated: bool = False) -> Operation:
    method, path = label.split(" ", 1)
    return Operation(method=method, path=path, operation_id=operation_id, parameters=(), body_schema=None,
                     body_media_type=None, responses={}, security=(), summary=summary, description=description,
                     tags=tags, deprecated=deprecated)


UNSAFE = [
    (op("GET /setup", summary="Create tables and demo data"), "re-creates a database"),
    (op("GET /api/setup"), "its path ends in 'setup'"),
    (op("GET /api/init", "init_db"), "resets, initialises"),
    (op("POST /admin/tools", "recreateDatabase"), "re-creates a database"),
    (op("POST /api/maintenance", summary="Reset the database to its initial data"), "resets"),
    (op("POST /logout"), "logs out"),
    (op("POST /api/v1/auth/sign-out"), "logs out"),
    (op("POST /oauth/tokens/{token_id}/revoke"), "revokes a session"),
    (op("DELETE /api/v1/sessions", summary="Log out everywhere"), "logs out"),
    (op("POST /api/shutdown", summary="Shut down the server"), "shuts down"),
    (op("POST /v1/batch", summary="Batch"), "its path ends in 'batch'"),
    (op("POST /api/$batch"), "its path ends in '$batch'"),
    (op("POST /rpc", description="Runs a batch of requests in one call"), "batch of other requests"),
    (op("DELETE /buckets"), "a DELETE on a collection"),
    (op("POST /api/cache/flush"), "purges, wipes"),
    (op("POST /admin/users/clear-all"), "deletes or clears everything"),
    (op("POST /users/{user_id}/settings/reset"), "its path ends in 'reset'"),
    (op("POST /emails/send"), "sends e-mail"), (op("POST /api/newsletter", summary="Send the newsletter"), "sends"),
    (op("POST /notifications/broadcast"), "sends e-mail, SMS, push"),
    (op("POST /teams/{id}/invite", "sendInvitation"), "sends"),
]
SAFE = [
    op("GET /users/{user_id}"), op("POST /orders", summary="Create an order"), op("PATCH /users/{id}"),
    op("DELETE /items/{item_id}"), op("DELETE /users/{id}", description="Delete a user and all their posts"),
    op("POST /password-reset", summary="Send a password reset link"), op("POST /auth/password/reset"),
    op("POST /login"), op("POST /api/v1/auth/token"), op("GET /api/kernels"), op("GET /dropdown-options"),
    op("POST /api/init-payment"), op("GET /v1/tables"), op("POST /api/notes/{id}/restore"), op("GET /health"),
    op("POST /api/contents/{path}", summary="Create a new file or directory"),
    op("POST /password-reset", summary="Send a password reset e-mail"),
    op("POST /auth/otp/send", summary="Send a one-time login code by SMS"), op("GET /messages"),
    op("POST /messages", summary="Create a message in a thread"),
]


@pytest.mark.parametrize(("operation", "reason"), UNSAFE, ids=[o.label for o, _ in UNSAFE])
def test_operations_that_would_damage_the_target_or_end_a_session_are_held_back(operation, reason):
    found = unsafe_reason(operation)
    assert found is not None and reason in found, found


@pytest.mark.parametrize("operation", SAFE, ids=[o.label for o in SAFE])
def test_ordinary_operations_are_callable(operation):
    assert unsafe_reason(operation) is None


def test_patterns_match_method_and_path_globs_operation_ids_and_tags():
    logout, user = op("POST /api/logout", "doLogout", tags=("auth",)), op("GET /api/users/{id}", "getUser")
    assert matches(logout, "POST /api/*") and not matches(logout, "GET /api/*")
    assert matches(logout, "* /api/logout") and matches(logout, "/api/log*") and matches(logout, "doLogout")
    assert matches(logout, "tag:auth") and not matches(user, "tag:auth") and not matches(user, "doLogout")


def test_select_applies_include_then_exclude_then_deprecated_then_the_classifier():
    ops = [op("GET /a"), op("GET /b"), op("GET /old", deprecated=True), op("POST /logout"), op("POST /reset-db")]
    allowed, filtered, unsafe = select(ops, include=("/a", "/b", "/old", "/logout", "/reset-db"), exclude=("/b",),
                                       exclude_deprecated=True, allow_unsafe=("POST /logout",))
    assert [o.label for o in allowed] == ["GET /a", "POST /logout"]
    assert [(s.operation.label, s.reason) for s in filtered] == [
        ("GET /b", "excluded by '/b'"), ("GET /old", "deprecated (--exclude-deprecated)")]
    assert [s.operation.label for s in unsafe] == ["POST /reset-db"]
    assert "--allow-unsafe 'POST /reset-db'" in unsafe[0].note
    only, left_out, _ = select(ops, include=("tag:none",), exclude=(), exclude_deprecated=False, allow_unsafe=())
    assert only == [] and len(left_out) == len(ops)


@pytest.mark.parametrize(("path", "problem"), [
    ("//127.0.0.1:1/steal", "not a path below the base URL"), ("http://127.0.0.1:1/x", "not a path below"),
    ("/a\\b", "not a path below"), ("/api/../admin", "climbs out"), ("/api/%2e%2e/admin", "climbs out"),
    ("relative", "not a path below"),
])
def test_paths_that_leave_the_base_url_are_not_called(path, problem):
    allowed, filtered, _ = select([op(f"GET {path}")], (), (), False, ())
    assert allowed == [] and problem in filtered[0].reason


def test_a_percent_encoded_unsafe_path_is_still_held_back():
    assert unsafe_reason(op("POST /api/%72eset")) is not None
    assert unsafe_reason(op("POST /%6cogout")) is not None


def test_a_post_that_saves_over_stored_state_is_told_apart_from_creations_and_searches(tmp_path):
    import json
    from types import SimpleNamespace

    from secscan_probes.engine.discovery import updates_in_place
    from secscan_probes.engine.spec import load_spec

    spec = {
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "servers": [{"url": "http://127.0.0.1:9"}],
        "paths": {
            "/web/account": {"get": {"responses": {"200": {"description": "ok"}}},
                             "post": {"summary": "Store the form", "responses": {"200": {"description": "ok"}}}},
            "/settings/theme": {"post": {"summary": "Save the theme", "responses": {"200": {"description": "ok"}}}},
            "/notes": {"post": {"summary": "New note", "responses": {"201": {"description": "created"}}}},
            "/search": {"post": {"summary": "Find notes", "responses": {"200": {"description": "ok"}}}},
            "/convert": {"post": {"summary": "Convert units", "responses": {"200": {"description": "ok"}}}},
        },
    }
    (tmp_path / "api.json").write_text(json.dumps(spec))
    ctx = SimpleNamespace(spec=load_spec(str(tmp_path / "api.json")))  # the discovery helpers read only the spec
    by_path = {op.path: updates_in_place(ctx, op) for op in ctx.spec.operations if op.method == "POST"}
    assert by_path == {"/web/account": True, "/settings/theme": True, "/notes": False, "/search": False,
                       "/convert": False}
