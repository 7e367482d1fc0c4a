"""GitHub code scanning over REST: POST /repos/{owner}/{repo}/code-scanning/sarifs, then poll its processing status.

The token lives only in the httpx client's Authorization header: it is never put in a message, and every text that
comes back from the server is scrubbed of it before it can reach an exception or the terminal.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from secscan import __version__
from secscan.errors import EXIT_SCAN_ERROR, SecscanError, UsageError
from secscan.sarif_checks import gzip_sarif

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
REQUEST_TIMEOUT = 60.0
MAX_POLL_DELAY = 30.0
# POST .../code-scanning/sarifs, `ref`: "refs/heads/<branch name>, refs/tags/<tag>, refs/pull/<number>/merge, or
# refs/pull/<number>/head"; `commit_sha`: the commit's SHA (40 hex digits; 64 in SHA-256 repositories).
_REF = re.compile(r"refs/(heads|tags)/\S+|refs/pull/\d+/(merge|head)")
_SHA = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")
_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
_TOKEN = re.compile(r"[\x21-\x7e]+")  # what an HTTP header can carry without httpx echoing it in an error
# github/codeql-action src/upload-lib.ts `shouldConsiderInvalidRequest`: processing errors that mean "invalid SARIF".
_INVALID_SARIF = ("rejecting SARIF", "an invalid URI was provided as a SARIF location",
                  "locationFromSarifResult: expected artifact location",
                  "could not convert rules: invalid security severity value, is not a number", "SARIF URI scheme ")
_HINTS = {
    400: "GitHub could not parse the request or the SARIF",
    401: "the token is invalid or expired",
    403: "the token needs security_events write (in a workflow: `permissions: security-events: write`) and code "
         "scanning must be available for the repository (public, or GitHub Advanced Security/Code Security)",
    404: "no such repository, or the token cannot see it",
    413: "the SARIF is too large for GitHub (10 MB gzip-compressed at most)",
    422: "GitHub refused the ref, the commit SHA or the SARIF",
}


class UploadFailed(SecscanError):
    """GitHub refused the upload, could not be reached, or could not process the SARIF."""

    exit_code = EXIT_SCAN_ERROR


@dataclass(frozen=True)
class UploadTarget:
    owner: str
    name: str
    ref: str
    sha: str

    @property
    def slug(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class Receipt:
    id: str
    url: str | None


@dataclass(frozen=True)
class ProcessingStatus:
    status: str  # pending | complete | failed
    errors: tuple[str, ...] = ()
    analyses_url: str | None = None


def parse_target(repo: str, ref: str, sha: str) -> UploadTarget:
    """OWNER/NAME, a full ref and a commit SHA, checked locally (UsageError, exit 2) before anything is sent."""
    owner, _, name = repo.partition("/")
    if not (_OWNER.fullmatch(owner) and _NAME.fullmatch(name) and name not in {".", ".."}):
        raise UsageError(f"--repo: {repo!r} is not OWNER/NAME (e.g. octo-org/octo-repo)")
    if not _REF.fullmatch(ref):
        hint = f"; did you mean refs/heads/{ref}?" if ref and not ref.startswith("refs/") else ""
        raise UsageError(f"--ref: {ref!r} is not refs/heads/<branch>, refs/tags/<tag> or refs/pull/<n>/merge|head"
                         + hint)
    if not _SHA.fullmatch(sha):
        raise UsageError(f"--sha: {sha!r} is not a full commit SHA (40 hex digits)")
    return UploadTarget(owner, name, ref, sha.lower())


def read_token(env_name: str, environ: Mapping[str, str]) -> str:
    """The token from the named environment variable; never from the command line, never echoed."""
    token = environ.get(env_name, "").strip()
    if not token:
        raise UsageError(f"no GitHub token: environment variable {env_name} is not set or empty (--token-env)")
    if not _TOKEN.fullmatch(token):
        raise UsageError(f"the token in {env_name} contains spaces, control or non-ASCII characters")
    return token


def check_api_url(url: str) -> str:
    """An http(s) base URL without credentials; plain http only to a loopback host (the token is sent to it)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise UsageError(f"--api-url: {url!r} is not a URL") from None
    if parsed.scheme not in {"http", "https"} or not parsed.host or parsed.userinfo or parsed.query:
        raise UsageError(f"--api-url: {url!r} must be an http(s) URL without credentials or query")
    if parsed.scheme == "http" and not _is_loopback(parsed.host):
        raise UsageError(f"--api-url: refusing to send the token over plain http to {parsed.host}; use https")
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def encode_sarif(doc: dict[str, Any]) -> str:
    """The API's `sarif` field: gzip, then base64 (`gzip -c file.sarif | base64 -w0`)."""
    return base64.b64encode(gzip_sarif(doc)).decode("ascii")


