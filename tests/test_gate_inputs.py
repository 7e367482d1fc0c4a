"""`gate` and `merge` over SARIF they did not write (issue 12 point 3, issue 10 points 18 and 19): where the
paths belong when the SARIF moved or gate runs outside the repository, `executionSuccessful` that is not the
boolean true, and merged logs whose runs or results are not objects."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from secscan.cli import cli
from secscan.errors import EXIT_OK, EXIT_POLICY_FAILED, EXIT_SCAN_ERROR, EXIT_USAGE
from secscan.models import Severity
from tests.report_support import finding, gate, run, sarif_doc, write_sarif

MARKED = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)  # secscan: ignore[B602] ok\n"


def _srcroot(doc: dict) -> set[str]:
    return {r["originalUriBaseIds"]["%SRCROOT%"]["uri"] for r in doc["runs"]}


def _uris(doc: dict) -> list[str]:
    return [res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"] for res in r["results"]]


@pytest.fixture
def scanned(tmp_path: Path) -> tuple[Path, Path]:
    """A checkout with an inline marker, and a SARIF written there (its %SRCROOT% is that checkout)."""
    repo = tmp_path / "ci" / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "app.py").write_text(MARKED)
    findings = [finding("bandit", "B602", "src/app.py", 5), finding("bandit", "B105", "src/other.py", 2)]
    return repo, write_sarif(tmp_path / "results.sarif", [run("bandit", *findings)], repo)


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("secscan: error:")]


def test_gate_outside_the_repository_takes_the_root_from_the_sarif(scanned, tmp_path: Path, monkeypatch):
    repo, sarif = scanned
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    out, html = tmp_path / "gated.sarif", tmp_path / "r.html"
    result = gate(str(sarif), "-o", str(out), "--html", str(html))
    assert result.exit_code == EXIT_POLICY_FAILED, result.output
    assert "note: gate:" not in result.stderr  # nothing was assumed
    doc = sarif_doc(out)  # repo-relative uris only
    assert _srcroot(doc) == {repo.resolve().as_uri() + "/"}
    results = doc["runs"][0]["results"]
    assert _uris(doc) == ["src/app.py", "src/other.py"]
    assert results[0]["suppressions"][0]["kind"] == "inSource"  # the marker was read from the SARIF's checkout
    page = html.read_text()
    assert str(tmp_path) + "/ci/repo/src" not in page and "src/other.py:2" in page


def test_a_sarif_moved_between_directories_keeps_relative_paths_and_says_which_root_it_assumed(
        scanned, tmp_path: Path, monkeypatch):
    repo, sarif = scanned
    moved = tmp_path / "dev" / "repo"
    shutil.copytree(repo, moved)
    shutil.rmtree(tmp_path / "ci")  # the SARIF's %SRCROOT% no longer exists
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    out = tmp_path / "gated.sarif"
    result = gate(str(sarif), "-o", str(out), "-q")
    assert result.exit_code == EXIT_POLICY_FAILED, result.output
    note = [line for line in result.stderr.splitlines() if line.startswith("note: gate:")]
    assert len(note) == 1 and f"({repo.as_uri()}/) does not exist here" in note[0]
    assert f"relative to {(tmp_path / 'elsewhere').resolve()}" in note[0] and "--root" in note[0]
    doc = sarif_doc(out)
    assert _uris(doc) == ["src/app.py", "src/other.py"]
    assert _srcroot(doc) == {(tmp_path / "elsewhere").resolve().as_uri() + "/"}
    result = gate(str(sarif), "--root", str(moved), "-o", str(out), "-q")  # the checkout it now lives in
    doc = sarif_doc(out)
    assert _uris(doc) == ["src/app.py", "src/other.py"] and _srcroot(doc) == {moved.resolve().as_uri() + "/"}
    assert doc["runs"][0]["results"][0]["suppressions"][0]["kind"] == "inSource"
    assert "note: gate:" not in result.stderr


def test_locations_that_cannot_be_made_relative_are_refused_with_one_line(scanned, tmp_path: Path, monkeypatch):
    repo, sarif = scanned
    doc = json.loads(sarif.read_text())
    location = doc["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]
    location.pop("uriBaseId")
    location["uri"] = "file:///opt/elsewhere/secret.py"
    outside = tmp_path / "outside.sarif"
    outside.write_text(json.dumps(doc))
    monkeypatch.chdir(repo)
    result = gate(str(outside), "-o", str(tmp_path / "o.sarif"))
    assert result.exit_code == EXIT_USAGE and "Traceback" not in result.output
    assert _error_lines(result.output) == [
        f"secscan: error: {outside}: runs[0].results[1]: location file:///opt/elsewhere/secret.py cannot be made "
        f"relative to the root {repo.resolve()} (pass --root DIR, the checkout the SARIF's paths belong to)"]
    assert not (tmp_path / "o.sarif").exists()
    location["uri"], location["uriBaseId"] = "../../escape.py", "%SRCROOT%"
    outside.write_text(json.dumps(doc))
    result = gate(str(outside))
    assert result.exit_code == EXIT_USAGE and len(_error_lines(result.output)) == 1
    location["uri"] = (repo / "src" / "inside.py").as_uri()  # absolute, but inside the root: made relative
    location.pop("uriBaseId")
    outside.write_text(json.dumps(doc))
    out = tmp_path / "ok.sarif"
    assert gate(str(outside), "-o", str(out), "-q").exit_code == EXIT_POLICY_FAILED
    assert _uris(sarif_doc(out)) == ["src/app.py", "src/inside.py"]


@pytest.mark.parametrize("value", ["false", "true", 0, None])
def test_execution_successful_must_be_the_boolean_true(tmp_path: Path, value: object):
    sarif = write_sarif(tmp_path / "in.sarif", [run("bandit", finding("bandit", "B101", "a.py", 1, Severity.LOW))],
                        tmp_path)
    doc = json.loads(sarif.read_text())
    doc["runs"][0]["invocations"][0]["executionSuccessful"] = value
    sarif.write_text(json.dumps(doc))
    result = gate(str(sarif), "--root", str(tmp_path))
    assert result.exit_code == EXIT_SCAN_ERROR, result.output
    assert "bandit could not run (failed)" in result.stderr
    shown = "missing" if value is None else f"{value!r} ({type(value).__name__}, not the boolean true)"
    assert f"error: bandit: executionSuccessful is {shown}: counted as a tool that could not run" in result.stderr
    doc["runs"][0]["invocations"][0]["executionSuccessful"] = True
    sarif.write_text(json.dumps(doc))
    assert gate(str(sarif), "--root", str(tmp_path)).exit_code == EXIT_OK


@pytest.mark.parametrize("invocations", [None, []])
def test_a_run_without_invocations_is_a_tool_that_could_not_run(tmp_path: Path, invocations: list | None):
    """Adversarial pass: a run with no `invocations` (or an empty list) passed the gate."""
    sarif = write_sarif(tmp_path / "in.sarif", [run("bandit")], tmp_path)
    doc = json.loads(sarif.read_text())
    if invocations is None:
        del doc["runs"][0]["invocations"]
    else:
        doc["runs"][0]["invocations"] = invocations
    sarif.write_text(json.dumps(doc))
    result = gate(str(sarif), "--root", str(tmp_path))
    assert result.exit_code == EXIT_SCAN_ERROR, result.output
    assert "bandit could not run (failed)" in result.stderr


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda d: d["runs"][0].__setitem__("results", [None, 5, "x"]), "runs[0].results[0]: not a result object (got null)"),
    (lambda d: d["runs"][0]["results"].append(5), "runs[0].results[1]: not a result object (got int)"),
    (lambda d: d["runs"].__setitem__(0, None), "runs[0]: not a run object (got null)"),
    (lambda d: d["runs"][0].__setitem__("results", "x"), "runs[0].results: not a list (got str)"),
    (lambda d: d["runs"][0]["tool"].__setitem__("driver", {}), "runs[0].tool.driver.name: missing or not a string"),
])
def test_merge_refuses_runs_and_results_that_are_not_objects(tmp_path: Path, mutate, expected: str):
    good = write_sarif(tmp_path / "good.sarif", [run("bandit", finding("bandit", "B101", "a.py", 1))], tmp_path)
    doc = json.loads(good.read_text())
    mutate(doc)
    bad = tmp_path / "bad.sarif"
    bad.write_text(json.dumps(doc))
    out = tmp_path / "merged.sarif"
    result = CliRunner().invoke(cli, ["merge", str(good), str(bad), "-o", str(out), "--rename-duplicates"])
    assert result.exit_code == EXIT_USAGE and "Traceback" not in result.output
    assert _error_lines(result.output) == [f"secscan: error: {bad}: {expected}"]
    assert not out.exists()


def test_gate_never_quotes_host_files_a_sarif_points_at(tmp_path: Path):
    """Adversarial pass: a SARIF with %SRCROOT% = file:/// and a result at some host file made the HTML quote it."""
    secret = tmp_path / "host" / "secret.env"
    secret.parent.mkdir()
    secret.write_text("DB_PASSWORD=TopS3cretFromHostFile\n")
    evil = write_sarif(tmp_path / "evil.sarif", [run("bandit", finding("bandit", "B105", str(secret)[1:], 1))],
                       Path("/"))
    html = tmp_path / "r.html"
    result = gate(str(evil), "--html", str(html))
    assert result.exit_code in (EXIT_OK, EXIT_POLICY_FAILED), result.output
    assert "TopS3cret" not in html.read_text() and "DB_PASSWORD" not in html.read_text()
