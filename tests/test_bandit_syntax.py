"""bandit parses with the interpreter it runs under: newer syntax is named as a version mismatch (count, cause,
remedy), genuine syntax errors stay failed runs; bandit's imprecise CWEs are normalised per test id."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from secscan import pipeline
from secscan.models import Status
from secscan.proc import ProcResult
from secscan.targets import Targets
from secscan.tools import bandit
from secscan.tools.bandit import Classified, SyntaxCheck, Unparsed

PYENV = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"

# PEP 701 (3.12): the f-string reuses its own quotes inside the replacement field.
PEP701 = 'import pickle\n\n\ndef load(raw, meta):\n    label = f"{meta["name"]}"\n    return pickle.loads(raw), label\n'
# PEP 696 (3.13): a type parameter with a default.
PEP696 = 'import os\n\n\ndef run[T = str](command: T) -> None:\n    os.system(command)\n'
BROKEN = "def handler(:\n    pass\n"
PLAIN = "import subprocess\n\n\ndef ping(host):\n    return subprocess.call('ping ' + host, shell=True)\n"


def _interpreter(minor: int) -> str | None:
    """A CPython 3.<minor> on this machine (PATH or pyenv), or None."""
    found = [exe for version, exe in bandit.newer_pythons((3, minor - 1), newest_minor=minor) if version == (3, minor)]
    if found:
        return found[0]
    return str(sys.executable) if sys.version_info[:2] == (3, minor) else None


def _tree(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in {"pep701.py": PEP701, "pep696.py": PEP696, "broken.py": BROKEN, "plain.py": PLAIN}.items():
        (root / name).write_text(text)
    return root


@pytest.mark.slow
def test_newer_syntax_is_scanned_on_a_new_python_and_named_on_an_old_one(tmp_path: Path):
    """Real bandit through the pipeline: on 3.13 both new-syntax files are scanned; on an older Python they are one
    error naming the count, the cause and the Python to install; a real syntax error stays its own error; the
    other files' findings are kept either way."""
    root = _tree(tmp_path / "repo")
    result = pipeline.run(pipeline.ScanRequest(start=root, overrides={"tools": ["bandit"]}))
    run = result.runs[0]
    found = {(f.location.path, f.rule.id) for f in run.findings}
    errors = run.error_messages
    assert ("plain.py", "B602") in found  # kept whatever else happened
    assert run.status is Status.FAILED  # broken.py is a real syntax error: the scan stays failed, as before
    broken = [e for e in errors if "broken.py" in e]
    assert len(broken) == 1 and "syntax error" in broken[0] and "line 1" in broken[0], errors
    running = sys.version_info[:2]
    if running >= (3, 13):
        assert {("pep701.py", "B301"), ("pep696.py", "B605")} <= found
        assert errors == tuple(broken)
        return
    mismatch = [e for e in errors if "syntax newer than" in e]
    newest = max((v for v, _ in bandit.newer_pythons(running)), default=None)
    if newest is None:
        pytest.skip("no Python newer than the one running secscan on this machine")
    if running == (3, 12):
        assert ("pep701.py", "B301") in found
    needed = "3.13" if newest >= (3, 13) else "3.12"
    count = 1 if running == (3, 12) or needed == "3.12" else 2
    assert mismatch == [f"{count} file{'s use' if count > 1 else ' uses'} syntax newer than Python "
                        f"{running[0]}.{running[1]}, which bandit runs under: install secscan with Python ≥ {needed} "
                        f"(bandit skipped {'them' if count > 1 else 'it'}; it scanned the other files)"], errors
    skipped = {"pep701.py", "pep696.py"} if count == 2 else {"pep696.py" if running == (3, 12) else "pep701.py"}
    listing = [n.message for n in run.notifications if n.level == "note" and "newer syntax" in n.message]
    assert len(listing) == 1 and all(name in listing[0] for name in skipped), listing


def _parse_json(files: dict[str, str]) -> str:
    """bandit's JSON report with a syntax error for each file in `files` (value: the reason)."""
    return json.dumps({"results": [], "errors": [{"filename": f, "reason": r} for f, r in files.items()]})


def _result(stdout: str) -> ProcResult:
    return ProcResult(argv=("bandit",), returncode=1, stdout=stdout, stderr="", wall_seconds=0.1, cpu_seconds=0.1,
                      timed_out=False)


class _Answer:
    """A SyntaxCheck stand-in that answers from a table (no interpreters needed)."""

    def __init__(self, classified: Classified):
        self.classified = classified

    def classify(self, files):
        return self.classified


def test_the_mismatch_is_one_error_with_count_cause_and_remedy_and_genuine_errors_stay(tmp_path: Path):
    targets = Targets(root=tmp_path.resolve(), files=(), excludes=())
    reason = "syntax error while parsing AST from file"
    stdout = _parse_json({"a.py": reason, "b.py": reason, "c.py": reason, "gone.py": "No such file or directory"})
    answer = Classified((3, 11), (3, 13), (Unparsed("a.py", needs=(3, 12)), Unparsed("b.py", needs=(3, 13)),
                                           Unparsed("c.py", line=4, reason="invalid syntax")))
    parsed = bandit.parse(_result(stdout), targets, _Answer(answer))  # type: ignore[arg-type]
    messages = [(n.level, n.message) for n in parsed.notifications]
    assert messages == [
        ("error", "bandit could not scan gone.py: No such file or directory"),
        ("error", "2 files use syntax newer than Python 3.11, which bandit runs under: install secscan with "
                  "Python ≥ 3.13 (bandit skipped them; it scanned the other files)"),
        ("note", "files bandit skipped for their newer syntax: a.py (≥ 3.12), b.py (≥ 3.13)"),
        ("error", "bandit could not scan c.py: syntax error while parsing AST from file (line 4: invalid syntax; "
                  "Python 3.13 cannot parse it either)"),
    ]
    # without a check (captured outputs, other callers): bandit's own per-file errors, as before
    plain = bandit.parse(_result(stdout), targets)
    assert [n.message for n in plain.notifications][:3] == [f"bandit could not scan {f}: {reason}"
                                                            for f in ("a.py", "b.py", "c.py")]


