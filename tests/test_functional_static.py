"""Functional corpus: the exact (tool, rule, file, line) set on the vulnerable app, nothing at medium or above on
its fixed twin, GitHub-ready SARIF, and no secret value from the fixtures in any output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from secscan.cli import cli
from secscan.errors import EXIT_OK, EXIT_POLICY_FAILED
from tests.conftest import ADVISORIES, REPO, validate_sarif

pytestmark = pytest.mark.slow  # real tools, real servers (see the slow marker in pyproject.toml)

VULN = REPO / "fixtures" / "vuln_apps" / "static_vuln"
FIXED = REPO / "fixtures" / "vuln_apps" / "static_fixed"

# tool  file  line:rule ...   (continuation lines start with spaces)
EXPECTED_VULN = """
bandit api.py 4:B404 5:B408 24:B501 52:B101 66:B602 72:B318
bandit app.py 6:B403 20:B105 43:B704 49:B307 56:B102 68:B301 74:B113 81:B113 81:B501 99:B605 137:B608 162:B104
              162:B201
bandit auth.py 18:B324 42:B311 46:B311
bandit backoffice/views.py 16:B608 23:B308 23:B703 29:B301
bandit db.py 4:B403 30:B608 52:B608 58:B608 65:B608 72:B608 78:B301
bandit settings.py 13:B105 14:B105 19:B105 20:B105 27:B105
bandit utils.py 16:B701 21:B506 26:B302 30:B306 44:B323
detect-secrets app.py 20:secret-keyword
detect-secrets config.env 6:slack-token 7:basic-auth-credentials 8:secret-keyword
detect-secrets settings.py 13:secret-keyword 14:secret-keyword 17:basic-auth-credentials 18:aws-access-key
                           19:aws-access-key 19:base64-high-entropy-string 19:secret-keyword
                           20:base64-high-entropy-string 20:github-token 21:secret-keyword 21:stripe-access-key
                           22:json-web-token 23:hex-high-entropy-string 24:base64-high-entropy-string
                           27:secret-keyword 31:private-key
pip-audit requirements.txt 3:PYSEC-2018-66 3:PYSEC-2019-179 3:PYSEC-2023-62 4:PYSEC-2018-28 4:PYSEC-2023-74
                           5:PYSEC-2020-96 5:PYSEC-2021-142 6:PYSEC-2019-217 6:PYSEC-2021-66 7:PYSEC-2017-24
                           7:PYSEC-2022-202 8:PYSEC-2019-132 8:PYSEC-2019-133 8:PYSEC-2020-148 8:PYSEC-2021-108
                           8:PYSEC-2023-192 8:PYSEC-2023-207 8:PYSEC-2023-212
semgrep api.py 16:fastapi-debug-enabled 17:fastapi-cors-wildcard-credentials 24:tls-verify-disabled
               45:fastapi-route-missing-auth-dependency 52:assert-used-for-authorization 58:ssrf-request-url-taint
               66:command-injection-taint
semgrep app.py 20:hardcoded-flask-secret-key 21:flask-cors-wildcard-credentials 30:open-redirect-taint
               31:cookie-missing-httponly-flag 31:cookie-missing-secure-flag 38:xss-reflected-taint
               43:xss-reflected-taint 49:code-injection-taint 56:code-injection-taint 68:deserialization-taint
               74:ssrf-request-url-taint 81:ssrf-request-url-taint 81:tls-verify-disabled 87:path-traversal-taint
               93:path-traversal-taint 99:command-injection-taint 106:xxe-taint 113:mass-assignment-request-kwargs
               124:mass-assignment-setattr-loop 137:sql-injection-taint 162:bind-all-interfaces
               162:flask-debug-enabled
semgrep auth.py 18:weak-hash-algorithm 27:jwt-encode-hardcoded-key 32:jwt-signature-verification-disabled
                37:jwt-none-algorithm 42:insecure-random-for-secrets 46:insecure-random-for-secrets
semgrep backoffice/settings.py 8:django-debug-true 9:django-allowed-hosts-wildcard
semgrep backoffice/views.py 16:sql-injection-taint 26:csrf-protection-disabled 29:deserialization-taint
semgrep directory.py 22:ldap-injection-taint 29:xpath-injection-taint 34:flask-csrf-protection-missing
                     35:trust-boundary-session-taint
