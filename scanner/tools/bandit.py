"""bandit adapter: all plugins, JSON output, a non-empty `errors` list is a failed run.

bandit parses the scanned code with the interpreter it runs under, so on Python 3.11 a file using 3.12 syntax
(PEP 701 f-strings, PEP 695 `type` aliases) is a "syntax error". `SyntaxCheck` tells those apart from real syntax
errors by parsing the files again with newer interpreters found on the machine, and the run then says how many
files need which Python instead of listing each as broken.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from secscan import proc
from secscan.errors import ToolMissing, ToolOutputError
from secscan.models import Finding, Location, Notification, Rule, Severity
from secscan.redact import scrub_secret_message
from secscan.targets import Targets
from secscan.tools.base import Invocation, Parsed, Stage, ToolContext, ToolPlan, package_version

# Tests whose message quotes the flagged value (a hard-coded password).
_QUOTES_SECRET = {"B105", "B106", "B107"}
_PRECISION = {"HIGH": "high", "MEDIUM": "medium", "LOW": "low", "UNDEFINED": "low"}
_SYNTAX_ERROR = "syntax error while parsing AST from file"  # bandit's reason (bandit/core/manager.py)


class Bandit:
    name = "bandit"
    takes_extra_args = True
    refused_args: tuple[str, ...] = (
        "-x", "--exclude", "-s", "--skip", "-t", "--tests", "-l", "-ll", "-lll", "--severity-level", "-i", "-ii",
        "-iii", "--confidence-level", "-b", "--baseline", "-c", "--configfile", "--ini", "-p", "--profile", "-f",
        "--format", "-o", "--output", "-r", "--recursive",
    )
    stage: Stage = "static"
    executable = "bandit"
    information_uri = "https://bandit.readthedocs.io/"
    nothing_to_scan = "no Python files to scan"

    def files(self, targets: Targets) -> Sequence[Path]:
        return targets.python_files()

    @contextmanager
    def plan(self, exe: str, files: Sequence[str], ctx: ToolContext) -> Iterator[ToolPlan]:
        targets = ctx.targets
        check = SyntaxCheck(interpreter_of(exe), timeout=ctx.timeout, cwd=targets.root)
        yield ToolPlan([Invocation((exe, "-f", "json", "-q", *ctx.extra_args), lambda r: parse(r, targets, check),
                                   files=tuple(files), cwd=targets.root)], version=package_version(exe, "bandit"))


def parse(result: proc.ProcResult, targets: Targets, check: SyntaxCheck | None = None) -> Parsed:
    """bandit exits 0 or 1 with JSON on stdout; anything else, or non-JSON, is a failed run.

    With `check`, files bandit could not parse are parsed again with newer Pythons: those that parse are one
    error naming their count and the Python they need; the others stay one error each, with line and reason."""
    if result.returncode not in (0, 1):
        raise ToolOutputError(f"bandit exited {result.returncode}")
    try:
        doc = json.loads(result.stdout)
        results, errors = doc["results"], doc["errors"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ToolOutputError(f"bandit printed output that is not its JSON report ({exc})") from exc
    findings = [_finding(item, targets) for item in results]
    unparsed = [str(e["filename"]) for e in errors if e.get("reason") == _SYNTAX_ERROR]
    notes = [Notification("error", f"bandit could not scan {targets.relative(e['filename'])}: {e['reason']}")
             for e in errors if check is None or e.get("reason") != _SYNTAX_ERROR]
    if check is not None and unparsed:
        notes += syntax_notes(check.classify(unparsed), targets)
    return Parsed(findings, notes)


# --- syntax errors that are version mismatches ------------------------------------------------------------------

# Run with `python -I -c`: parses each file (bytes, as bandit does, so encoding cookies apply) with the running
# interpreter's grammar; prints only versions, line numbers and the parser's short reason, never source text.
_PARSE_SCRIPT = """
import ast, json, sys, warnings
out = {}
for name in json.load(sys.stdin):
    try:
        with open(name, "rb") as fh:
            source = fh.read()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source, filename=name)
        out[name] = None
    except SyntaxError as exc:
        out[name] = [exc.lineno or 0, str(exc.msg)[:100]]
    except (OSError, ValueError) as exc:
        out[name] = [0, type(exc).__name__]
