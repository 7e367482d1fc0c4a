"""Real loopback servers that misbehave on purpose (for the hardening tests): a small secured API whose /items
route drips, floods, bombs or fails, a tripwire that counts every hit, and a proxy that counts what it is sent."""

from __future__ import annotations

import functools
import gzip
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKENS = {"Bearer tok-alice-1": "alice", "Bearer tok-bob-2": "bob"}
Behaviour = Callable[[BaseHTTPRequestHandler], None]


def spec(base_url: str | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """GET /me (the identity endpoint) and GET /items, both behind a bearer token."""
    doc: dict[str, Any] = {
        "openapi": "3.0.3", "info": {"title": "hostile", "version": "1"},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": {
            "/me": {"get": {"responses": {"200": {"description": "who", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"name": {"type": "string"}}}}}}}}},
            "/items": {"get": {"responses": {"200": {"description": "items"}}}},
        },
    }
    if base_url:
        doc["servers"] = [{"url": base_url}]
    for key, value in (extra or {}).items():
        doc[key] = value
    return doc


def tenants_yaml() -> str:
    return ("tenants:\n  alice:\n    headers: {Authorization: \"Bearer tok-alice-1\"}\n"
            "  bob:\n    headers: {Authorization: \"Bearer tok-bob-2\"}\n")


def json_reply(handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def drip(handler: BaseHTTPRequestHandler) -> None:
    """A body promised in full, one byte a second (a read timeout alone never fires)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    try:
        for _ in range(100_000):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(1)
    except OSError:
        return


def flood(megabytes: int) -> Behaviour:
    def reply(handler: BaseHTTPRequestHandler) -> None:
        chunk = b"x" * 1_000_000
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(len(chunk) * megabytes))
        handler.end_headers()
        try:
            for _ in range(megabytes):
                handler.wfile.write(chunk)
        except OSError:
            return
    return reply


@functools.cache
def _bomb() -> bytes:
    """Built once, before the server answers (building it takes seconds, longer than a probe's timeout)."""
    return gzip.compress(b"\0" * 200_000_000, compresslevel=6)



def gzip_bomb(handler: BaseHTTPRequestHandler) -> None:
    """About 100 kB on the wire, 200 MB once decoded (20 x the default cap)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Encoding", "gzip")
    handler.send_header("Content-Length", str(len(_bomb())))
    handler.end_headers()
    try:
        handler.wfile.write(_bomb())
    except OSError:
        return


def server_error(handler: BaseHTTPRequestHandler) -> None:
    json_reply(handler, 500, {"detail": "internal error"})


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, Behaviour]
    hits: Counter[str]
    documents: dict[str, Any]

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?", 1)[0]
        self.hits[path] += 1
        if path in self.documents:
            json_reply(self, 200, self.documents[path])
        elif path in self.routes:
            self.routes[path](self)
        elif path == "/me":
            who = TOKENS.get(self.headers.get("Authorization", ""))
            json_reply(self, 200, {"name": who}) if who else json_reply(self, 401, {"detail": "no"})
        else:
            json_reply(self, 404, {"detail": "not found"})

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@contextmanager
def hostile(routes: dict[str, Behaviour] | None = None,
            documents: dict[str, Any] | None = None) -> Iterator[tuple[str, Counter[str]]]:
    """(base URL, hits per path) of a server on a free 127.0.0.1 port; `documents` are served as JSON."""
    hits: Counter[str] = Counter()
    if gzip_bomb in (routes or {}).values():
        _bomb()
    handler = type("Handler", (_Handler,), {"routes": routes or {}, "hits": hits, "documents": documents or {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", hits
    finally:
        server.shutdown()
        server.server_close()
