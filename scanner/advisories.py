"""Offline OSV advisory database for PyPI packages, served to pip-audit over a local HTTP endpoint."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

__all__ = ["AdvisoryDB", "AdvisoryDBError", "serve", "QUERY_PATH"]

RECORD_SUFFIXES = (".yaml", ".yml", ".json")
LAZY_THRESHOLD = 300  # directories with more files than this are indexed first, parsed on demand
QUERY_PATH = "/v1/query"
MAX_BODY = 1 << 20

_YAML_NAME_RE = re.compile(r"""^[ \t-]*name:[ \t]*["']?([A-Za-z0-9][A-Za-z0-9._-]*)""", re.M)
_JSON_NAME_RE = re.compile(r'"name"\s*:\s*"([A-Za-z0-9][A-Za-z0-9._-]*)"')

_YamlBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _OsvYamlLoader(_YamlBase):  # type: ignore[misc]
    """Safe loader that keeps numbers and timestamps as strings (versions like 2.10, RFC 3339 dates)."""


_OsvYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if not tag.endswith((":int", ":float", ":timestamp"))]
    for first, resolvers in _YamlBase.yaml_implicit_resolvers.items()
}


class AdvisoryDBError(ValueError):
    """The advisory directory is missing or contains no readable OSV record."""


def _pypi_names(record: dict[str, Any]) -> set[str]:
    """Canonical names of the PyPI packages listed in a record's `affected` entries."""
    names: set[str] = set()
    for affected in record.get("affected") or []:
        pkg = affected.get("package") if isinstance(affected, dict) else None
        if isinstance(pkg, dict) and pkg.get("ecosystem") == "PyPI" and isinstance(pkg.get("name"), str):
            names.add(canonicalize_name(pkg["name"]))
    return names


def _read_records(path: Path) -> list[dict[str, Any]]:
    """Parse one file into OSV records; raise ValueError with a one-line reason on failure."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_OsvYamlLoader)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise ValueError(f"{type(exc).__name__}: {' '.join(str(exc).split())}") from None
    items = data if isinstance(data, list) else [data]
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise ValueError("not an OSV record (missing string 'id')")
        if not isinstance(item.get("affected", []), list):
            raise ValueError("not an OSV record ('affected' is not a list)")
    return items


def _parse_version(text: Any) -> Version | None:
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def _in_ecosystem_range(events: list[Any], version: Version) -> bool:
    """OSV evaluation of one ECOSYSTEM range: walk events sorted by version, toggling 'affected'."""
    parsed: list[tuple[Version, str]] = []
    for event in events:
        if not isinstance(event, dict) or len(event) != 1:
            return False
        (kind, bound), = event.items()
        bound_version = _parse_version(bound)
        if kind not in ("introduced", "fixed", "last_affected", "limit"):
            return False
        if bound_version is None:
            return False  # cannot order this range; rely on the explicit versions list instead
        parsed.append((bound_version, kind))
    affected = False
    for bound_version, kind in sorted(parsed, key=lambda item: item[0]):
        if kind == "introduced" and version >= bound_version:
            affected = True
        elif kind == "fixed" and version >= bound_version:
            affected = False
        elif kind == "last_affected" and version > bound_version:
            affected = False
    return affected


def _affected_entry_matches(affected: dict[str, Any], version: str, parsed: Version | None) -> bool:
    listed = [str(v) for v in affected.get("versions") or []]
    if version in listed or (parsed is not None and any(_parse_version(v) == parsed for v in listed)):
        return True
    if parsed is None:
        return False
    return any(
        isinstance(rng, dict) and rng.get("type") == "ECOSYSTEM"
        and _in_ecosystem_range(rng.get("events") or [], parsed)
        for rng in affected.get("ranges") or []
    )


def record_affects(record: dict[str, Any], name: str, version: str) -> bool:
    """True if a (non-withdrawn) OSV record affects PyPI package `name` at `version`."""
    if record.get("withdrawn") not in (None, ""):
        return False
    canonical, parsed = canonicalize_name(name), _parse_version(version)
    for affected in record.get("affected") or []:
        if isinstance(affected, dict) and canonical in _pypi_names({"affected": [affected]}):
            if _affected_entry_matches(affected, version, parsed):
                return True
    return False


class AdvisoryDB:
    """OSV records indexed by canonical PyPI package name, optionally parsed lazily per package."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.errors: list[str] = []
        self._records: dict[str, list[dict[str, Any]]] = {}
        self._pending: dict[str, dict[Path, None]] = {}
        self._parsed: dict[Path, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path, *, lazy: bool | None = None) -> AdvisoryDB:
        """Index every OSV file under `path`; `lazy=None` chooses lazy parsing for large directories."""
        root = Path(path)
        if not root.is_dir():
            raise AdvisoryDBError(f"advisory directory does not exist: {root}")
        files = sorted(p for p in root.rglob("*") if p.suffix in RECORD_SUFFIXES and p.is_file())
        db = cls(root)
        lazy = len(files) > LAZY_THRESHOLD if lazy is None else lazy
        for file in files:
            names = db._scan_names(file) if lazy else set()
            for name in names:
                db._pending.setdefault(name, {})[file] = None
            if not names:
                db._ingest(file)
        if not db._has_readable_record(files):
            raise AdvisoryDBError(f"no readable OSV record under {root} ({len(db.errors)} malformed file(s))")
        return db

    def _scan_names(self, file: Path) -> set[str]:
        """Cheap text scan for candidate package names (no YAML parse); empty set means 'parse now'."""
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return set()
        regex = _JSON_NAME_RE if file.suffix == ".json" else _YAML_NAME_RE
        names: set[str] = {canonicalize_name(n) for n in regex.findall(text)}
        if names and file.parent != self.root:
            names.add(canonicalize_name(file.parent.name))
        return names

    def _parse_file(self, file: Path) -> list[dict[str, Any]]:
        """Parse a file once (cached); malformed files are recorded in `errors` and yield no record."""
        if file not in self._parsed:
            try:
                self._parsed[file] = _read_records(file)
            except ValueError as exc:
                self._parsed[file] = []
                self.errors.append(f"{file}: {exc}")
        return self._parsed[file]

    def _ingest(self, file: Path, only: str | None = None) -> None:
        for record in self._parse_file(file):
            for name in _pypi_names(record):
                if only is None or name == only:
                    bucket = self._records.setdefault(name, [])
                    if not any(r is record for r in bucket):
                        bucket.append(record)

    def _has_readable_record(self, files: list[Path]) -> bool:
        if self._parsed and any(self._parsed.values()):
            return True
        for file in files:  # lazy mode: parse until the first valid record proves the DB is usable
            if self._parse_file(file):
                return True
        return False

    def records_for(self, name: str) -> list[dict[str, Any]]:
        """All records (withdrawn included) listing PyPI package `name`, parsing its files on first use."""
        canonical = canonicalize_name(name)
        with self._lock:
            for file in self._pending.pop(canonical, {}):
                self._ingest(file, only=canonical)
            return list(self._records.get(canonical, []))

    def query(self, name: str, version: str) -> list[dict[str, Any]]:
        """Non-withdrawn OSV records affecting PyPI package `name` at `version`."""
        return [r for r in self.records_for(name) if record_affects(r, name, version)]

    def package_names(self) -> set[str]:
        """Canonical names known to the index (lazy candidates included)."""
        return set(self._records) | set(self._pending)