json.dump({"version": list(sys.version_info[:2]), "files": out}, sys.stdout)
"""


@dataclass(frozen=True, slots=True)
class Unparsed:
    """A file bandit could not parse: the Python minor version whose grammar accepts it (None: none found), or
    where the newest grammar tried fails."""

    path: str
    needs: tuple[int, int] | None = None
    line: int = 0
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Classified:
    runs_under: tuple[int, int] | None  # bandit's Python
    newest: tuple[int, int] | None  # the newest Python the files were parsed with again (None: none newer found)
    files: tuple[Unparsed, ...] = ()


@dataclass(frozen=True, slots=True)
class SyntaxCheck:
    """Parses the files bandit could not parse again with each newer CPython on the machine (`newer`; default:
    discovered by `newer_pythons`), oldest first, each only on the files still failing. Without a newer one,
    bandit's own Python gives the line and reason."""

    python: str | None  # bandit's interpreter (None: unknown)
    timeout: float = 60.0
    cwd: Path | None = None
    newer: Sequence[str] | None = None

    def classify(self, files: Sequence[str]) -> Classified:
        base = python_version(self.python) if self.python else None
        failing = {f: Unparsed(f) for f in files}
        parsed: dict[str, Unparsed] = {}
        newest = None
        for version, exe in self._candidates(base):
            if not failing:
                break
            answer = self._parse(exe, list(failing))
            if answer is None:
                continue
            newest = version
            for name in [n for n in failing if n in answer]:
                outcome = answer[name]
                if outcome is None:
                    parsed[name] = Unparsed(name, needs=version)
                    del failing[name]
                else:
                    failing[name] = Unparsed(name, line=int(outcome[0]), reason=str(outcome[1]))
        if newest is None and self.python and failing:
            answer = self._parse(self.python, list(failing)) or {}
            for name in [n for n in failing if answer.get(n)]:
                failing[name] = Unparsed(name, line=int(answer[name][0]), reason=str(answer[name][1]))
        every = {**failing, **parsed}
        return Classified(base, newest, tuple(every[f] for f in files))

    def _candidates(self, base: tuple[int, int] | None) -> list[tuple[tuple[int, int], str]]:
        found = newer_pythons(base) if self.newer is None else \
            [(v, exe) for exe in self.newer if (v := python_version(exe)) is not None]
        return sorted((v, exe) for v, exe in found if base is None or v > base)

    def _parse(self, exe: str, files: Sequence[str]) -> dict[str, Any] | None:
        """file -> None (parses) or [line, reason]; None when the interpreter could not be run."""
        try:
            out = proc.run((exe, "-I", "-c", _PARSE_SCRIPT), timeout=self.timeout, cwd=self.cwd,
                           stdin_text=json.dumps(list(files)))
        except (ToolMissing, OSError):
            return None
        if out.returncode != 0 or out.timed_out:
            return None
        try:
            answer = json.loads(out.stdout)["files"]
        except (ValueError, KeyError, TypeError):
            return None
        return answer if isinstance(answer, dict) else None


def syntax_notes(result: Classified, targets: Targets) -> list[Notification]:
    """One error for all files that only need a newer Python (count, cause, remedy) followed by a note naming
    them; one error per genuine syntax error, with line and reason and whether a newer Python was tried."""
    under = _version_text(result.runs_under)
    newer = [u for u in result.files if u.needs is not None]
    broken = [u for u in result.files if u.needs is None]
    notes: list[Notification] = []
    if newer:
        need = max(u.needs for u in newer if u.needs is not None)
        notes.append(Notification("error", (
            f"{_plural(len(newer), 'file uses', 'files use')} syntax newer than Python {under}, which bandit runs "
            f"under: install secscan with Python ≥ {_version_text(need)} (bandit skipped "
            f"{'it' if len(newer) == 1 else 'them'}; it scanned the other files)")))
        listed = ", ".join(f"{targets.relative(u.path)} (≥ {_version_text(u.needs)})" for u in newer)
        notes.append(Notification("note", f"files bandit skipped for their newer syntax: {listed}"))
    checked = (f"Python {_version_text(result.newest)} cannot parse it either" if result.newest else
               f"no Python newer than {under} found to tell whether it is newer syntax")
    for u in broken:
        where = f"line {u.line}: {u.reason}; " if u.reason else ""
        notes.append(Notification("error", f"bandit could not scan {targets.relative(u.path)}: {_SYNTAX_ERROR} "
                                           f"({where}{checked})"))
    return notes


