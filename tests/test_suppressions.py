"""Suppressions: the ignore file (parsing, matching, expiry, staleness), inline markers, and native markers
recognised exactly as bandit and semgrep themselves do (checked against the real tools)."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secscan.config import SecscanConfig
from secscan.errors import ConfigError
from secscan.fingerprints import annotate
from secscan.models import Finding, Location, Rule, Severity, Status, ToolRun
from secscan.postprocess import finalize
from secscan.runner import run_tools
from secscan.sarif import to_sarif
from secscan.suppressions import NATIVE_REPORTING_ARGS, glob_match, parse_ignore_text
from secscan.targets import collect
from secscan.tools import ToolContext
from tests.conftest import validate_sarif

TODAY = date(2026, 6, 1)
RULE = Rule(id="B602", title="subprocess with shell", description="d", severity=Severity.HIGH)
API_RULE = Rule(id="bola", title="BOLA", description="d", severity=Severity.HIGH)


def _finding(path: str, line: int, rule: Rule = RULE, tool: str = "bandit", op: str | None = None) -> Finding:
    return Finding(tool=tool, rule=rule, message="m", location=Location(path, line), severity=rule.severity,
                   logical_location=op)


def _run(root: Path, *findings: Finding, tool: str = "bandit") -> ToolRun:
    return ToolRun(tool, Status.OK, tuple(annotate(list(findings), root)))


def _write(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text)


# --- globs and the file format --------------------------------------------------------------------------------


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    ("src/*.py", "src/app.py", True), ("src/*.py", "src/sub/app.py", False), ("src/**/*.py", "src/app.py", True),
    ("src/**/*.py", "src/a/b/app.py", True), ("**/legacy/*", "x/legacy/y.py", True), ("app.py", "src/app.py", False),
    ("src/?pp.py", "src/app.py", True), ("./src/app.py", "src/app.py", True), ("src/[ab]pp.py", "src/app.py", False),
])
def test_globs_keep_star_within_a_directory(pattern: str, path: str, expected: bool):
    assert glob_match(pattern, path) is expected


def test_entries_parse_with_line_numbers_dates_and_operations():
    ignore = parse_ignore_text(
        "suppressions:\n"
        "  - rule: B602\n    path: 'src/*.py'\n    reason: input is a constant\n    expires: 2027-03-31\n"
        "  - fingerprint: 0123456789abcdef0123456789abcdef\n    reason: accepted\n"
        "  - rule: bola\n    path: openapi.json\n    operation: get /books/{book_id}\n    reason: public books\n"
        "    expires: '2026-01-01'\n", ".secscan-ignore.yaml")
    first, second, third = ignore.entries
    assert (first.line, second.line, third.line) == (2, 6, 8)
    assert first.expires == date(2027, 3, 31) and not first.expired(TODAY)
    assert third.expired(TODAY)
    assert third.matches(_finding("openapi.json", 40, API_RULE, "secscan-api", "GET /books/{book_id}"))
    assert not third.matches(_finding("openapi.json", 40, API_RULE, "secscan-api", "PUT /books/{book_id}"))


@pytest.mark.parametrize(("text", "expected"), [
    ("", "suppression file is empty"),
    ("suppressions: [", "not valid YAML"),
    ("- rule: B602\n", "expected a mapping"),
    ("suppressions:\n  - rule: B602\n    path: a.py\n", "suppressions[0].reason: Field required (line 2)"),
    ("suppressions:\n  - rule: B602\n    path: a.py\n    reason: r\n    expires: next week\n",
     "suppressions[0].expires: not a date: 'next week' (expected YYYY-MM-DD) (line 5)"),
    ("suppressions:\n  - rule: B602\n    path: a.py\n    reason: r\n    expires: 2027-02-31\n", "not valid YAML"),
    ("suppressions:\n  - rule: B602\n    path: a.py\n    reason: r\n    expires: 2027-02-03T10:00:00\n",
     "not a date and time"),
    ("suppressions:\n  - rule: B602\n    reason: r\n", "needs a fingerprint, or a rule and a path glob"),
    ("suppressions:\n  - fingerprint: 0123456789abcdef\n    rule: B1\n    reason: r\n", "not both"),
    ("suppressions:\n  - rule: B602\n    path: a.py\n    reason: r\n    colour: red\n",
     "suppressions[0].colour: unknown key (line 5)"),
    ("suppressions:\n  - rule: B602\n    path: a.py\n    reason: 12\n", "suppressions[0].reason: Input should be a valid string"),
    ("suppressions:\n  - fingerprint: NOT-HEX\n    reason: r\n", "suppressions[0].fingerprint"),
    ("suppressions:\n  - &a {rule: B1, path: a, reason: r}\n  - *a\n", "aliases are not allowed"),
])
def test_bad_suppression_files_are_one_line_errors_naming_file_and_key(text: str, expected: str):
    with pytest.raises(ConfigError) as info:
        parse_ignore_text(text, ".secscan-ignore.yaml")
    message = str(info.value)
    assert message.startswith(".secscan-ignore.yaml: ") and expected in message and "\n" not in message


# --- applying the file ----------------------------------------------------------------------------------------


def test_file_entries_suppress_by_rule_glob_and_by_fingerprint_and_report_expired_and_stale(tmp_path: Path):
    _write(tmp_path, "src/a.py", "import subprocess\nsubprocess.call(x, shell=True)\n")
    _write(tmp_path, "src/b.py", "import subprocess\n\nsubprocess.call(y, shell=True)\n")
    _write(tmp_path, "legacy/c.py", "subprocess.call(z, shell=True)\n")
    run = _run(tmp_path, _finding("src/a.py", 2), _finding("src/b.py", 3), _finding("legacy/c.py", 1))
    by_path = {f.location.path: f for f in run.findings}
    ignore = parse_ignore_text(
        "suppressions:\n"
        f"  - fingerprint: {by_path['src/b.py'].fingerprint}\n    reason: reviewed\n"
        "  - rule: B602\n    path: 'legacy/**'\n    reason: old code\n    expires: 2026-01-31\n"
        "  - rule: B105\n    path: '**'\n    reason: nothing matches me\n", ".secscan-ignore.yaml")
    done = finalize([run], tmp_path, ignore=ignore, today=TODAY)
    states = {f.location.path: f.suppression for f in done.runs[0].findings}
    assert states["src/a.py"] is None
    assert states["src/b.py"].active and states["src/b.py"].kind == "external"
    assert states["src/b.py"].source == ".secscan-ignore.yaml:2" and states["src/b.py"].justification == "reviewed"
    assert states["legacy/c.py"].status == "expired" and not states["legacy/c.py"].active
    assert done.review.expired == (".secscan-ignore.yaml:4 (rule B602, path legacy/**) expired on 2026-01-31, "
                                   "still matches 1 finding",)
    assert done.review.stale == (".secscan-ignore.yaml:8 (rule B105, path **) matches no finding",)


def test_stale_is_not_judged_for_tools_that_did_not_run(tmp_path: Path):
    ignore = parse_ignore_text("suppressions:\n  - rule: x\n    path: a.py\n    tool: semgrep\n    reason: r\n"
                               "  - rule: sql-injection-taint\n    path: a.py\n    reason: r\n", "ig.yaml")
    broken = ToolRun("bandit", Status.TIMEOUT)
    done = finalize([ToolRun("bandit", Status.OK), broken], tmp_path, ignore=ignore, today=TODAY)
    assert done.review.stale == ()  # semgrep did not run; bandit timed out, so "matches nothing" proves nothing
    done = finalize([ToolRun("bandit", Status.OK), ToolRun("semgrep", Status.OK)], tmp_path, ignore=ignore, today=TODAY)
    assert len(done.review.stale) == 2


def test_secscan_inline_marker_on_the_line_or_a_comment_line_above_with_a_reason(tmp_path: Path):
    _write(tmp_path, "a.py",
           "x = 1\n"
           "call(1)  # secscan: ignore[B602] trusted constant\n"     # 2: same line
           "# secscan: ignore[B101, B602] - reviewed in #42\n"       # 3: comment line above 4
           "call(2)\n"                                               # 4
           "y = 2  # secscan: ignore[B602] meant for line 5 only\n"  # 5: code line, does not cover line 6
           "call(3)\n"                                               # 6
           "call(4)  # secscan: ignore[B602]\n"                      # 7: no reason -> not honoured
           "call(5)  # secscan: ignore[B999] wrong rule\n")          # 8
    run = _run(tmp_path, *(_finding("a.py", n) for n in (2, 4, 6, 7, 8)))
    done = finalize([run], tmp_path, today=TODAY)
    got = {f.location.start_line: f.suppression for f in done.runs[0].findings}
    assert got[2].justification == "trusted constant" and got[2].kind == "inSource" and got[2].source_line == 2
    assert got[4].justification == "reviewed in #42" and got[4].source_line == 3
    assert got[6] is None and got[7] is None and got[8] is None
    assert done.review.warnings == ("a.py:7: 'secscan: ignore[B602]' has no reason, so it is not honoured",)


def test_suppressed_results_stay_in_the_sarif_with_kind_justification_and_status(tmp_path: Path):
    _write(tmp_path, "a.py", "call(1)  # secscan: ignore[B602] trusted\ncall(2)\ncall(3)\n")
    run = _run(tmp_path, _finding("a.py", 1), _finding("a.py", 2), _finding("a.py", 3))
    ignore = parse_ignore_text("suppressions:\n  - rule: B602\n    path: a.py\n    reason: later\n"
                               "    expires: 2026-12-31\n", ".secscan-ignore.yaml")
    done = finalize([run], tmp_path, ignore=ignore, today=TODAY)
    doc = to_sarif(done.runs, tmp_path, done.review)
    validate_sarif(doc)
    results = {r["locations"][0]["physicalLocation"]["region"]["startLine"]: r for r in doc["runs"][0]["results"]}
    assert results[1]["suppressions"] == [{"kind": "inSource", "status": "accepted", "justification": "trusted",
                                          "location": {"physicalLocation": {"artifactLocation": {
                                              "uri": "a.py", "uriBaseId": "%SRCROOT%"}, "region": {"startLine": 1}}}}]
    external = results[2]["suppressions"][0]
    assert external["kind"] == "external" and external["justification"] == "later"
    assert external["properties"] == {"expires": "2026-12-31"}
    assert external["location"]["physicalLocation"]["artifactLocation"]["uri"] == ".secscan-ignore.yaml"


# --- native markers: secscan must agree with the tools themselves ---------------------------------------------

BANDIT_CASES = '''import subprocess


def a(cmd):
    return subprocess.call(cmd, shell=True)  # nosec


def b(cmd):
    return subprocess.call(cmd, shell=True)  # nosec B602


def c(cmd):
    return subprocess.call(cmd, shell=True)  # nosec B101


def d(cmd):
    return subprocess.call(cmd, shell=True)  # nosec: B101, B602


def e(cmd):
    return subprocess.call(cmd, shell=True)  # nosec B602,B607


def f(cmd):
    return subprocess.call(cmd, shell=True)  # nosec subprocess_popen_with_shell_equals_true


def g(cmd):
    return subprocess.call(cmd, shell=True)  # nosec - reviewed, the input is a constant


def h(cmd):
    return subprocess.call(
        cmd,  # nosec
        shell=True,
    )


def i(cmd):
    text = "# nosec"
    return subprocess.call(cmd, shell=True) or text


def j(cmd):
    return subprocess.call(cmd, shell=True)  #nosec


def k(cmd):
    return subprocess.call(cmd, shell=True)
'''

SEMGREP_CASES = '''import subprocess
from flask import request

def a():
    return subprocess.call(request.args["c"], shell=True)  # nosemgrep


def b():
    # nosemgrep
    return subprocess.call(request.args["c"], shell=True)


def c():
    return subprocess.call(request.args["c"], shell=True)  # nosemgrep: command-injection-taint


def d():
    return subprocess.call(request.args["c"], shell=True)  # nosemgrep: some-other-rule


def e():
    x = 1  # nosemgrep
    return subprocess.call(request.args["c"], shell=True) or x


def f():
    return subprocess.call(request.args["c"], shell=True)  # NOSEM


def g():
    return subprocess.call(request.args["c"], shell=True)  #nosemgrep


def h():
    return subprocess.call(request.args["c"], shell=True)
'''


def _native_vs_secscan(tmp_path: Path, tool: str, source: str) -> tuple[set, set, set]:
    root = tmp_path / "repo"
    _write(root, "cases.py", source)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    targets = collect([root])
    config = SecscanConfig()
    (native,) = run_tools([tool], {tool: ToolContext(targets, config)})
    (reporting,) = run_tools([tool], {tool: ToolContext(targets, config, extra_args=NATIVE_REPORTING_ARGS[tool])})
    assert native.status is Status.OK and reporting.status is Status.OK, (native.notifications, reporting.notifications)
    (done,) = finalize([reporting], targets.root, today=TODAY).runs
    key = lambda f: (f.rule.id, f.location.start_line)  # noqa: E731
    kept = {key(f) for f in done.findings if not f.suppressed}
    hidden = {key(f) for f in done.findings if f.suppressed}
    return {key(f) for f in native.findings}, kept, hidden


@pytest.mark.slow
def test_bandit_nosec_is_recognised_exactly_as_bandit_does(tmp_path: Path):
    native, kept, hidden = _native_vs_secscan(tmp_path, "bandit", BANDIT_CASES)
    assert kept == native
    # blanket, by id, in a list, by name, with prose (no test names: blanket), inside a multi-line call, no space
    assert {line for rule, line in hidden if rule == "B602"} == {5, 9, 17, 25, 29, 35, 45}
    # another test's id; bandit's own quirk ("B602,B607" without a space keeps only B607); in a string; no marker
    assert {("B602", 13), ("B602", 21), ("B602", 41), ("B602", 49)} <= native


@pytest.mark.slow
def test_semgrep_nosemgrep_is_recognised_exactly_as_semgrep_does(tmp_path: Path):
    native, kept, hidden = _native_vs_secscan(tmp_path, "semgrep", SEMGREP_CASES)
    assert kept == native
    rule = "command-injection-taint"
    assert {(rule, 5), (rule, 10), (rule, 14), (rule, 27)} <= hidden
    assert (rule, 18) in native and (rule, 23) in native and (rule, 35) in native


# --- glob matching is linear (issue 10, case 17) ------------------------------------------------------------------


def test_a_backtracking_glob_does_not_hang_post_processing():
    """`*a` 25 times then `*b` against 60 a's: the old regex translation backtracked for more than 60 s. In a child
    process so a regression fails at the watchdog (a bound, not a timing assertion: linear matching takes
    microseconds, backtracking takes years)."""
    code = ("from secscan.suppressions import glob_match\n"
            "print(glob_match('*a' * 25 + '*b', 'a' * 60), glob_match('**a' * 25 + '**b', 'a/' * 30),"
            " glob_match('*a' * 25 + '*', 'a' * 60))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["False", "False", "True"], out.stderr


def _reference_regex(pattern: str) -> re.Pattern[str]:
    """The previous translation (correct, but backtracking): the specification the linear matcher must keep."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            out.append({"*": "[^/]*", "?": "[^/]"}.get(pattern[i], re.escape(pattern[i])))
            i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


@given(st.lists(st.sampled_from(["a", "b", "/", "*", "?", "**", "**/", ".", "["]), max_size=7).map("".join),
       st.lists(st.sampled_from(["a", "b", "/", ".", "["]), max_size=10).map("".join))
@settings(max_examples=3000, deadline=None)
def test_linear_glob_matching_keeps_the_documented_semantics(pattern: str, path: str):
    assert glob_match(pattern, path) is (_reference_regex(pattern.strip().removeprefix("./")).match(path) is not None)