semgrep live.py 16:aiohttp-debug-enabled 23:aiohttp-debug-enabled
semgrep settings.py 13:hardcoded-flask-secret-key 14:hardcoded-jwt-secret-variable
semgrep templates/note.html 5:template-unescaped-output 7:template-autoescape-disabled
semgrep utils.py 16:jinja2-autoescape-disabled 30:tempfile-mktemp 44:ssl-unverified-context
"""

# The fixed twin may keep these two LOW bandit notes: it still runs one subprocess, with an argument list.
ALLOWED_FIXED = {("bandit", "B404", "api.py", 6), ("bandit", "B603", "api.py", 75)}


def parse_table(text: str) -> set[tuple[str, str, str, int]]:
    rows: set[tuple[str, str, str, int]] = set()
    tool = path = ""
    for line in text.strip("\n").splitlines():
        words = line.split()
        if not line.startswith(" "):
            tool, path, words = words[0], words[1], words[2:]
        for item in words:
            number, rule = item.split(":", 1)
            rows.add((tool, rule, path, int(number)))
    return rows


def _run(target: Path, tmp: Path, fmt: str, *extra: str):
    out = tmp / f"{target.name}-{fmt}.sarif"
    result = CliRunner().invoke(cli, ["static", str(target), "-o", str(out), "--format", fmt,
                                      "--advisory-db", str(ADVISORIES), *extra])
    return result, json.loads(out.read_text()), out.read_text()


@pytest.fixture(scope="module")
def vuln(tmp_path_factory: pytest.TempPathFactory):
    return _run(VULN, tmp_path_factory.mktemp("vuln"), "json")


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory):
    return _run(FIXED, tmp_path_factory.mktemp("fixed"), "json", "--fail-on", "medium")


def _rows(data: dict, base: Path) -> set[tuple[str, str, str, int]]:
    prefix = base.relative_to(REPO).as_posix() + "/"
    return {(f["tool"], f["rule"], f["path"].removeprefix(prefix), f["line"]) for f in data["findings"]}


def test_every_tool_and_rule_family_fires_exactly_as_expected(vuln):
    result, doc, _ = vuln
    assert result.exit_code == EXIT_POLICY_FAILED, result.output
    data = json.loads(result.stdout)
    assert all(t["status"] == "ok" for t in data["tools"]), data["tools"]
    assert _rows(data, VULN) == parse_table(EXPECTED_VULN)
    validate_sarif(doc)


def test_every_rule_of_the_pack_fires_on_the_vulnerable_app():
    rules = {p.stem for p in (REPO / "rules").glob("*.yaml")}
    fired = {rule for tool, rule, _, _ in parse_table(EXPECTED_VULN) if tool == "semgrep"}
    assert rules == fired


def test_fixed_twin_has_nothing_at_medium_or_above(fixed):
    result, doc, _ = fixed
    assert result.exit_code == EXIT_OK, result.output
    assert _rows(json.loads(result.stdout), FIXED) <= ALLOWED_FIXED
    validate_sarif(doc)


def _fixture_secrets() -> set[str]:
    """The secret values in the vulnerable app, found independently with detect-secrets' library."""
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    with default_settings():
        found = SecretsCollection()
        for path in sorted(p for p in VULN.rglob("*") if p.is_file()):
            found.scan_file(str(path))
    return {s.secret_value for _, s in found if s.secret_value and len(s.secret_value) >= 6}


def test_no_secret_value_appears_in_sarif_json_text_or_stderr(vuln, tmp_path: Path):
    result, _, sarif_text = vuln
    text_result, _, text_sarif = _run(VULN, tmp_path, "text", "--tools", "bandit,detect-secrets")
    secrets = _fixture_secrets()
    assert len(secrets) >= 10
    outputs = {"sarif": sarif_text, "json": result.stdout, "stderr": result.stderr + text_result.stderr,
               "text": text_result.stdout, "text-run sarif": text_sarif}
    for name, output in outputs.items():
        leaked = sorted(s[:2] + "…" for s in secrets if s in output)
        assert not leaked, f"{name} contains secret values starting {leaked}"
    assert "AK…" in text_result.stdout  # the previews are there, so the findings were reported
