"""Fuzz the loaders (config, suppression file, baseline, OpenAPI spec, tenants.yaml): for any input, a valid result
or ConfigError/UsageError with one line naming the file; never another exception (no traceback reaches the user)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secscan import config as config_mod
from secscan.baseline import parse_baseline_text
from secscan.errors import ConfigError, UsageError
from secscan.suppressions import parse_ignore_text
from secscan_probes.engine.spec import load_spec
from secscan_probes.engine.tenants import load_tenants

KEYS = ["tools", "paths", "exclude", "timeout", "tool_options", "fail_on", "fail_on_tool_error", "fail_on_existing",
        "rules", "advisory_db", "allow_unaudited", "baseline", "suppressions", "api", "bandit", "semgrep", "B602",
        "severity", "enabled", "tool", "extra_args", "openapi", "tokens", "base_url", "probes", "rate",
        "max_requests", "concurrency", "burst", "burst_window", "allow_destructive", "version", "findings",
        "fingerprint", "rule", "path", "operation", "reason", "expires", "first_seen"]
WORDS = ["high", "low", "bandit", "semgrep", "bola", "2027-03-31", "2027-02-31", "0123456789abcdef0123456789abcdef",
         "src/*.py", "GET /books/{id}", "", " ", "inf", "nan", "-1", "1e999"]
SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
                    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(WORDS), st.text(max_size=20))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner,
                                                 max_size=5)), max_leaves=20)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=6)


def _check(call: Any) -> None:
    try:
        call()
    except ConfigError as exc:
        assert "\n" not in str(exc) and str(exc).strip()


def _toml_text(data: dict[str, Any]) -> str:
    """A rough TOML rendering (inline tables and arrays): good enough to reach the validators."""
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{json.dumps(str(k))} = {value(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if v is None:
            return '""'
        return json.dumps(v) if not isinstance(v, float) else repr(v).replace("inf", "inf")
    return "".join(f"{json.dumps(k)} = {value(v)}\n" for k, v in data.items())


def _load_config_file(text: str, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        config_mod.load(Path(tmp), path)


@SETTINGS
@given(st.text(max_size=300))
def test_config_any_text(text: str):
    _check(lambda: _load_config_file(text, "secscan.toml"))
    _check(lambda: _load_config_file(text, "pyproject.toml"))


@SETTINGS
@given(documents)
def test_config_any_structure(data: dict[str, Any]):
    _check(lambda: config_mod.validate(data, "secscan.toml"))
    _check(lambda: _load_config_file(_toml_text(data), "secscan.toml"))


@SETTINGS
@given(st.text(max_size=300))
def test_suppressions_any_text(text: str):
    _check(lambda: parse_ignore_text(text, ".secscan-ignore.yaml"))


@SETTINGS
@given(st.one_of(documents, st.builds(lambda entries: {"suppressions": entries},
                                      st.lists(documents, max_size=3)), values))
def test_suppressions_any_structure(data: Any):
    _check(lambda: parse_ignore_text(yaml.safe_dump(data), ".secscan-ignore.yaml"))


@SETTINGS
@given(st.text(max_size=300))
def test_baseline_any_text(text: str):
    _check(lambda: parse_baseline_text(text, ".secscan-baseline.json"))


@SETTINGS
@given(st.one_of(documents, st.builds(lambda version, entries: {"version": version, "findings": entries},
                                      st.one_of(st.integers(), scalars), st.lists(documents, max_size=3)), values))
def test_baseline_any_structure(data: Any):
    _check(lambda: parse_baseline_text(json.dumps(data), ".secscan-baseline.json"))


def test_pathological_inputs():
    deep = "[" * 5000 + "]" * 5000
    for text in (deep, "a = " + deep, "x: " + deep, '{"version": 1, "findings": ' + deep + "}", "\x00\ufeff",
                 "suppressions: !!python/object:os.system x", "suppressions:\n  - expires: 2027-13-45\n"):
        _check(lambda t=text: _load_config_file(t, "secscan.toml"))
        _check(lambda t=text: parse_ignore_text(t, "ig.yaml"))
        _check(lambda t=text: parse_baseline_text(t, "b.json"))


# --- the API side: spec loader and tenants loader -----------------------------------------------------------------

SPEC_KEYS = ["openapi", "swagger", "info", "paths", "servers", "components", "security", "url", "get", "post",
             "parameters", "requestBody", "responses", "$ref", "schemas", "name", "in", "schema", "type"]
SPEC_WORDS = ["3.0.3", "3.1.0", "2.0", "http://127.0.0.1:9/x.json", "file:///etc/passwd", "#/components/schemas/X",
              "other.yaml", "../../outside.json", "/items/{id}", "path", "query", "object", "string"]
spec_scalars = st.one_of(scalars, st.sampled_from(SPEC_WORDS))
spec_values = st.recursive(spec_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.one_of(st.sampled_from(SPEC_KEYS), st.text(max_size=6)), inner,
                                                 max_size=4)), max_leaves=25)
spec_documents = st.fixed_dictionaries({"openapi": st.one_of(st.sampled_from(["3.0.3", "3.1.0"]), spec_scalars)},
                                       optional={"info": spec_values, "paths": spec_values, "servers": spec_values,
                                                 "components": spec_values})
TENANT_KEYS = ["tenants", "alice", "bob", "headers", "cookies", "query", "login", "credentials", "url", "path",
               "form", "json", "token", "csrf", "Authorization", "username", "password", "header", "cookie", "role"]
tenant_values = st.recursive(st.one_of(scalars, st.sampled_from(["Bearer x", "${NO_SUCH_VAR}", "{username}"])),
                             lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(
                                 st.one_of(st.sampled_from(TENANT_KEYS), st.text(max_size=6)), inner, max_size=4)),
                             max_leaves=25)


def _check_usage(call: Any) -> None:
    try:
        call()
    except UsageError as exc:
        assert "\n" not in str(exc) and str(exc).strip()


def _load_spec_text(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "openapi.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        load_spec(str(path), base_url="http://127.0.0.1:9")


def _load_tenants_text(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tenants.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        load_tenants(path, environ={"SET_VAR": "v"})


@SETTINGS
@given(st.one_of(st.text(max_size=300), st.binary(max_size=200)))
def test_spec_any_text(text: str | bytes):
    _check_usage(lambda: _load_spec_text(text))


@SETTINGS
@given(spec_documents)
def test_spec_any_structure(data: dict[str, Any]):
    _check_usage(lambda: _load_spec_text(json.dumps(data, default=str)))
    _check_usage(lambda: _load_spec_text(yaml.safe_dump(data)))


@SETTINGS
@given(st.text(max_size=300))
def test_tenants_any_text(text: str):
    _check_usage(lambda: _load_tenants_text(text))


@SETTINGS
@given(st.one_of(tenant_values, st.builds(lambda t: {"tenants": t}, tenant_values)))
def test_tenants_any_structure(data: Any):
    _check_usage(lambda: _load_tenants_text(yaml.safe_dump(data)))


def test_pathological_api_inputs():
    deep = "[" * 5000 + "]" * 5000
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    for text in (deep, "openapi: " + deep, bomb, "\x00\ufeff", "openapi: !!python/object:os.system x",
                 "openapi: 3.0\npaths: {}\n", '{"openapi": "3.0.3", "paths": {"/x": {"get": {"$ref": "#"}}}}'):
        _check_usage(lambda t=text: _load_spec_text(t))
        _check_usage(lambda t=text: _load_tenants_text(t))
