"""A local fake of GitHub's code scanning SARIF endpoints on 127.0.0.1 (ThreadingHTTPServer, port 0, own thread).

It checks the bearer token, decodes the `sarif` field (base64 -> gunzip -> JSON), validates it against the
official SARIF 2.1.0 schema, records every request byte for byte, and answers like GitHub in the chosen mode.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
UPLOAD_PATH = re.compile(r"/repos/([^/]+)/([^/]+)/code-scanning/sarifs")
STATUS_PATH = re.compile(r"/repos/([^/]+)/([^/]+)/code-scanning/sarifs/([^/]+)")
# Forced answers to the upload, as GitHub words them.
FORCED = {
    "403": (403, "Resource not accessible by integration"),
    "404": (404, "Not Found"),
    "422": (422, "commit_sha does not exist in the repository"),
    "413": (413, "Payload Too Large"),
}


@dataclass
class Recorded:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class FakeGitHub:
    """mode: "ok" (processing: `pending_polls` x pending, then complete), "fail" (processing fails with
    `processing_errors`), "403" / "404" / "422" / "413" (forced upload answer), "echo" (a 403 whose message
    repeats the Authorization header, as a careless proxy might)."""

    token: str
    repo: str = "octo-org/octo-repo"
    mode: str = "ok"
    pending_polls: int = 0
    processing_errors: tuple[str, ...] = ()
    requests: list[Recorded] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    polls: int = 0

    def __enter__(self) -> FakeGitHub:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True,
                                        name="fake-github")
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def token_outside_authorization(self) -> list[str]:
        """Every place in the recorded requests where the token appears, other than `Authorization: Bearer`."""
        places = []
        for i, req in enumerate(self.requests):
            if self.token in req.path:
                places.append(f"request {i} path")
            places += [f"request {i} header {k}" for k, v in req.headers
                       if self.token in v and not (k.lower() == "authorization" and v == f"Bearer {self.token}")]
            if self.token.encode() in req.body:
                places.append(f"request {i} body")
        return places

    # --- answers: (status, JSON body) ---

    def answer(self, req: Recorded) -> tuple[int, Any]:
        if dict((k.lower(), v) for k, v in req.headers).get("authorization") != f"Bearer {self.token}":
            return 401, {"message": "Bad credentials"}
        upload, status = UPLOAD_PATH.fullmatch(req.path), STATUS_PATH.fullmatch(req.path)
        match = upload or status
        if match is None or f"{match[1]}/{match[2]}" != self.repo:
            return 404, {"message": "Not Found"}
        if req.method == "POST" and upload:
            return self._upload(req)
        if req.method == "GET" and status:
            return self._status(status[3])
        return 404, {"message": "Not Found"}

    def _upload(self, req: Recorded) -> tuple[int, Any]:
        if self.mode == "echo":
            auth = dict((k.lower(), v) for k, v in req.headers)["authorization"]
            return 403, {"message": f"token rejected: {auth}"}
        if self.mode in FORCED:
            code, message = FORCED[self.mode]
            return code, {"message": message}
        try:
            body = json.loads(req.body)
            doc = json.loads(gzip.decompress(base64.b64decode(body["sarif"], validate=True)))
        except (ValueError, KeyError, TypeError, binascii.Error, OSError) as exc:
            return 400, {"message": f"Invalid SARIF: cannot decode: {exc}"}
        errors = list(jsonschema.Draft4Validator(SCHEMA).iter_errors(doc))
        if errors or not re.fullmatch(r"[0-9a-f]{40}", body.get("commit_sha", "")):
            return 400, {"message": f"Invalid SARIF or commit_sha: {[e.message for e in errors][:3]}"}
        sarif_id = str(uuid.uuid4())
        self.uploads.append({"id": sarif_id, "sarif": doc, **{k: v for k, v in body.items() if k != "sarif"}})
        return 202, {"id": sarif_id, "url": f"{self.url}/repos/{self.repo}/code-scanning/sarifs/{sarif_id}"}

    def _status(self, sarif_id: str) -> tuple[int, Any]:
        if sarif_id not in {u["id"] for u in self.uploads}:
            return 404, {"message": "Not Found"}
        self.polls += 1
        if self.polls <= self.pending_polls:
            return 200, {"processing_status": "pending", "analyses_url": None, "errors": None}
        if self.mode == "fail":
            return 200, {"processing_status": "failed", "analyses_url": None, "errors": list(self.processing_errors)}
        return 200, {"processing_status": "complete", "errors": [],
                     "analyses_url": f"{self.url}/repos/{self.repo}/code-scanning/analyses?sarif_id={sarif_id}"}


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            self._serve()

        def do_GET(self) -> None:  # noqa: N802
            self._serve()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            req = Recorded(self.command, self.path, list(self.headers.items()), self.rfile.read(length))
            fake.requests.append(req)
            status, payload = fake.answer(req)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: object) -> None:
            pass

    return Handler
