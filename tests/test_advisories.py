"""Tests for the offline OSV advisory database and its pip-audit compatible HTTP endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from secscan.advisories import AdvisoryDB, AdvisoryDBError, record_affects, serve

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures" / "advisories"
FULL_SNAPSHOT = Path("/work/shared/data/pypa-advisory-db")

VULNERABLE_PINS = {
    "requests": "2.19.0",
    "pyyaml": "5.3",
    "jinja2": "2.10",
    "flask": "0.12.2",
    "pyjwt": "1.5.0",
    "urllib3": "1.24.1",
    "django": "2.2.0",
}
FIXED_PINS = {
    "requests": "2.32.3",
    "pyyaml": "6.0.1",
    "jinja2": "3.1.4",
    "flask": "3.0.3",
    "pyjwt": "2.8.0",
    "urllib3": "2.2.3",
    "django": "4.2.16",
}


def osv(rid: str, *events: dict[str, str], versions: list[str] | None = None, name: str = "demo-pkg",
        **extra: Any) -> dict[str, Any]:
    """Build a minimal OSV record with one ECOSYSTEM range."""
    affected: dict[str, Any] = {"package": {"name": name, "ecosystem": "PyPI"}}
    if events:
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": list(events)}]
    if versions is not None:
        affected["versions"] = versions
    return {"id": rid, "affected": [affected], **extra}


# --------------------------------------------------------------------------- range semantics

SIMPLE = osv("S-1", {"introduced": "1.0"}, {"fixed": "1.5"})
FROM_ZERO = osv("Z-1", {"introduced": "0"}, {"fixed": "2.0.1"})
LAST = osv("L-1", {"introduced": "1.0"}, {"last_affected": "1.4"})
MULTI = osv("M-1", {"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "2.0"}, {"fixed": "2.3"})
UNBOUNDED = osv("U-1", {"introduced": "3.0"})
LISTED = osv("V-1", versions=["0.9", "1.0rc1", "not-a-version"])


@pytest.mark.parametrize(
    ("record", "version", "expected"),
    [
        (SIMPLE, "0.9", False), (SIMPLE, "1.0", True), (SIMPLE, "1.4.9", True), (SIMPLE, "1.5", False),
        (SIMPLE, "1.5.0", False), (SIMPLE, "1.5rc1", True),
        (FROM_ZERO, "0.0.1", True), (FROM_ZERO, "2.0", True), (FROM_ZERO, "2.0.1", False),
        (LAST, "1.4", True), (LAST, "1.4.0", True), (LAST, "1.4.1", False), (LAST, "0.5", False),
        (MULTI, "1.1", True), (MULTI, "1.2", False), (MULTI, "1.9", False), (MULTI, "2.0", True),
        (MULTI, "2.2.9", True), (MULTI, "2.3", False),
        (UNBOUNDED, "2.9", False), (UNBOUNDED, "99.0", True),
        (LISTED, "0.9", True), (LISTED, "0.9.0", True), (LISTED, "1.0", False),
        (LISTED, "not-a-version", True), (LISTED, "other-junk", False),
    ],
)
def test_record_affects(record: dict[str, Any], version: str, expected: bool) -> None:
    assert record_affects(record, "demo-pkg", version) is expected


def test_unordered_events_are_sorted_before_evaluation() -> None:
    shuffled = osv("R-1", {"fixed": "2.3"}, {"introduced": "2.0"}, {"fixed": "1.2"}, {"introduced": "1.0"})
    assert [record_affects(shuffled, "demo-pkg", v) for v in ("1.1", "1.5", "2.1", "2.3")] == [
        True, False, True, False]


def test_unparseable_version_uses_versions_list_only() -> None:
    both = osv("B-1", {"introduced": "0"}, versions=["1.0", "weird-build"])
    assert record_affects(both, "demo-pkg", "weird-build")
    assert not record_affects(both, "demo-pkg", "other-weird")  # the range cannot be evaluated
    assert record_affects(both, "demo-pkg", "5.0")  # a parseable version still uses the range


def test_other_package_and_ecosystem_do_not_match() -> None:
    npm = {"id": "N-1", "affected": [{"package": {"name": "demo-pkg", "ecosystem": "npm"},
                                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}
    assert not record_affects(npm, "demo-pkg", "1.0")
    assert not record_affects(SIMPLE, "other", "1.0")
    assert record_affects(osv("C-1", {"introduced": "0"}, name="Demo_Pkg"), "demo.pkg", "1.0")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def small_db_dir(tmp_path: Path) -> Path:
    root = tmp_path / "db"
    write(root / "vulns" / "demo-pkg" / "PYSEC-1.yaml",
          "id: PYSEC-1\nmodified: 2023-11-07T20:24:23Z\naffected:\n- package:\n    name: Demo_Pkg\n"
          "    ecosystem: PyPI\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: 0\n"
          "    - fixed: 2.10\naliases:\n- CVE-2000-1\n")
    write(root / "vulns" / "demo-pkg" / "PYSEC-2.yml",
          "id: PYSEC-2\nwithdrawn: '2023-06-06T10:37:00Z'\naffected:\n- package: {name: demo-pkg, ecosystem: PyPI}\n"
          "  versions: ['1.0']\n")
    write(root / "export" / "GHSA-x.json", json.dumps(osv("GHSA-x", {"introduced": "1.0"}, name="other")))
    write(root / "vulns" / "broken" / "BAD-1.yaml", "id: [unclosed\n")
    write(root / "vulns" / "broken" / "BAD-2.json", '{"no_id": true}')
    write(root / "README.md", "not a record")
    return root


@pytest.mark.parametrize("lazy", [False, True])
def test_load_indexes_records_and_collects_errors(small_db_dir: Path, lazy: bool) -> None:
    db = AdvisoryDB.load(small_db_dir, lazy=lazy)
    # `fixed: 2.10` must stay the string "2.10" (not the float 2.1): 2.9 is affected, 2.10 is not
    assert [r["id"] for r in db.query("demo-pkg", "2.9")] == ["PYSEC-1"]
    assert db.query("DEMO.pkg", "2.10") == []
    assert [r["id"] for r in db.query("demo-pkg", "1.0")] == ["PYSEC-1"]  # withdrawn PYSEC-2 skipped
    assert len(db.records_for("demo-pkg")) == 2
    assert [r["id"] for r in db.query("other", "1.0")] == ["GHSA-x"]
    assert db.query("unknown", "1.0") == []
    assert db.query("demo-pkg", "2.9")[0]["modified"] == "2023-11-07T20:24:23Z"
    # files without a recognisable package name are parsed at load time even in lazy mode
    assert sorted(Path(e.split(":")[0]).name for e in db.errors) == ["BAD-1.yaml", "BAD-2.json"]
    assert all("\n" not in e for e in db.errors)


def test_lazy_load_defers_parsing_until_first_query(small_db_dir: Path) -> None:
    write(small_db_dir / "vulns" / "demo-pkg" / "PYSEC-3.yaml",
          "affected:\n- package:\n    name: demo-pkg\n  versions: [\n")  # named, but broken YAML
    eager = AdvisoryDB.load(small_db_dir, lazy=False)
    lazy = AdvisoryDB.load(small_db_dir, lazy=True)
    assert any("PYSEC-3.yaml" in e for e in eager.errors)
    assert not any("PYSEC-3.yaml" in e for e in lazy.errors)
    assert [r["id"] for r in lazy.query("demo-pkg", "2.0")] == ["PYSEC-1"]
    assert any("PYSEC-3.yaml" in e for e in lazy.errors)
    assert lazy.package_names() >= eager.package_names()


def test_load_rejects_missing_or_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryDBError, match="does not exist"):
        AdvisoryDB.load(tmp_path / "nope")
    write(tmp_path / "empty" / "x.yaml", ": : :\n")
    with pytest.raises(AdvisoryDBError, match="no readable OSV record"):
        AdvisoryDB.load(tmp_path / "empty")
    assert issubclass(AdvisoryDBError, ValueError)


def test_fixture_db_matches_vulnerable_and_not_fixed_pins() -> None:
    db = AdvisoryDB.load(FIXTURES)
    assert db.errors == []
    for name, version in VULNERABLE_PINS.items():
        assert db.query(name, version), f"{name}=={version} should be vulnerable"
    for name, version in FIXED_PINS.items():
        assert db.query(name, version) == [], f"{name}=={version} should be clean"


@pytest.mark.skipif(not FULL_SNAPSHOT.is_dir(), reason="full PyPA advisory snapshot not available")
def test_full_snapshot_lazy_load_and_fixed_pins_clean() -> None:
    db = AdvisoryDB.load(FULL_SNAPSHOT)
    for name, version in FIXED_PINS.items():
        assert [r["id"] for r in db.query(name, version)] == [], name
    assert {"PYSEC-2018-28", "PYSEC-2023-74"} <= {r["id"] for r in db.query("requests", "2.19.0")}


# --------------------------------------------------------------------------- HTTP endpoint

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(url: str, body: bytes | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
    try:
        with NO_PROXY.open(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def query_body(name: str, version: str, ecosystem: str = "PyPI") -> bytes:
    return json.dumps({"package": {"name": name, "ecosystem": ecosystem}, "version": version}).encode()


def test_server_answers_osv_queries_and_is_quiet(small_db_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    db = AdvisoryDB.load(small_db_dir)
    with serve(db) as url:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1/query")
        status, payload = http(url, query_body("demo-pkg", "1.0"))
        assert status == 200 and [v["id"] for v in payload["vulns"]] == ["PYSEC-1"]
        # pip-audit compares affected[].package.name verbatim with the canonical name
        assert payload["vulns"][0]["affected"][0]["package"]["name"] == "demo-pkg"
        assert http(url, query_body("demo-pkg", "3.0")) == (200, {})
        assert http(url, query_body("demo-pkg", "1.0", ecosystem="npm")) == (200, {})
        assert http(url, b"{not json")[0] == 400
        assert http(url.replace("/v1/query", "/v1/querybatch"), query_body("demo-pkg", "1.0"))[0] == 404
        assert http(url)[0] == 404
    assert capfd.readouterr().err == ""
    with pytest.raises(urllib.error.URLError):
        NO_PROXY.open(urllib.request.Request(url, data=query_body("demo-pkg", "1.0")), timeout=2)


# --------------------------------------------------------------------------- real pip-audit

def run_pip_audit(requirements: Path, url: str, cache: Path) -> tuple[int, dict[str, Any]]:
    pip_audit = Path(sys.executable).parent / "pip-audit"
    cmd = [str(pip_audit), "-r", str(requirements), "--disable-pip", "--no-deps", "-s", "osv",
           "--osv-url", url, "-f", "json", "--progress-spinner", "off", "--cache-dir", str(cache)]
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.skipif(not (Path(sys.executable).parent / "pip-audit").exists(), reason="pip-audit not installed")
@pytest.mark.slow
def test_pip_audit_end_to_end_against_local_osv(tmp_path: Path) -> None:
    vulnerable = write(tmp_path / "vuln.txt", "".join(f"{n}=={v}\n" for n, v in VULNERABLE_PINS.items()))
    fixed = write(tmp_path / "fixed.txt", "".join(f"{n}=={v}\n" for n, v in FIXED_PINS.items()))
    with serve(AdvisoryDB.load(FIXTURES)) as url:
        code_vuln, report_vuln = run_pip_audit(vulnerable, url, tmp_path / "cache")
        code_fixed, report_fixed = run_pip_audit(fixed, url, tmp_path / "cache")
    by_name = {dep["name"]: dep for dep in report_vuln["dependencies"]}
    assert set(by_name) == set(VULNERABLE_PINS)
    for name, dep in by_name.items():
        assert "skip_reason" not in dep, name
        assert dep["vulns"] and all(v["fix_versions"] for v in dep["vulns"]), name
    assert code_vuln == 1
    assert {dep["name"] for dep in report_fixed["dependencies"]} == set(FIXED_PINS)
    assert [v for dep in report_fixed["dependencies"] for v in dep.get("vulns", [])] == []
    assert [dep for dep in report_fixed["dependencies"] if "skip_reason" in dep] == []
    assert code_fixed == 0
