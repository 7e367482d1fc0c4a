"""Engine pieces on their own: registry, curl quoting through a real shell, spec loading and line location,
the client's scope, and inconclusive marking."""

from __future__ import annotations

import asyncio
import json
import subprocess

import pytest

from secscan.errors import UsageError
from secscan_probes.engine.evidence import curl_command
from secscan_probes.engine.http import ApiClient, OutOfScope
from secscan_probes.engine.registry import Registry, discover, probe
from secscan_probes.engine.spec import load_spec
from secscan_probes.engine.spec_parts import locate_operations
from secscan_probes.engine.tenants import Tenant, Tenants
from tests.probes.probe_support import SPEC

YAML_SPEC = """\
openapi: 3.0.3
info: {title: t, version: '1'}
servers:
  - url: http://127.0.0.1:{port}/api
    variables: {port: {default: '8123'}}
paths:
  /items:
    get:
      security: [{key: []}]
      responses: {'200': {description: ok}}
    'post':
      responses: {'201': {description: ok}}
  "/items/{item_id}":
    parameters:
      - {name: item_id, in: path, required: true, schema: {type: integer}}
    delete:
      responses: {'204': {description: gone}}
components:
  securitySchemes: {key: {type: apiKey, in: header, name: X-Key}}
"""

SWAGGER = {"swagger": "2.0", "info": {"title": "t", "version": "1"}, "host": "127.0.0.1:8124", "basePath": "/v1",
           "schemes": ["http"], "paths": {"/pets/{pet_id}": {"get": {
               "parameters": [{"name": "pet_id", "in": "path", "required": True, "type": "string"}],
               "responses": {"200": {"description": "ok"}}}}}}


def test_registry_discovers_this_tasks_probes_and_rejects_duplicates():
    registry = discover()
    assert registry.names() == ["credential-change", "logout", "auth", "bola", "bfla", "injection", "mass-assignment",
                                "excessive-data", "rate-limit"]
    assert registry.get("bola").owasp == "API1:2023" and registry.get("bola").min_tenants == 2
    private = Registry()

    async def one(ctx):
        return []

    async def two(ctx):
        return []

    probe("x", owasp="API8:2023", registry=private)(one)
    with pytest.raises(ValueError, match="duplicate probe name 'x'"):
        probe("x", owasp="API8:2023", registry=private)(two)


def test_class_probes_register_too():
    private = Registry()

    @probe("cls", owasp="API4:2023", registry=private)
    class Burst:
        async def run(self, ctx):
            return [ctx]

    assert asyncio.run(private.get("cls").run("context")) == ["context"]


def test_curl_is_redacted_and_reproducible_in_a_real_shell():
    secrets = {"s3cr3t-value": "$SECSCAN_TOKEN_BOB"}
    cmd = curl_command("PUT", "http://127.0.0.1:1/books/3?q=a b", {"Authorization": "Bearer s3cr3t-value",
                       "X-Note": "it's $HOME"}, {"title": "o'neil \"x\""}, secrets)
    assert "s3cr3t-value" not in cmd
    assert cmd.startswith("curl -sS -X PUT 'http://127.0.0.1:1/books/3?q=a b' -H \"Authorization: Bearer "
                          "$SECSCAN_TOKEN_BOB\"")
    echo = cmd.replace("curl -sS -X PUT", "printf '%s\\n'", 1)
    out = subprocess.run(["bash", "-c", echo], capture_output=True, text=True, check=True,
                         env={"SECSCAN_TOKEN_BOB": "expanded", "HOME": "/nowhere"}).stdout.splitlines()
    assert out == ["http://127.0.0.1:1/books/3?q=a b", "-H", "Authorization: Bearer expanded", "-H",
                   "X-Note: it's $HOME", "--data", '{"title":"o\'neil \\"x\\""}']