def _version_text(version: tuple[int, int] | None) -> str:
    return "?" if version is None else f"{version[0]}.{version[1]}"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


_SH_EXEC = re.compile(r"""^'''exec' (?:"([^"]+)"|(\S+))""")  # pip's shebang for long or spaced interpreter paths


def interpreter_of(exe: str) -> str | None:
    """The Python a console script runs under: secscan's own when the script sits next to it, else its shebang
    (`#!/path/python`, `#!/usr/bin/env python3`, or pip's `#!/bin/sh` + `'''exec' "/long path/python"` form)."""
    if Path(exe).parent.resolve() == Path(sys.executable).parent.resolve():
        return sys.executable
    try:
        with open(exe, "rb") as fh:
            head = fh.read(1024).decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    if not head or not head[0].startswith("#!"):
        return None
    words = head[0][2:].split()
    if len(words) > 1 and Path(words[0]).name == "env":
        return shutil.which(words[1])
    if words and "python" in Path(words[0]).name:
        return words[0]
    if len(head) > 1 and (m := _SH_EXEC.match(head[1])):
        return m.group(1) or m.group(2)
    return None


@cache
def python_version(exe: str) -> tuple[int, int] | None:
    """(major, minor) of an interpreter, None when it does not run (e.g. a pyenv shim of an unselected version)."""
    if exe == sys.executable:
        return sys.version_info[0], sys.version_info[1]
    try:
        out = proc.run((exe, "-I", "-c", "import sys; print(*sys.version_info[:2])"), timeout=30)
    except (ToolMissing, OSError):
        return None
    parts = out.stdout.split()
    if out.returncode != 0 or out.timed_out or len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1])


def newer_pythons(than: tuple[int, int] | None, newest_minor: int = 20) -> list[tuple[tuple[int, int], str]]:
    """One working interpreter per Python 3 minor version newer than `than`: `python3.N` on PATH, then pyenv's
    (`$PYENV_ROOT`, default ~/.pyenv) and uv's (`$UV_PYTHON_INSTALL_DIR`, default ~/.local/share/uv/python)
    installations. Called only when bandit reported a syntax error."""
    first = than[1] + 1 if than and than[0] == 3 else 0
    by_minor: dict[int, list[str]] = {}
    for minor in range(first, newest_minor + 1):
        if (exe := shutil.which(f"python3.{minor}")) is not None:
            by_minor.setdefault(minor, []).append(exe)
    home = Path.home()
    installs = ((Path(os.environ.get("PYENV_ROOT") or home / ".pyenv") / "versions", re.compile(r"3\.(\d+)\.\d+")),
                (Path(os.environ.get("UV_PYTHON_INSTALL_DIR") or home / ".local/share/uv/python"),
                 re.compile(r"cpython-3\.(\d+)\.\d+-.*")))
    for folder, pattern in installs:
        for exe_path in sorted(folder.glob("*/bin/python3")) if folder.is_dir() else ():
            m = pattern.fullmatch(exe_path.parent.parent.name)
            if m and int(m.group(1)) >= first:
                by_minor.setdefault(int(m.group(1)), []).append(str(exe_path))
    found = []
    for minor in sorted(by_minor):
        for exe in by_minor[minor]:
            version = python_version(exe)
            if version is not None and (than is None or version > than):
                found.append((version, exe))
                break
    return found


# bandit tags some tests with a CWE that names a catch-all or a consequence instead of the weakness the test looks
# for at the call it flags; secscan reports the precise one there, so that CWE tags (GitHub's filters) and the CWE
# families that de-duplicate bandit against semgrep (secscan.overlap) mean the same for both tools. Applied only
# when bandit still says the listed CWE; the original stays in the finding's `banditCwe` property. Import-level
# warnings (B401-B415: "consider the security implications of module X") name a module, not a weakness at a place:
# they are reported without a CWE, so that `import subprocess` is not tagged "OS command injection" (CWE-78).
_XML_CWE_REASON = ("the call parses XML with a parser open to external entities or entity expansion (XXE); bandit "
                   "tags it CWE-20, improper input validation")
