"""Issue 10, the API side: hostile specs, servers and credentials never make secscan a pivot, a leak, a casualty
or a liar. Every case runs the real CLI in a child process (with a memory cap) against real loopback servers."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from secscan.errors import EXIT_SCAN_ERROR, EXIT_USAGE
from tests.childproc import run_secscan
from tests.hostile_servers import drip, flood, gzip_bomb, hostile, json_reply, server_error, spec, tenants_yaml

pytestmark = pytest.mark.slow  # real tools, real servers (see the slow marker in pyproject.toml)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def api(tmp: Path, spec_ref: str | Path, base_url: str | None, *extra: str, tenants: str | None = None,
        env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    tokens = write(tmp, "tenants.yaml", tenants or tenants_yaml())
    args = ["api", "--openapi", str(spec_ref), "--tokens", str(tokens), "-o", str(tmp / "out.sarif"),
            *(["--base-url", base_url] if base_url else []), *extra]
    if env is None:
        return run_secscan(*args, cwd=tmp, timeout=300)
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "secscan.cli", *args], cwd=tmp, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **env})


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("secscan: error: ")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr[-2000:]
    return lines[0]


# --- specs --------------------------------------------------------------------------------------------------


def test_an_external_ref_to_another_host_is_refused_and_never_fetched(tmp_path):
    with hostile() as (tripwire, hits), hostile() as (target, target_hits):
        doc = spec(target)
        doc["paths"]["/items"]["get"]["responses"]["200"]["content"] = {
            "application/json": {"schema": {"$ref": f"{tripwire}/x.json"}}}
        local = api(tmp_path, write(tmp_path, "openapi.json", json.dumps(doc)), None)
        served = api(tmp_path, f"{target}/openapi.json", target)  # a spec the target itself serves
        assert hits == {} and target_hits["/me"] == 0
    assert local.returncode == EXIT_USAGE and f"$ref '{tripwire}/x.json' points outside" in one_line_error(local.stderr)
    assert served.returncode == EXIT_USAGE or "404" in served.stderr  # (nothing served at /openapi.json)


def test_the_target_s_own_spec_may_not_point_elsewhere(tmp_path):
    with hostile() as (tripwire, hits):
        doc = spec(None, {"x-extra": {"$ref": f"{tripwire}/x.json"}})
        with hostile(documents={"/openapi.json": doc}) as (target, _):
            result = api(tmp_path, f"{target}/openapi.json", target)
        assert hits == {}
    assert result.returncode == EXIT_USAGE and "may only refer to itself" in one_line_error(result.stderr)


def test_file_refs_outside_the_spec_directory_are_refused_inside_ones_work(tmp_path):
    secret = write(tmp_path, "secret.json", json.dumps({"type": "string", "example": "s3cr3t-from-disk"}))
    with hostile() as (target, hits):
        for ref in (secret.resolve().as_uri(), "../secret.json", "/etc/passwd"):
            doc = spec(target, {"x-extra": {"$ref": ref}})
            result = api(tmp_path, write(tmp_path / "spec", "openapi.json", json.dumps(doc)), None)
            assert result.returncode == EXIT_USAGE, result.stderr
            assert f"$ref {ref!r} points outside the spec's directory" in one_line_error(result.stderr)
        assert hits == {}
        write(tmp_path / "spec" / "schemas", "name.json", json.dumps({"type": "string"}))
        doc = spec(target)
        doc["paths"]["/me"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"][
            "name"] = {"$ref": "schemas/name.json"}
        inside = api(tmp_path, write(tmp_path / "spec", "openapi.json", json.dumps(doc)), None)
    assert inside.returncode != EXIT_USAGE, inside.stderr[-2000:]
    assert "s3cr3t-from-disk" not in (tmp_path / "out.sarif").read_text()


@pytest.mark.parametrize("kind", ["fifo", "huge"])
def test_a_ref_to_a_fifo_or_a_huge_file_is_refused_before_reading(tmp_path, kind):
    """Adversarial pass: a $ref to a FIFO in the spec's directory hung the run; one to a 7 GB sparse file was read
    whole into memory before the size check."""
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    target = spec_dir / "part.json"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        with target.open("wb") as handle:
            handle.truncate(3 * 2**30)  # sparse: 3 GiB that cost no disk
    doc = spec("http://127.0.0.1:9", {"x-extra": {"$ref": "part.json"}})
    result = api(tmp_path, write(spec_dir, "openapi.json", json.dumps(doc)), None)
    expected = "not a regular file" if kind == "fifo" else "larger than 20000000 bytes"
    assert result.returncode == EXIT_USAGE and expected in one_line_error(result.stderr)
    tenants_fifo = tmp_path / "tenants-fifo.yaml"
    os.mkfifo(tenants_fifo)
    refused = run_secscan("api", "--openapi", spec_dir / "openapi.json", "--tokens", tenants_fifo, cwd=tmp_path,
                          timeout=120)
    assert refused.returncode == EXIT_USAGE and "not a regular file" in one_line_error(refused.stderr)


def test_a_yaml_alias_bomb_is_refused_without_expanding(tmp_path):
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    bomb = "openapi: '3.0.3'\ninfo: {title: x, version: '1'}\npaths: {}\n" + "\n".join(levels) + "\n"
    result = api(tmp_path, write(tmp_path, "openapi.yaml", bomb), "http://127.0.0.1:9")
    assert result.returncode == EXIT_USAGE
    assert "YAML aliases are not allowed in a spec" in one_line_error(result.stderr)


@pytest.mark.parametrize(("content", "expected"), [
    (b"openapi: 3.0\ninfo: {title: x, version: '1'}\npaths: {}\n", "'openapi' must be a version string"),
    (b"openapi: '3.0.3'\ninfo: {title: \xff\xfe, version: '1'}\npaths: {}\n", "not UTF-8 text (invalid byte 0xff"),
    (b"openapi: '3.0.3'\ninfo: {title: x, version: '1'}\npaths: {}\n", "nothing to test: the spec documents no op"),
    (b"swagger: '1.2'\npaths: {}\n", "unsupported swagger version '1.2'"),
])
def test_broken_specs_are_one_line_errors_with_exit_2(tmp_path, content, expected):
    path = tmp_path / "openapi.yaml"
    path.write_bytes(content)
    result = api(tmp_path, path, "http://127.0.0.1:9")
    assert result.returncode == EXIT_USAGE and expected in one_line_error(result.stderr)


# --- servers ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("behaviour", "note"), [
    (drip, "no complete response within 2 s"),
    (flood(100), "response body larger than 10000000 bytes (decoded)"),
    (gzip_bomb, "response body larger than 10000000 bytes (decoded)"),
])
def test_hostile_replies_become_notes_and_the_scan_goes_on(tmp_path, behaviour, note):
    with hostile(routes={"/items": behaviour}) as (target, hits):
        spec_path = write(tmp_path, "openapi.json", json.dumps(spec(target)))
        result = api(tmp_path, spec_path, None, "--timeout", "2", "--probes", "auth,excessive-data")
    assert result.returncode in (0, 1, EXIT_SCAN_ERROR) and "Traceback" not in result.stderr, result.stderr[-2000:]
    doc = json.loads((tmp_path / "out.sarif").read_text())
    notes = [n["message"]["text"] for n in doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]]
    assert any(note in n for n in notes), notes
    assert hits["/items"] >= 1 and hits["/me"] >= 2


def test_proxy_variables_are_ignored_and_proxy_is_explicit(tmp_path):
    with hostile() as (proxy, proxied), hostile() as (target, hits):
        spec_path = write(tmp_path, "openapi.json", json.dumps(spec(target)))
        env = {"HTTP_PROXY": proxy, "http_proxy": proxy, "ALL_PROXY": proxy, "NO_PROXY": ""}
        ignored = api(tmp_path, spec_path, None, "--probes", "auth", env=env)
        assert sum(proxied.values()) == 0 and hits["/me"] >= 2, ignored.stderr[-1000:]
        hits.clear()
        explicit = api(tmp_path, spec_path, None, "--probes", "auth", "--proxy", proxy)
        assert sum(proxied.values()) > 0 and hits == {}, explicit.stderr[-1000:]


def test_a_target_that_fails_everything_cannot_pass(tmp_path):
    routes = {"/me": server_error, "/items": server_error, "/": server_error}
    with hostile(routes=routes) as (target, _):
        result = api(tmp_path, write(tmp_path, "openapi.json", json.dumps(spec(target))), None)
    assert result.returncode in (EXIT_USAGE, EXIT_SCAN_ERROR), result.stderr[-1500:]
    assert "PASS" not in result.stderr


def test_an_exhausted_budget_is_not_a_pass(tmp_path):
    with hostile() as (target, _):
        result = api(tmp_path, write(tmp_path, "openapi.json", json.dumps(spec(target))), None, "--max-requests", "12")
    assert result.returncode == EXIT_SCAN_ERROR, result.stderr[-1500:]
    assert "the request budget of 12 ran out" in result.stderr


# --- credentials -------------------------------------------------------------------------------------------


def test_a_query_credential_never_appears_in_any_encoding(tmp_path):
    value = "Zm9v+YmFy/x=="
    tenants = ("tenants:\n  alice:\n    headers: {Authorization: \"Bearer tok-alice-1\"}\n"
               f"    query: {{api_key: \"{value}\"}}\n  bob:\n    headers: {{Authorization: \"Bearer tok-bob-2\"}}\n")

    def leaky_echo(handler):  # a password hash (a finding, so a curl) and the request line echoed back
        json_reply(handler, 200, [{"id": 1, "password_hash": "$2b$12$abcdefghijklmnopqrstuv", "seen": handler.path}])

    with hostile(routes={"/items": leaky_echo}) as (target, _):
        spec_path = write(tmp_path, "openapi.json", json.dumps(spec(target)))
        result = api(tmp_path, spec_path, None, "--probes", "auth,excessive-data", "--html",
                     str(tmp_path / "r.html"), "--format", "json", tenants=tenants)
    outputs = [result.stdout, result.stderr, (tmp_path / "out.sarif").read_text(), (tmp_path / "r.html").read_text()]
    for spelling in {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1],
                     base64.b64encode(value.encode()).decode()}:
        assert not any(spelling in text for text in outputs), spelling
    assert "$SECSCAN_TOKEN_ALICE_2" in outputs[2]


def test_credentials_with_a_line_break_are_refused_by_name(tmp_path):
    tenants = "tenants:\n  alice:\n    headers: {Authorization: \"Bearer tok\\nX-Injected: 1\"}\n"
    result = api(tmp_path, write(tmp_path, "openapi.json", json.dumps(spec("http://127.0.0.1:9"))), None,
                 tenants=tenants)
    message = one_line_error(result.stderr)
    assert result.returncode == EXIT_USAGE and "tenant alice, key headers.Authorization" in message
    assert "tok" not in message.split("key headers.Authorization", 1)[1]


def test_a_password_in_the_base_url_is_refused(tmp_path):
    result = api(tmp_path, write(tmp_path, "openapi.json", json.dumps(spec(None))), "http://u:hunter2@127.0.0.1:9")
    message = one_line_error(result.stderr)
    assert result.returncode == EXIT_USAGE and "put credentials in tenants.yaml" in message
    assert "hunter2" not in result.stderr and not (tmp_path / "out.sarif").exists()


def test_duplicate_tenant_names_are_refused(tmp_path):
    tenants = tenants_yaml() + "  alice:\n    headers: {Authorization: \"Bearer other\"}\n"
    result = api(tmp_path, write(tmp_path, "openapi.json", json.dumps(spec("http://127.0.0.1:9"))), None,
                 tenants=tenants)
    assert result.returncode == EXIT_USAGE and "duplicate key 'alice'" in one_line_error(result.stderr)


# --- outputs and internal errors -------------------------------------------------------------------------------


def test_an_unwritable_output_is_refused_before_any_request(tmp_path):
    (tmp_path / "afile").write_text("x")
    with hostile() as (target, hits):
        spec_path = write(tmp_path, "openapi.json", json.dumps(spec(target)))
        tokens = write(tmp_path, "tenants.yaml", tenants_yaml())
        result = run_secscan("api", "--openapi", spec_path, "--tokens", tokens, "-o", tmp_path / "afile" / "o.sarif",
                             cwd=tmp_path)
    assert result.returncode == EXIT_USAGE and "cannot write" in one_line_error(result.stderr)
    assert hits == {}


def test_an_internal_error_exits_3_in_one_line_and_keeps_what_was_found(tmp_path, monkeypatch):
    """Any exception escaping a command: one line, exit 3 (never 1, "findings"), the finished runs still written."""
    from click.testing import CliRunner

    from secscan import pipeline
    from secscan.cli import cli

    (tmp_path / "app.py").write_text("import subprocess\nsubprocess.call('ls ' + input(), shell=True)\n")

    def broken_conclude(plan, runs):
        raise RuntimeError("conclude broke\nacross lines")

    monkeypatch.setattr(pipeline, "conclude", broken_conclude)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "partial.sarif"
    result = CliRunner().invoke(cli, ["static", "--tools", "bandit", "-o", str(out), str(tmp_path)])
    lines = [line for line in result.stderr.splitlines() if "internal error" in line]
    assert result.exit_code == EXIT_SCAN_ERROR, result.output
    assert lines == ["secscan: internal error: RuntimeError: conclude broke across lines; the 1 tool run(s) that "
                     f"finished are in {out}; rerun with --debug for the traceback"]
    assert "Traceback" not in result.stderr
    doc = json.loads(out.read_text())
    assert [r["tool"]["driver"]["name"] for r in doc["runs"]] == ["bandit"]
    assert any(r["ruleId"] == "B602" for r in doc["runs"][0]["results"])

    debug = CliRunner().invoke(cli, ["--debug", "static", "--tools", "bandit", "-o", str(out), str(tmp_path)])
    assert debug.exit_code == EXIT_SCAN_ERROR and "Traceback" in debug.stderr and "broken_conclude" in debug.stderr


@pytest.mark.parametrize("servers", [
    [{"url": "http://127.0.0.1:{port}/api"}],
    [{"url": "http://{host}:{port}/api", "variables": {"host": {"default": "127.0.0.1"}, "port": {"default": "P"}}}],
    [{"url": "//127.0.0.1:{port}/api"}],
])
def test_a_fetched_spec_cannot_send_credentials_to_another_host(tmp_path, servers):
    """Adversarial pass: a spec served by host A whose `servers` name host B got both tenants' tokens sent to B."""
    with hostile() as (other, other_hits):
        port = other.rsplit(":", 1)[1]
        named = json.loads(json.dumps(servers).replace("{port}", port).replace('"P"', f'"{port}"'))
        doc = spec()
        doc["servers"] = named
        with hostile(documents={"/openapi.json": doc}) as (target, hits):
            tokens = write(tmp_path, "tenants.yaml", tenants_yaml())
            result = run_secscan("api", "--openapi", f"{target}/openapi.json", "--tokens", tokens, cwd=tmp_path)
    assert result.returncode == EXIT_USAGE, result.stderr[-1500:]
    assert f"names a server on another host (http://127.0.0.1:{port})" in one_line_error(result.stderr)
    assert other_hits == {}


