"""The HTML report, parsed back with html.parser: self-contained, everything escaped, grouped by severity and
tool, states and evidence shown, no secrets (real bandit/detect-secrets and a real API run)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from secscan import html_report
from secscan.cli import cli
from secscan.errors import EXIT_POLICY_FAILED
from secscan.models import (
    Finding,
    KnownFinding,
    Location,
    Notification,
    Review,
    Rule,
    Severity,
    Status,
    Suppression,
    ToolRun,
)
from secscan.policy import Policy, decide
from secscan_demo.serve import serve
from secscan_demo.tenant_api.app import create_app, issue_token
from tests.conftest import REPO, validate_sarif

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class Page(HTMLParser):
    """Collects tags, attributes and the text under each element id/class of interest."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.headings: list[str] = []
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_heading = tag in ("h2", "h3")
        if self._in_heading:
            self.headings.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h2", "h3"):
            self._in_heading = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_heading:
            self.headings[-1] += data

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def _parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def _f(tool: str, severity: Severity, line: int, message: str = "m", **kw) -> Finding:
    rule = Rule(id=f"{tool}-rule", title="A rule", description="d", severity=severity, help_text="Fix it <now>.",
                help_uri=kw.pop("help_uri", "https://example.org/rule"), cwe=(78,))
    return Finding(tool=tool, rule=rule, message=message, location=Location("src/a.py", line), severity=severity,
                   fingerprint="ab" * 16, **kw)


def test_report_is_self_contained_escaped_and_grouped():
    suppressed = Suppression("inSource", f"reason {HOSTILE}", "src/a.py:3 # secscan: ignore")
    runs = [
        ToolRun("bandit", Status.OK, (_f("bandit", Severity.HIGH, 5, HOSTILE, baseline_state="new"),
                                      _f("bandit", Severity.LOW, 1, baseline_state="unchanged"),
                                      _f("bandit", Severity.HIGH, 3, suppression=suppressed,
                                         help_uri="javascript:alert(1)")), version="1.9.4"),
        ToolRun("semgrep", Status.TIMEOUT, notifications=(Notification("error", f"semgrep timed out {HOSTILE}"),)),
        ToolRun("secscan-api", Status.OK, (_f("secscan-api", Severity.CRITICAL, 40, logical_location="GET /x/{id}",
                                              properties={"evidence": [{"step": "attack", "status": 200,
                                                                        "curl": "curl -H \"Authorization: Bearer "
                                                                                "$SECSCAN_TOKEN_BOB\" '<u>'"}]}),)),
    ]
    absent = KnownFinding("cd" * 16, "bandit", "B105", "old.py", "2025-01-01")
    review = Review(baseline=".secscan-baseline.json", absent=(absent,), stale=(f"ig.yaml:3 {HOSTILE}",))
    html = html_report.render(runs, decide(runs, Policy(), review), review)
    page = _parse(html)
    tags = {tag for tag, _ in page.tags}
    assert not tags & {"script", "img", "link", "iframe", "object", "embed"}  # hostile text never became markup
    assert all("src" not in attrs and not any(k.startswith("on") for k in attrs) for _, attrs in page.tags)
    hrefs = [attrs["href"] for tag, attrs in page.tags if tag == "a"]
    assert hrefs == ["https://example.org/rule"] * 3  # the javascript: help URI of the 4th finding is not a link
    assert HOSTILE in page.all_text and page.all_text.count(HOSTILE) == 4  # message, reason, tool error, stale
    assert "INCOMPLETE" in page.all_text and "semgrep could not run (timeout)" in page.all_text
    assert [h for h in page.headings if h.split(" (")[0] in ("Critical", "High", "Medium", "Low")] == [
        "Critical (1)", "High (2)", "Low (1)"]
    assert page.headings[page.headings.index("High (2)") + 1] == "bandit (2)"
    for state in ("new", "unchanged", "suppressed"):
        assert any(tag == "span" and attrs.get("class") == f"badge {state}" for tag, attrs in page.tags)
    assert "src/a.py:40 (GET /x/{id})" in page.all_text
    assert "curl -H \"Authorization: Bearer $SECSCAN_TOKEN_BOB\" '<u>'" in page.all_text
    assert "Baseline .secscan-baseline.json: absent entries (1)" in page.headings and "old.py" in page.all_text
    assert html.count("<") == html.count(">")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)"
                                         "\n\n\ndef show(name):\n    return f'<b>{name}</b>'\n")
    (root / "src" / "settings.py").write_text('AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n')
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_static_html_has_no_secret_values(repo: Path, tmp_path: Path):
    report = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["static", str(repo), "--tools", "bandit,detect-secrets", "-q", "-o",
                                      str(tmp_path / "s.sarif"), "--html", str(report)])
    assert result.exit_code == EXIT_POLICY_FAILED, result.output
    validate_sarif(json.loads((tmp_path / "s.sarif").read_text()))
    html = report.read_text()
    page = _parse(html)
    assert "B602" in page.all_text and "Hard-coded secret: AWS Access Key" in page.all_text
    assert "AKIAIOSFODNN7EXAMPLE" not in html and hashlib.sha1(b"AKIAIOSFODNN7EXAMPLE").hexdigest() not in html


def test_api_html_shows_redacted_curl_evidence(tmp_path: Path):
    tenants = tmp_path / "tenants.yaml"
    tenants.write_text("tenants:\n" + "".join(
        f'  {u}:\n    headers: {{Authorization: "Bearer ${{{u.upper()}_TOKEN}}"}}\n' for u in ("alice", "bob")))
    app = create_app()
    env = {f"{u.upper()}_TOKEN": issue_token(app, u) for u in ("alice", "bob")}
    report = tmp_path / "api.html"
    with serve(app) as base_url:
        result = CliRunner().invoke(cli, [
            "api", "--openapi", str(REPO / "fixtures" / "vuln_apps" / "tenant_api" / "openapi.json"),
            "--tokens", str(tenants), "--base-url", base_url, "--probes", "bola", "-q",
            "-o", str(tmp_path / "api.sarif"), "--html", str(report)], env=env)
    assert result.exit_code == EXIT_POLICY_FAILED, result.output
    validate_sarif(json.loads((tmp_path / "api.sarif").read_text()))
    html = report.read_text()
    page = _parse(html)
    pres = page.all_text
    assert "GET /books/{book_id}" in pres and "curl -sS -X GET" in pres and "$SECSCAN_TOKEN_" in pres
    for token in env.values():
        assert token not in html