def _for_pip_audit(record: dict[str, Any]) -> dict[str, Any]:
    """Copy of a record whose PyPI package names are canonical (pip-audit matches them verbatim)."""
    affected = []
    for entry in record.get("affected") or []:
        pkg = entry.get("package") if isinstance(entry, dict) else None
        if isinstance(pkg, dict) and pkg.get("ecosystem") == "PyPI" and isinstance(pkg.get("name"), str):
            entry = {**entry, "package": {**pkg, "name": canonicalize_name(pkg["name"])}}
        affected.append(entry)
    return {**record, "affected": affected}


def answer_query(db: AdvisoryDB, body: bytes) -> tuple[int, dict[str, Any]]:
    """Answer one OSV `/v1/query` body the way pip-audit sends it: package name/ecosystem + version."""
    try:
        query = json.loads(body)
        package, version = query["package"], query["version"]
        name, ecosystem = package["name"], package.get("ecosystem")
        if not isinstance(name, str) or not isinstance(version, str):
            raise TypeError("name and version must be strings")
    except (ValueError, KeyError, TypeError) as exc:
        return 400, {"code": 3, "message": f"invalid query: {exc}"}
    if ecosystem != "PyPI":
        return 200, {}
    vulns = [_for_pip_audit(r) for r in db.query(name, version)]
    return 200, ({"vulns": vulns} if vulns else {})


def _handler_for(db: AdvisoryDB) -> type[BaseHTTPRequestHandler]:
    class OsvQueryHandler(BaseHTTPRequestHandler):
        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 (http.server naming)
            length_text = self.headers.get("Content-Length") or "0"
            length = int(length_text) if length_text.isdigit() else 0
            if self.path.split("?")[0] != QUERY_PATH:
                self._send(404, {"code": 5, "message": "not found"})
            elif not 0 < length <= MAX_BODY:
                self._send(400, {"code": 3, "message": "missing or oversized body"})
            else:
                self._send(*answer_query(db, self.rfile.read(length)))

        def do_GET(self) -> None:  # noqa: N802
            self._send(404, {"code": 5, "message": "not found"})

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Silence per-request logging on stderr."""

    return OsvQueryHandler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Client disconnects etc. must not print tracebacks to stderr."""


@contextmanager
def serve(db: AdvisoryDB) -> Iterator[str]:
    """Run an OSV-compatible query endpoint on 127.0.0.1 (free port); yield its `--osv-url`."""
    server = _QuietServer(("127.0.0.1", 0), _handler_for(db))
    # A short poll interval: shutdown() otherwise waits up to 0.5 s, a flat cost on every scan.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="osv-offline",
                              daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}{QUERY_PATH}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