class GitHubClient:
    """The two code scanning endpoints secscan needs; every failure becomes a one-line UploadFailed."""

    def __init__(self, api_url: str, token: str, timeout: float = REQUEST_TIMEOUT) -> None:
        self._token = token
        self._http = httpx.Client(base_url=api_url, timeout=timeout, follow_redirects=False, trust_env=False,
                                  headers={"Authorization": f"Bearer {token}",
                                           "Accept": "application/vnd.github+json",
                                           "X-GitHub-Api-Version": API_VERSION,
                                           "User-Agent": f"secscan/{__version__}"})

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._http.close()

    def upload(self, target: UploadTarget, sarif: str) -> Receipt:
        """POST the gzip+base64 SARIF; GitHub answers 202 with {id, url}. (No `checkout_uri`: secscan only
        uploads repo-relative paths, which need none.)"""
        body = {"commit_sha": target.sha, "ref": target.ref, "sarif": sarif}
        path = f"/repos/{target.owner}/{target.name}/code-scanning/sarifs"
        data = self._json(self._request("POST", path, "the upload", json=body), "the upload")
        if not isinstance(data.get("id"), str | int) or data.get("id") == "":
            raise UploadFailed(f"GitHub accepted the upload but its answer has no id: {self._short(data)}")
        return Receipt(str(data["id"]), data.get("url") if isinstance(data.get("url"), str) else None)

    def status(self, target: UploadTarget, sarif_id: str) -> ProcessingStatus:
        path = f"/repos/{target.owner}/{target.name}/code-scanning/sarifs/{quote(sarif_id, safe='')}"
        what = f"the status check of upload {sarif_id}"
        data = self._json(self._request("GET", path, what), what)
        status = data.get("processing_status")
        if status not in {"pending", "complete", "failed"}:
            raise UploadFailed(f"{what}: unexpected processing_status {self._short(status)}")
        errors: list[Any] = data["errors"] if isinstance(data.get("errors"), list) else []
        url = data.get("analyses_url")
        return ProcessingStatus(status, tuple(self._scrub(str(e)) for e in errors),
                                url if isinstance(url, str) else None)

    def _request(self, method: str, path: str, what: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            reason = self._scrub(str(exc)) or type(exc).__name__
            raise UploadFailed(f"{what}: cannot reach {self._http.base_url}: {reason}") from None
        if response.is_success:
            return response
        raise self._http_error(response, method, path, what)

    def _http_error(self, response: httpx.Response, method: str, path: str, what: str) -> UploadFailed:
        try:
            body = response.json()
        except ValueError:
            body = response.text
        message = body.get("message") if isinstance(body, dict) else body
        hint = _HINTS.get(response.status_code, "")
        detail = "; ".join(x for x in (self._short(message) if message else "", hint) if x)
        return UploadFailed(f"{what} failed: GitHub answered HTTP {response.status_code} {response.reason_phrase} "
                            f"to {method} {path}" + (f": {detail}" if detail else ""))

    def _json(self, response: httpx.Response, what: str) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise UploadFailed(f"{what}: GitHub's answer is not a JSON object: {self._short(response.text)}")
        return data

    def _short(self, value: Any, limit: int = 300) -> str:
        text = " ".join(str(value).split())
        return self._scrub(text[:limit] + ("…" if len(text) > limit else ""))

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***")


def wait_for_processing(client: GitHubClient, target: UploadTarget, sarif_id: str, timeout: float,
                        interval: float, sleep: Callable[[float], None] = time.sleep,
                        clock: Callable[[], float] = time.monotonic) -> ProcessingStatus:
    """Poll until complete/failed or `timeout` seconds; the delay doubles from `interval` up to 30 s."""
    deadline = clock() + timeout
    delay = interval
    while True:
        status = client.status(target, sarif_id)
        remaining = deadline - clock()
        if status.status != "pending" or remaining <= 0:
            return status
        sleep(min(delay, remaining))
        delay = min(delay * 2, max(MAX_POLL_DELAY, interval))


def raise_if_failed(status: ProcessingStatus, sarif_id: str) -> None:
    """A `failed` processing status as UploadFailed with GitHub's own error list."""
    if status.status != "failed":
        return
    errors = list(status.errors) or ["(GitHub gave no reason)"]
    kind = "rejected the SARIF as invalid" if all(e.startswith(_INVALID_SARIF) for e in errors) else "failed"
    raise UploadFailed(f"code scanning {kind} while processing upload {sarif_id}: " + " | ".join(
        " ".join(e.split()) for e in errors))