def test_yaml_spec_lines_security_and_server_variables(tmp_path):
    path = tmp_path / "api.yaml"
    path.write_text(YAML_SPEC)
    spec = load_spec(str(path))
    assert spec.base_url == "http://127.0.0.1:8123/api"
    assert {op.label: op.line for op in spec.operations} == {
        "GET /items": 8, "POST /items": 11, "DELETE /items/{item_id}": 16}
    assert spec.find("GET", "/items").requires_auth and not spec.find("POST", "/items").requires_auth
    assert spec.find("DELETE", "/items/{item_id}").path_params == ("item_id",)


def test_swagger_2_base_url_and_parameters(tmp_path):
    path = tmp_path / "swagger.json"
    path.write_text(json.dumps(SWAGGER))
    spec = load_spec(str(path))
    assert spec.base_url == "http://127.0.0.1:8124/v1"
    op = spec.find("GET", "/pets/{pet_id}")
    assert op.param("pet_id").schema.get("type") == "string" and op.line == 1  # minified: one line


def test_locate_operations_on_the_fixture_spec():
    found = locate_operations(SPEC.read_text())
    lines = SPEC.read_text().splitlines()
    assert len(found) == 19
    for (method, _path), line in found.items():
        assert lines[line - 1].strip() == f'"{method}": {{'


def test_not_a_spec_and_missing_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": "world"}')
    with pytest.raises(UsageError, match="not an OpenAPI document"):
        load_spec(str(bad))
    with pytest.raises(UsageError, match="no such file"):
        load_spec(str(tmp_path / "missing.json"))


def test_url_spec_is_fetched_only_in_scope(vulnerable):
    spec = load_spec(f"{vulnerable.base_url}/openapi.json", vulnerable.base_url)
    assert spec.find("GET", "/users/me") is not None and spec.file is None
    with pytest.raises(UsageError, match="outside the scope"):
        load_spec(f"{vulnerable.base_url}/openapi.json", "http://127.0.0.1:9")


def test_client_refuses_out_of_scope_requests():
    tenants = Tenants((Tenant("alice", headers={"Authorization": "Bearer tok-alice"}),), {"tok-alice": "$T"})

    async def attempt():
        async with ApiClient("http://127.0.0.1:9", tenants) as client:
            with pytest.raises(OutOfScope):
                await client.request("GET", "http://example.invalid/x", tenant="alice")
            with pytest.raises(OutOfScope):
                await client.request("GET", "http://127.0.0.1:10/x")
            return client.notes, client.requests_made

    notes, made = asyncio.run(attempt())
    assert made == 0 and notes[0] == ("warning", "refused out-of-scope request GET http://example.invalid/x "
                                                 "(scope is http://127.0.0.1:9)")


def test_generated_examples_never_carry_shell_or_sql_metacharacters():
    """Baselines must not inject by accident: a schemathesis string like 'J>cS5^:J81' once created a file."""
    import re

    from secscan_probes.engine.spec import _generate, load_spec, tame
    from tests.probes.probe_support import SPEC

    spec = load_spec(str(SPEC), "http://127.0.0.1:9")
    ping = spec.find("POST", "/tools/ping")
    for _ in range(25):
        example = _generate(spec.schema[ping.path][ping.method], ping.body_schema)
        values = [str(v) for v in (example.body or {}).values()]
        assert not any(re.search(r"[;&|`$()<>\\'\"*?{}!#\n]", v) for v in values), example.body
    assert tame({"a": ["x;rm -rf /", 3], "b": "{{7*7}}"}) == {"a": ["xxrm -rf /", 3], "b": "xx7x7xx"}


def test_path_values_recovers_the_parents_a_request_used():
    from secscan_probes.engine.created import path_values

    assert path_values("/buckets/{bucket_id}/collections", "http://h:1/v1/buckets/b%201/collections") == {
        "bucket_id": "b 1"}
    assert path_values("/a/{x}/b/{y}", "http://h/a/1/b/2/?q=3") == {"x": "1", "y": "2"}
    assert path_values("/a/{x}", "http://h/other/1") == {}