@pytest.mark.skipif(not (_interpreter(11) and _interpreter(12) and _interpreter(13)),
                    reason="needs CPython 3.11, 3.12 and 3.13 on this machine")
def test_newer_interpreters_tell_newer_syntax_from_errors(tmp_path: Path):
    """Real interpreters, no bandit: as if bandit ran on 3.11, with 3.12 and 3.13 available, then with none."""
    root = _tree(tmp_path)
    files = ["pep701.py", "pep696.py", "broken.py"]
    py311, py312, py313 = _interpreter(11), _interpreter(12), _interpreter(13)
    both = SyntaxCheck(py311, cwd=root, newer=[py313, py312]).classify(files)  # type: ignore[list-item]
    assert both.runs_under == (3, 11) and both.newest == (3, 13)
    assert [(u.path, u.needs) for u in both.files] == [("pep701.py", (3, 12)), ("pep696.py", (3, 13)),
                                                       ("broken.py", None)]
    assert both.files[2].line == 1 and both.files[2].reason
    only_312 = SyntaxCheck(py311, cwd=root, newer=[py312]).classify(files)  # type: ignore[list-item]
    assert [u.needs for u in only_312.files] == [(3, 12), None, None] and only_312.newest == (3, 12)
    none = SyntaxCheck(py311, cwd=root, newer=[]).classify(files)
    assert none.newest is None and [u.needs for u in none.files] == [None, None, None]
    assert all(u.line >= 1 and u.reason for u in none.files)  # bandit's own Python says where and why
    notes = bandit.syntax_notes(none, Targets(root=root, files=(), excludes=()))
    assert all(n.level == "error" and "no Python newer than 3.11 found" in n.message for n in notes)


def test_an_interpreter_that_does_not_run_is_skipped(tmp_path: Path):
    shim = tmp_path / "python3.99"
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.99: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    assert bandit.python_version(str(shim)) is None
    root = _tree(tmp_path / "tree")
    check = SyntaxCheck(sys.executable, cwd=root, newer=[str(shim)]).classify(["broken.py"])
    assert check.newest is None and check.files[0].needs is None and check.files[0].line == 1


@pytest.mark.parametrize("head,expected", [
    ("#!/opt/py/bin/python3.12\nimport sys\n", "/opt/py/bin/python3.12"),
    ("#!/bin/sh\n'''exec' \"/very long/path/bin/python3.13\" \"$0\" \"$@\"\n' '''\n", "/very long/path/bin/python3.13"),
    ("#!/bin/bash\nexec something\n", None),
    ("\x7fELF binary", None),
])
def test_the_interpreter_of_a_console_script_comes_from_its_shebang(tmp_path: Path, head: str, expected: str | None):
    script = tmp_path / "bin" / "bandit"
    script.parent.mkdir()
    script.write_text(head)
    assert bandit.interpreter_of(str(script)) == expected


def test_env_shebangs_resolve_through_path_and_secscans_own_bandit_is_its_python(tmp_path: Path):
    script = tmp_path / "bandit"
    script.write_text("#!/usr/bin/env sh\n")
    assert bandit.interpreter_of(str(script)) == __import__("shutil").which("sh")
    own = Path(sys.executable).parent / "bandit"
    assert bandit.interpreter_of(str(own)) == sys.executable


def _item(test_id: str, cwe: int) -> dict[str, object]:
    return {"test_id": test_id, "test_name": "t", "issue_text": "text", "issue_severity": "MEDIUM",
            "issue_confidence": "HIGH", "issue_cwe": {"id": cwe, "link": ""}, "filename": "a.py", "line_number": 3,
            "line_range": [3], "col_offset": 0, "more_info": f"https://bandit.readthedocs.io/#{test_id.lower()}-x"}


@pytest.mark.parametrize("test_id,bandit_cwe,secscan_cwe", [
    ("B307", 78, 95), ("B102", 78, 95), ("B310", 22, 918), ("B314", 20, 611), ("B318", 20, 611), ("B506", 20, 502),
    ("B701", 94, 79), ("B201", 94, 489), ("B104", 605, 1327),
    ("B607", 78, 426),  # a partial executable path is an untrusted search path
    ("B608", 89, 89), ("B602", 78, 78),  # precise already: unchanged
    ("B404", 78, None), ("B403", 502, None), ("B406", 20, None),  # import warnings name a module: no CWE
    ("B307", 95, 95),  # bandit fixed it itself: nothing to do
])
def test_bandit_cwes_are_normalised_per_test_id(tmp_path: Path, test_id: str, bandit_cwe: int,
                                                secscan_cwe: int | None):
    targets = Targets(root=tmp_path.resolve(), files=(), excludes=())
    stdout = json.dumps({"results": [_item(test_id, bandit_cwe)], "errors": []})
    finding = bandit.parse(_result(stdout), targets).findings[0]
    assert finding.rule.cwe == ((secscan_cwe,) if secscan_cwe else ())
    if secscan_cwe is None:
        assert finding.properties["banditCwe"] == bandit_cwe and "secscan reports no CWE" in finding.rule.help_text
    elif secscan_cwe != bandit_cwe:
        assert finding.properties["banditCwe"] == bandit_cwe and f"CWE-{secscan_cwe}" in finding.rule.help_text
    else:
        assert "banditCwe" not in finding.properties
