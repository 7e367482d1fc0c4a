"""The HTML report, parsed back with html.parser: self-contained, everything escaped, grouped by severity and
tool, states and evidence shown, no secrets (real bandit/detect-secrets and a real API run)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html as html_lib
import json
import re
import shlex
import shutil
import subprocess
import tempfile
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
    rule = Rule(id=kw.pop("rule_id", f"{tool}-rule"), title="A rule", description="d", severity=severity,
                help_text="Fix it <now>.", help_uri=kw.pop("help_uri", "https://example.org/rule"), cwe=(78,))
    return Finding(tool=tool, rule=rule, message=message, location=Location("src/a.py", line), severity=severity,
                   fingerprint="ab" * 16, **kw)


def test_report_is_self_contained_escaped_and_grouped():
    suppressed = Suppression("inSource", f"reason {HOSTILE}", "src/a.py:3 # secscan: ignore")
    runs = [
        ToolRun("bandit", Status.OK, (_f("bandit", Severity.HIGH, 5, HOSTILE, baseline_state="new"),
                                      _f("bandit", Severity.LOW, 1, baseline_state="unchanged"),
                                      _f("bandit", Severity.HIGH, 3, suppression=suppressed, rule_id="bandit-js",
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
    tags = [tag for tag, _ in page.tags]
    assert not set(tags) & {"img", "link", "iframe", "object", "embed"}  # hostile text never became markup
    assert tags.count("script") == 1 and ("script", {}) in page.tags  # the filter, inline, nothing loaded
    assert all("src" not in attrs and not any(k.startswith("on") for k in attrs) for _, attrs in page.tags)
    script = html.split("<script>", 1)[1].split("</script>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = next(a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp and "unsafe-inline'; " not in csp[
        csp.index("script-src"):]
    hrefs = [attrs["href"] for tag, attrs in page.tags if tag == "a"]
    ids = {attrs["id"] for _, attrs in page.tags if "id" in attrs}
    external = [h for h in hrefs if not h.startswith("#")]
    assert external == ["https://example.org/rule"] * 2  # the javascript: help URI of bandit-js is not a link
    assert all(h[1:] in ids for h in hrefs if h.startswith("#"))  # every in-page link has its target
    assert HOSTILE in page.all_text and page.all_text.count(HOSTILE) == 4  # message, reason, tool error, stale
    assert "INCOMPLETE" in page.all_text and "semgrep could not run (timeout)" in page.all_text
    assert [h for h in page.headings if h.split(" (")[0] in ("Critical", "High", "Medium", "Low")] == [
        "Critical (1)", "High (2)", "Low (1)"]
    assert re.search(r'<details class="group" data-state="unchanged"><summary>1 unchanged[^<]*</summary>'
                     r'<article class="finding low"', html)  # collapsed (no `open`), below the counted ones
    assert re.search(r'<details class="group" data-state="suppressed"><summary>1 suppressed</summary>'
                     r'<article class="finding high suppressed"', html)
    for state in ("new", "unchanged", "suppressed"):
        assert any(tag == "span" and attrs.get("class") == f"badge {state}" for tag, attrs in page.tags)
    assert "src/a.py:40 (GET /x/{id})" in page.all_text
    assert "curl -H \"Authorization: Bearer $SECSCAN_TOKEN_BOB\" '<u>'" in page.all_text
    assert "Baseline .secscan-baseline.json: absent entries (1)" in page.headings and "old.py" in page.all_text
    markup = re.sub(r"<(style|script)>.*?</\1>", "", html, flags=re.S)  # CSS child selectors use '>'
    assert markup.count("<") == markup.count(">")


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
    assert f"API{base_url} (spec {REPO / 'fixtures' / 'vuln_apps' / 'tenant_api' / 'openapi.json'})" in pres
    assert "Toolssecscan-api " in pres  # the header says what was probed
    for token in env.values():
        assert token not in html


# --- triage: why it failed, what was scanned, source lines, curls, the filter (issue 12 point 6) -------------------


def _at(path: str, line: int, severity: Severity = Severity.HIGH, **kw) -> Finding:
    finding = _f(kw.pop("tool", "bandit"), severity, line, **kw)
    return dataclasses.replace(finding, location=Location(path, line))


def _card(html: str, anchor: str) -> str:
    return html.split(f'id="{anchor}"', 1)[1].split("</article>", 1)[0]


def test_why_this_failed_links_every_counted_finding_new_first():
    expired = Suppression("external", "until the rewrite", "ig.yaml:2", status="expired", expires="2020-01-01")
    accepted = Suppression("external", "fine", "ig.yaml:5")
    runs = [ToolRun("bandit", Status.OK, (
        _at("a.py", 1, baseline_state="unchanged"),             # unchanged: not counted
        _at("b.py", 2, Severity.CRITICAL, baseline_state="new"),
        _at("c.py", 3, baseline_state="new"),
        _at("d.py", 4, Severity.MEDIUM, baseline_state="new"),  # below fail_on
        _at("e.py", 5, suppression=accepted, baseline_state="new"),
        _at("f.py", 6, suppression=expired, baseline_state="unchanged"),  # an expired suppression counts as new
    ))]
    review = Review(baseline="b.json")
    html = html_report.render(runs, decide(runs, Policy(), review), review, facts=html_report.ReportFacts(
        policy=Policy()))
    why = html.split('<section id="why">', 1)[1].split("</section>", 1)[0]
    assert "<h2>Why this failed (3 findings at or above high)</h2>" in why
    anchors = re.findall(r'<a href="#(f\d+)">', why)
    assert [re.search(r'<div class="loc">([^<]+)</div>', _card(html, a)).group(1) for a in anchors] == [
        "b.py:2", "c.py:3", "f.py:6"]
    assert html.index('<section id="why">') < html.index("<h2>Tools</h2>")  # right under the banner
    high = html.split('id="severity-high"', 1)[1].split("</section>", 1)[0]
    assert high.index(">c.py:3<") < high.index(">f.py:6<") < high.index("<details")  # counted ones open, on top
    assert ">a.py:1<" in high.split('data-state="unchanged"', 1)[1]  # the unchanged one collapsed
    passing = [ToolRun("bandit", Status.OK, (_at("a.py", 1, baseline_state="unchanged"),))]
    assert '<section id="why">' not in html_report.render(passing, decide(passing, Policy(), review), review)


def test_header_shows_the_api_and_its_coverage_summary():
    api = ToolRun("secscan-api", Status.OK, version="0.1.0",
                  properties={"coverage": {"summary": "12 of 14 callable operations answered 2xx <b>"}})
    facts = html_report.ReportFacts(generated="2026-01-02 03:04 UTC", base_url="http://127.0.0.1:8000",
                                    openapi="spec/openapi.json", commit="0123abc", branch="main", policy=Policy())
    page = _parse(html_report.render([api], decide([api]), facts=facts))
    text = page.all_text
    for expected in ("Date2026-01-02 03:04 UTC", "APIhttp://127.0.0.1:8000 (spec spec/openapi.json)",
                     "Git commit0123abc on branch main", "secscan0.1.0, fail_on high", "Toolssecscan-api 0.1.0",
                     "API coverage12 of 14 callable operations answered 2xx <b>"):
        assert expected in text, expected
    bare = _parse(html_report.render([ToolRun("secscan-api", Status.OK)], decide([])))
    assert "API coverage" not in bare.all_text and "Toolssecscan-api" in bare.all_text


def test_curls_break_only_between_arguments():
    curl = ("curl -sS -X POST 'http://127.0.0.1:8000/books?q=a b' -H \"Authorization: Bearer $SECSCAN_TOKEN_BOB\" "
            "--data '{\"title\": \"it'\"'\"'s <mine>\"}'")
    finding = _f("secscan-api", Severity.HIGH, 3, properties={"evidence": [{"step": "attack", "status": 201,
                                                                             "curl": curl}]})
    html = html_report.render([ToolRun("secscan-api", Status.OK, (finding,))], decide([]))
    code = html.split('<code class="curl">', 1)[1].split("</code>", 1)[0]
    spans = [html_lib.unescape(s) for s in re.findall(r"<span>(.*?)</span>", code)]
    assert spans == ["curl", "-sS", "-X", "POST", "'http://127.0.0.1:8000/books?q=a b'", "-H",
                     "\"Authorization: Bearer $SECSCAN_TOKEN_BOB\"", "--data",
                     "'{\"title\": \"it'\"'\"'s <mine>\"}'"]
    assert " ".join(spans) == curl  # copies back as the same command
    assert len(spans) == len(shlex.split(curl))
    assert "code.curl>span{white-space:pre}" in html and "white-space:normal;overflow-x:auto}" in html


def test_html_says_which_tools_absence_and_staleness_were_judged_for(tmp_path: Path):
    from tests.report_support import finding, gate, run, write_baseline, write_sarif

    present = finding("bandit", "B602", "src/a.py", 5)
    gone = finding("semgrep", "sql-injection-taint", "src/db.py", 9)
    sarif = write_sarif(tmp_path / "in.sarif", [run("bandit", present), run("semgrep", status=Status.MISSING)],
                        tmp_path)
    baseline = write_baseline(tmp_path / "b.json", [present, gone])
    report = tmp_path / "r.html"
    result = gate(str(sarif), "--root", str(tmp_path), "--baseline", str(baseline), "--html", str(report), "-q")
    assert result.exit_code == 3, result.output
    text = _parse(report.read_text()).all_text
    assert "every baseline entry is still present" not in text.replace("of the tools that ran is still present", "")
    assert ("Absent baseline entries and stale suppressions are judged only for the tools that ran successfully: "
            "bandit. Not judged for semgrep: it did not run successfully.") in text
    assert "Baseline b.json: absent entries (0)" in text or "absent entries (0)" in text


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _dom(page: Path, *flags: str) -> str:
    exe = _chromium()
    assert exe is not None
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                 "--disable-component-update", "--disable-sync", "--no-first-run",
                                 f"--user-data-dir={profile}", *flags, "--dump-dom", page.as_uri()],
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.slow  # a real browser
@pytest.mark.skipif(_chromium() is None, reason="needs Chromium (apt-get install chromium)")
def test_the_filter_runs_under_the_csp_in_a_real_browser_and_the_page_reads_without_javascript(tmp_path: Path):
    runs = [ToolRun("bandit", Status.OK, (_at("a.py", 1, baseline_state="new"),
                                          _at("b.py", 2, Severity.LOW, baseline_state="unchanged"),
                                          _at("c.py", 3, Severity.LOW, baseline_state="new"))),
            ToolRun("semgrep", Status.OK, (_at("d.py", 4, tool="semgrep", baseline_state="unchanged"),))]
    html = html_report.render(runs, decide(runs, Policy(), Review(baseline="b.json")), Review(baseline="b.json"))
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    dom = _dom(page)
    assert '<form id="filters" class="filters">' in dom  # the script ran (its hash is allowed) and showed it
    assert "4 of 4 findings shown" in dom and "<article" in dom and " hidden" not in dom.split("<article", 1)[1]
    # without JavaScript the markup itself is the page: the form stays hidden, every card is there and visible
    assert '<form id="filters" class="filters" hidden>' in html and html.count("<article") == 4
    assert not re.search(r"<article[^>]* hidden", html) and "<details class=\"group\" data-state=\"unchanged\" open" \
        not in html
    # the same page with the form set to "low, unchanged": only b.py stays visible, its group opened
    chosen = html.replace('value="critical" checked', 'value="critical"').replace('value="high" checked',
                                                                                 'value="high"')
    chosen = chosen.replace('<option value="unchanged">', '<option value="unchanged" selected>')
    page.write_text(chosen, encoding="utf-8")
    dom = _dom(page)
    visible = re.findall(r'<article class="[^"]*" id="f\d+"[^>]*data-state="(\w+)"(?! hidden)>.*?<div class="loc">'
                         r"([^<]+)</div>", dom)
    assert "1 of 4 findings shown" in dom and [loc for _, loc in visible] == ["b.py:2"], visible
    assert re.search(r'<details class="group" data-state="unchanged" open="">', dom)


def test_snippets_are_read_inside_the_root_only_redacted_and_capped(tmp_path: Path):
    from secscan import snippets

    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text(
        "import subprocess\nPASSWORD = 'hunter2hunter2'\n\tsubprocess.call(cmd, shell=True)  # " + "x" * 300
        + "\nKEY = AKIAIOSFODNN7EXAMPLE1234567890abcdEF\nend = 1\n")
    (tmp_path / "outside.py").write_text("print('outside')\n")
    (root / "src" / "link.py").symlink_to(tmp_path / "outside.py")
    (root / "big.py").write_text("x = 1\n" * (snippets.MAX_FILE_BYTES // 6 + 10))
    runs = [ToolRun("bandit", Status.OK, (_at("src/app.py", 3), _at("src/link.py", 1), _at("big.py", 1),
                                          _at("../outside.py", 1), _at("src/app.py", 99))),
            ToolRun("detect-secrets", Status.OK, (_at("src/app.py", 4, tool="detect-secrets"),))]
    found = snippets.read_snippets(runs, root)
    assert set(found) == {("src/app.py", 3)}  # no symlink out of the root, no oversized file, no ../, no line 99
    snippet = found[("src/app.py", 3)]
    assert (snippet.start, snippet.flagged) == (1, 3) and len(snippet.lines) == 5
    assert snippet.lines[1] == "PASSWORD = 'hu…'" and snippet.lines[3] == snippets.HIDDEN
    assert snippet.lines[2].startswith("    subprocess.call(cmd, shell=True)") and len(snippet.lines[2]) == 160
    many = [ToolRun("bandit", Status.OK, tuple(_at("big2.py", n) for n in range(1, 400)))]
    (root / "big2.py").write_text("y = 2\n" * 400)
    assert len(snippets.read_snippets(many, root)) == snippets.MAX_SNIPPETS
    html = html_report.render(runs, decide(runs), facts=html_report.ReportFacts(snippets=found))
    assert html.count('<pre class="src">') == 1 and "hunter2" not in html and "AKIAIOSFODNN7" not in html
    assert '<mark><span class="ln">3</span>' in html


@pytest.mark.slow  # real bandit and detect-secrets
def test_static_html_header_and_source_lines_from_the_real_cli(tmp_path: Path):
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text(
        "import subprocess\n\nTOKEN = \"AKIAIOSFODNN7EXAMPLE\"\n\n\ndef run(cmd):\n    return subprocess.call(cmd, "
        "shell=True)\n")
    subprocess.run(["git", "init", "-q", "-b", "trunk", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "."], check=True)
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q",
                    "-m", "x"], check=True)
    commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    report = tmp_path / "r.html"
    result = CliRunner().invoke(cli, ["static", str(root / "src"), "--tools", "bandit,detect-secrets", "-q", "-o",
                                      str(tmp_path / "s.sarif"), "--html", str(report)])
    assert result.exit_code == EXIT_POLICY_FAILED, result.output
    validate_sarif(json.loads((tmp_path / "s.sarif").read_text()))
    html = report.read_text()
    text = _parse(html).all_text
    assert f"Git commit{commit} on branch trunk" in text and "Scannedsrc" in text and f"Root{root}" in text
    assert re.search(r"Toolsbandit \d[\w.]*, detect-secrets \d", text) and re.search(r"Date\d{4}-\d\d-\d\d ", text)
    b602 = next(_card(html, a) for a in re.findall(r'id="(f\d+)"', html) if "B602" in _card(html, a))
    assert '<mark><span class="ln">7</span>    return subprocess.call(cmd, shell=True)</mark>' in b602
    secret = next(_card(html, a) for a in re.findall(r'id="(f\d+)"', html) if "aws-access-key" in _card(html, a))
    assert '<pre class="src">' not in secret  # never for detect-secrets results
    assert "AKIAIOSFODNN7EXAMPLE" not in html