_IMPORT_REASON = "an import warning names a module, not a weakness at this place; bandit tags it with a weakness CWE"
CWE_FIXES: dict[str, tuple[int, int | None, str]] = {  # test id -> (bandit's CWE, secscan's CWE or none, why)
    "B102": (78, 95, "exec() of dynamic code is code (eval) injection; bandit tags it CWE-78, OS command injection"),
    "B307": (78, 95, "eval() of dynamic code is code (eval) injection; bandit tags it CWE-78, OS command injection"),
    "B310": (22, 918, "urlopen() of a URL it does not check is server-side request forgery (file:// included); "
                      "bandit tags it CWE-22, path traversal"),
    **{test: (20, 611, _XML_CWE_REASON) for test in ("B313", "B314", "B315", "B316", "B317", "B318", "B319", "B320")},
    "B506": (20, 502, "yaml.load() with an unsafe Loader is deserialisation of untrusted data; bandit tags it "
                      "CWE-20, improper input validation"),
    "B701": (94, 79, "jinja2 autoescape=False leads to cross-site scripting; bandit tags it CWE-94, code injection"),
    "B201": (94, 489, "Flask debug=True is active debug code (the debugger's code execution is its consequence); "
                      "bandit tags it CWE-94"),
    "B104": (605, 1327, "binding to all interfaces is CWE-1327; bandit tags it CWE-605, multiple binds to one port"),
    "B607": (78, 426, "starting a process by a partial path is an untrusted search path (CWE-426); bandit tags it "
                      "CWE-78, OS command injection"),
    # The import warnings and the CWE bandit 1.9 gives each (pickle/marshal 502, subprocess 78, XML parsers 20, ...).
    **{f"B4{n:02d}": (cwe, None, _IMPORT_REASON) for n, cwe in (
        (1, 319), (2, 319), (3, 502), (4, 78), (5, 20), (6, 20), (7, 20), (8, 20), (9, 20), (11, 20), (12, 284),
        (13, 327), (15, 319))},
}


def normalised_cwe(test_id: str, cwe: int | None) -> int | None:
    fix = CWE_FIXES.get(test_id)
    return fix[1] if fix is not None and cwe == fix[0] else cwe


def _finding(item: dict[str, Any], targets: Targets) -> Finding:
    test_id = item["test_id"]
    text = scrub_secret_message(item["issue_text"]) if test_id in _QUOTES_SECRET else item["issue_text"]
    severity = Severity.parse(item["issue_severity"]) if item["issue_severity"] != "UNDEFINED" else Severity.LOW
    tagged = (item.get("issue_cwe") or {}).get("id")
    bandit_cwe = int(tagged) if tagged else None
    cwe = normalised_cwe(test_id, bandit_cwe)
    help_text = f"{text} See {item.get('more_info', 'the bandit documentation')}."
    properties: dict[str, Any] = {"confidence": item["issue_confidence"].lower()}
    if cwe != bandit_cwe:
        help_text += f" secscan reports {f'CWE-{cwe}' if cwe else 'no CWE'}: {CWE_FIXES[test_id][2]}."
        properties["banditCwe"] = bandit_cwe
    rule = Rule(
        id=test_id, title=_title(item), description=f"bandit {test_id}: {text}", severity=severity,
        help_text=help_text, help_uri=item.get("more_info"),
        precision=_PRECISION.get(item["issue_confidence"], "medium"), cwe=(cwe,) if cwe else (),
    )
    lines = item.get("line_range") or [item["line_number"]]
    loc = Location(path=targets.relative(item["filename"]), start_line=int(item["line_number"]),
                   end_line=int(max(lines)), start_column=int(item.get("col_offset", 0)) + 1)
    return Finding(tool="bandit", rule=rule, message=text, location=loc, severity=severity, properties=properties)


def _title(item: dict[str, Any]) -> str:
    """'b105_hardcoded_password_string' or '#b403-import-pickle' -> 'hardcoded password string'."""
    more = item.get("more_info", "")
    slug = more.rsplit("#", 1)[-1] if "#" in more else more.rsplit("/", 1)[-1].removesuffix(".html")
    words = re.sub(r"^b\d+[_-]", "", slug).replace("_", " ").replace("-", " ").strip()
    return words or item["test_name"].replace("_", " ")
