"""Fuzz the three loaders (config, suppression file, baseline): for any input, a valid result or ConfigError with
one line naming the file; never another exception (no traceback reaches the user)."""

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
from secscan.errors import ConfigError
from secscan.suppressions import parse_ignore_text

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