@pytest.mark.parametrize("token", ["tökAliceSecretA", "tokAliceSecret\r\nX-Injected: 1"])
def test_a_login_token_that_cannot_go_into_a_header_is_refused_without_showing_it(tmp_path, token):
    """Adversarial pass: a non-ASCII token from a login reply was an internal error (exit 3); one with CRLF was
    printed in full inside httpx's LocalProtocolError."""

    def login(handler):
        json_reply(handler, 200, {"access_token": token})

    tenants = ("tenants:\n  alice:\n    credentials: {username: alice, password: pw-alice-123}\n"
               "    login: {path: /login, json: {username: '{username}', password: '{password}'}, token: access_token}\n"
               "  bob:\n    headers: {Authorization: \"Bearer tok-bob-2\"}\n")
    with hostile(routes={"/login": login}) as (target, hits):
        result = api(tmp_path, write(tmp_path, "openapi.json", json.dumps(spec(target))), None, tenants=tenants)
    message = one_line_error(result.stderr)
    assert result.returncode == EXIT_USAGE, result.stderr[-1500:]
    assert "tenant alice: login POST /login returned the token at 'access_token' with characters that cannot go into an " \
           "HTTP header" in message, message
    assert "AliceSecret" not in result.stderr + result.stdout


def test_almost_nothing_exercised_cannot_pass(tmp_path):
    """Adversarial pass: 600 operations that all answer 404 and one identity endpoint ended `1 of 601 operations
    exercised (0%)` and PASS. Below --min-coverage (default 10%) the run fails (exit 3); --min-coverage 0 accepts."""
    with hostile() as (target, _):
        doc = spec(target)
        for i in range(40):
            doc["paths"][f"/things{i}"] = {"get": {"responses": {"200": {"description": "ok"}}}}
        spec_path = write(tmp_path, "openapi.json", json.dumps(doc))
        result = api(tmp_path, spec_path, None, "--probes", "auth")
        accepted = api(tmp_path, spec_path, None, "--probes", "auth", "--min-coverage", "0")
    assert result.returncode == EXIT_SCAN_ERROR, result.stderr[-1500:]
    assert "coverage 2% is below --min-coverage 10%" in result.stderr
    assert accepted.returncode == 0, accepted.stderr[-1500:]


def test_two_outputs_naming_one_file_are_refused(tmp_path):
    """Adversarial pass: `-o x.sarif --html x.sarif` left HTML in x.sarif while the summary said `SARIF: x.sarif`."""
    (tmp_path / "app.py").write_text("print(1)\n")
    result = run_secscan("static", "--tools", "bandit", "-o", "x.sarif", "--html", "./x.sarif", ".", cwd=tmp_path)
    assert result.returncode == EXIT_USAGE
    assert "two outputs name the same file" in one_line_error(result.stderr)
    assert not (tmp_path / "x.sarif").exists()
