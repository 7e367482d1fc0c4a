"""Secrets in tool messages and source snippets (adversarial pass): a quote inside a hard-coded password ended the
redaction early, and URL passwords or `pass=value` lines reached the HTML in full."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from secscan.redact import scrub_line_secrets, scrub_secret_message


@pytest.mark.parametrize(("message", "expected"), [
    ("Possible hardcoded password: 'hunter2'", "Possible hardcoded password: 'hu…'"),
    ("Possible hardcoded password: 'AAAA'LeakedPasswordPart2xyz'", "Possible hardcoded password: 'AA…'"),
    ("Possible hardcoded password: 'BB\"CCLeakedViaDoubleQuote99'", "Possible hardcoded password: 'BB…'"),
])
def test_the_whole_quoted_tail_of_a_secret_message_is_redacted(message, expected):
    assert scrub_secret_message(message) == expected


@pytest.mark.parametrize(("line", "expected"), [
    ("pkg @ https://deploy:GhTokenLeak123456@host/pkg.whl", "pkg @ https://deploy:Gh…@host/pkg.whl"),
    ("# pass=Sup3rS3cr3t! for the staging box", "# pass=Su… for the staging box"),
    ("DB_PASSWORD=TopS3cretFromHostFile", "DB_PASSWORD=To…"),
    ("password = request.form['password']", "password = request.form['password']"),  # code stays readable
    ("if token == expected_token:", "if token == expected_token:"),
])
def test_unquoted_credentials_in_a_line_are_redacted(line, expected):
    assert scrub_line_secrets(line) == expected


def test_bandit_message_with_quotes_inside_the_password_leaks_nothing(tmp_path: Path):
    (tmp_path / "app.py").write_text("password = \"AAAA'LeakedPasswordPart2xyz\"\nsecret = 'BB\"CCLeakedViaDouble99'\n"
                                     "token = 'x'\n")
    out = tmp_path / "out.sarif"
    result = subprocess.run([sys.executable, "-m", "secscan.cli", "static", "--tools", "bandit", "-o", str(out),
                             "--format", "text", "--html", str(tmp_path / "r.html"), str(tmp_path)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=300)
    texts = [result.stdout, result.stderr, out.read_text(), (tmp_path / "r.html").read_text()]
    assert any(r["ruleId"] == "B105" for r in json.loads(texts[2])["runs"][0]["results"])
    for leaked in ("LeakedPasswordPart2xyz", "LeakedViaDouble99"):
        assert not any(leaked in t for t in texts), leaked
