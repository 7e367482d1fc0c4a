"""Suppressions: `.secscan-ignore.yaml` entries (by fingerprint, or rule + path glob [+ operation]) and inline markers.

Inline markers are recognised the way each tool does natively (bandit `# nosec`, semgrep `# nosemgrep`), so secscan
can ask the tools to report those results (`--ignore-nosec`, `--disable-nosem`) and keep them in the SARIF as
suppressed (`kind: inSource`) instead of losing them; `# secscan: ignore[RULE] reason` works for every tool.
"""

from __future__ import annotations

import ast
import functools
import io
import re
import tokenize
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from secscan.config import describe_error
from secscan.errors import ConfigError
from secscan.models import Finding, Suppression
from secscan.textfiles import NoAliasLoader, read_text_file

MAX_FILE_BYTES = 1_000_000
# Ask the tools to report natively-ignored results too; finalize() marks them suppressed (inSource).
NATIVE_REPORTING_ARGS: dict[str, tuple[str, ...]] = {"bandit": ("--ignore-nosec",), "semgrep": ("--disable-nosem",)}


def iso_date(value: object) -> object:
    """Only a real calendar date: YAML's unquoted 2027-03-31 or the string "2027-03-31"."""
    if isinstance(value, datetime):
        raise ValueError("must be a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"not a date: {str(value)[:40]!r} (expected YYYY-MM-DD)")


IsoDate = Annotated[date, BeforeValidator(iso_date)]
Fingerprint = Annotated[str, Field(pattern=r"^[0-9a-f]{16,64}$")]
NonEmpty = Annotated[str, Field(min_length=1, pattern=r"\S")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class EntryModel(_Model):
    fingerprint: Fingerprint | None = None
    rule: NonEmpty | None = None
    path: NonEmpty | None = None
    tool: NonEmpty | None = None
    operation: NonEmpty | None = None
    reason: NonEmpty
    expires: IsoDate | None = None

    @model_validator(mode="after")
    def _one_way_of_matching(self) -> EntryModel:
        if self.fingerprint is not None:
            if self.rule or self.path or self.operation:
                raise ValueError("match either by fingerprint or by rule + path, not both")
        elif self.rule is None or self.path is None:
            raise ValueError("needs a fingerprint, or a rule and a path glob")
        return self


class IgnoreFileModel(_Model):
    version: Annotated[int, Field(ge=1, le=1)] = 1
    suppressions: list[EntryModel]


@dataclass(frozen=True, slots=True)
class IgnoreEntry:
    """One `.secscan-ignore.yaml` entry, with where it was written."""

    number: int  # 1-based position in the list
    line: int
    reason: str
    fingerprint: str | None = None
    rule: str | None = None
    path: str | None = None
    tool: str | None = None
    operation: str | None = None
    expires: date | None = None

    def expired(self, today: date) -> bool:
        return self.expires is not None and today > self.expires

    def describe(self) -> str:
        what = f"fingerprint {self.fingerprint}" if self.fingerprint else f"rule {self.rule}, path {self.path}"
        extra = "".join(f", {k} {v}" for k, v in (("tool", self.tool), ("operation", self.operation)) if v)
        return what + extra

    def matches(self, finding: Finding) -> bool:
        if self.tool is not None and finding.tool != self.tool:
            return False
        if self.fingerprint is not None:
            return finding.fingerprint == self.fingerprint
        if finding.rule.id != self.rule or not glob_match(self.path or "", finding.location.path):
            return False
        return self.operation is None or _operation(self.operation) == _operation(finding.logical_location or "")


@dataclass(frozen=True, slots=True)
class IgnoreFile:
    display: str  # how the file is named in messages and SARIF (repo-relative when possible)
    entries: tuple[IgnoreEntry, ...]

    def suppression(self, entry: IgnoreEntry, today: date) -> Suppression:
        return Suppression(kind="external", justification=entry.reason, source=f"{self.display}:{entry.line}",
                           status="expired" if entry.expired(today) else "accepted",
                           expires=entry.expires.isoformat() if entry.expires else None,
                           source_path=self.display, source_line=entry.line)


def _operation(text: str) -> str:
    method, _, path = " ".join(text.split()).partition(" ")
    return f"{method.upper()} {path}"


# --- path globs: '*' stays within one directory, '**' crosses them ----------------------------------------
#
# Matched by a small automaton, not a regular expression: `re` backtracks, and a glob like "*a" * 25 + "*b" against
# a 60-character path took minutes. A glob is a list of tokens (a literal character, '?', '*', '**', '**/'); the
# matcher follows every way the pattern can have advanced at once (a set of token positions), so each character of
# the path costs at most one pass over the pattern: O(len(path) * len(pattern)) whatever the pattern. The sets met
# are numbered as they appear (a lazily built DFA), so after the first few paths a character costs one dict lookup.

_LITERAL, _ONE, _STAR, _ANY, _DIRS = range(5)  # c, '?', '*' (not '/'), '**' (anything), '**/' (empty or ".*/")
_MAX_STATES = 4096  # per pattern; past it, transitions are computed without being remembered (still linear)


class _Glob:
    def __init__(self, pattern: str) -> None:
        tokens: list[tuple[int, str]] = []
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                tokens.append((_DIRS, ""))
                i += 3
            elif pattern.startswith("**", i):
                tokens.append((_ANY, ""))
                i += 2
            else:
                tokens.append(({"*": _STAR, "?": _ONE}.get(pattern[i], _LITERAL), pattern[i]))
                i += 1
        self.tokens = tokens
        self.sets: list[frozenset[int]] = []
        self.numbers: dict[frozenset[int], int] = {}
        self.moves: list[dict[str, int]] = []
        self.start = self._number(self._closure({0}))

    # A position k >= 0 is "before token k" (len(tokens): matched); -k-1 is "inside the '**/' at k".
    def _closure(self, positions: set[int]) -> frozenset[int]:
        todo, seen = list(positions), set(positions)
        while todo:
            k = todo.pop()
            if 0 <= k < len(self.tokens) and self.tokens[k][0] in (_STAR, _ANY, _DIRS) and k + 1 not in seen:
                seen.add(k + 1)  # each of them may match nothing
                todo.append(k + 1)
        return frozenset(seen)

    def _step(self, positions: frozenset[int], char: str) -> frozenset[int]:
        after: set[int] = set()
        for k in positions:
            if k < 0:  # inside '**/': anything, until a '/' that may end it
                after.add(k)
                if char == "/":
                    after.add(-k)
                continue
            if k == len(self.tokens):
                continue
            kind, literal = self.tokens[k]
            if kind == _LITERAL and char == literal or kind == _ONE and char != "/":
                after.add(k + 1)
            elif kind == _STAR and char != "/" or kind == _ANY:
                after.add(k)
            elif kind == _DIRS:
                after.add(-k - 1)
                if char == "/":
                    after.add(k + 1)
        return self._closure(after)

    def _number(self, positions: frozenset[int]) -> int:
        number = self.numbers.get(positions)
        if number is None:
            if len(self.sets) >= _MAX_STATES:
                return -1
            number = self.numbers[positions] = len(self.sets)
            self.sets.append(positions)
            self.moves.append({})
        return number

    def match(self, path: str) -> bool:
        state, positions = self.start, self.sets[self.start]
        for char in path:
            nxt = self.moves[state].get(char) if state >= 0 else None
            if nxt is None:
                positions = self._step(positions, char)
                if not positions:
                    return False
                nxt = self._number(positions)
                if state >= 0 and nxt >= 0:
                    self.moves[state][char] = nxt
            else:
                positions = self.sets[nxt]
            state = nxt
        return len(self.tokens) in positions


@functools.lru_cache(maxsize=512)
def _glob(pattern: str) -> _Glob:
    return _Glob(pattern)


def glob_match(pattern: str, path: str) -> bool:
    """Repo-relative POSIX path against a glob: `*` and `?` never cross '/', `**` does, `**/` may be empty.
    Linear in the path whatever the pattern (no backtracking)."""
    return _glob(pattern.strip().removeprefix("./")).match(path)


# --- loading ----------------------------------------------------------------------------------------------




def load_ignore_file(path: Path, display: str | None = None) -> IgnoreFile:
    return parse_ignore_text(read_text_file(path, "suppression", MAX_FILE_BYTES), display or str(path))


def parse_ignore_text(text: str, display: str) -> IgnoreFile:
    """Parse and validate; every problem is one ConfigError line naming the file, the key and the line."""
    if not text.strip():
        raise ConfigError(f"{display}: suppression file is empty (expected 'suppressions:' with a list of entries)")
    node, data = _compose(text, display)
    if not isinstance(data, dict):
        raise ConfigError(f"{display}: expected a mapping with a 'suppressions' list, got {type(data).__name__}")
    try:
        model = IgnoreFileModel.model_validate(data)
    except ValidationError as exc:
        line = _node_line(node, exc.errors()[0]["loc"])
        raise ConfigError(f"{display}: {describe_error(exc)}" + (f" (line {line})" if line else "")) from None
    lines = [_node_line(node, ("suppressions", i)) or 0 for i in range(len(model.suppressions))]
    return IgnoreFile(display, tuple(
        IgnoreEntry(number=i + 1, line=lines[i], reason=e.reason.strip(), fingerprint=e.fingerprint, rule=e.rule,
                    path=e.path, tool=e.tool, operation=e.operation, expires=e.expires)
        for i, e in enumerate(model.suppressions)))


def _compose(text: str, display: str) -> tuple[yaml.Node | None, Any]:
    loader = None
    try:
        loader = NoAliasLoader(text)  # the reader already rejects control characters here
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(f"{display}: not valid YAML: {exc.problem or exc.context}{where}") from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        # e.g. an impossible unquoted timestamp (2027-02-31) fails inside PyYAML's constructor
        raise ConfigError(f"{display}: not valid YAML: {' '.join(str(exc).split())[:200]}") from None
    finally:
        if loader is not None:
            loader.dispose()


def _node_line(node: yaml.Node | None, loc: Sequence[Any]) -> int | None:
    """1-based line of the YAML node at a pydantic error location (the deepest one that exists)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


# --- inline markers ---------------------------------------------------------------------------------------

_SECSCAN_MARKER = re.compile(r"#\s*secscan:\s*ignore\[(?P<rules>[^\]]*)\](?P<reason>.*)$")
_COMMENT_ONLY = re.compile(r"^\s*#")
# bandit (bandit/core/manager.py): a comment containing "nosec", optionally followed by test ids or names.
_NOSEC = re.compile(r"#\s*nosec:?\s*(?P<tests>[^#]+)?#?")
_NOSEC_TESTS = re.compile(r"(?:(B\d+|[a-z\d_]+),?)+", re.IGNORECASE)
# semgrep (Nosemgrep): " nosem"/" nosemgrep" with optional ":"/"=" and ids, on the match's first line,
# or alone (nothing alphanumeric before it) on the line above.
_IDS = r"(?:[:=][\s]?(?P<ids>(?:[^,\s](?:[,\s]+)?)+))?"
_NOSEM_INLINE = re.compile(r" nosem(?:grep)?" + _IDS, re.IGNORECASE)
_NOSEM_ABOVE = re.compile(r"^[^a-zA-Z0-9]* nosem(?:grep)?" + _IDS, re.IGNORECASE)


@dataclass
class SourceFile:
    """A file's lines, plus bandit's view of its `# nosec` comments (computed on first use)."""

    lines: list[str]
    _nosec: dict[int, frozenset[str] | None] | None = None
    _spans: list[tuple[int, int]] | None = None

    def line(self, number: int) -> str:
        return self.lines[number - 1] if 1 <= number <= len(self.lines) else ""

    def nosec(self) -> dict[int, frozenset[str] | None]:
        if self._nosec is None:
            self._nosec = _nosec_lines("\n".join(self.lines) + "\n")
        return self._nosec

    def node_start(self, line: int, end: int) -> int:
        """First line of the innermost Python node spanning `line`..`end` (bandit reports a call's keyword
        line, but matches `# nosec` over the whole node): `line` itself when the file does not parse."""
        if self._spans is None:
            try:
                with warnings.catch_warnings():  # e.g. SyntaxWarning for invalid escapes: not ours to report
                    warnings.simplefilter("ignore")
                    tree = ast.parse("\n".join(self.lines))
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                tree = None
            self._spans = [(n.lineno, n.end_lineno) for n in ast.walk(tree)
                           if isinstance(n, (ast.stmt, ast.expr)) and n.end_lineno is not None] if tree else []
        return max((s for s, e in self._spans if e == end and s <= line), default=line)


def inline_suppression(finding: Finding, source: SourceFile) -> tuple[Suppression | None, str | None]:
    """(suppression, warning): the tool's native marker, else `# secscan: ignore[RULE] reason` on the
    flagged line or on a comment-only line just above it."""
    native = _native(finding, source)
    if native is not None:
        return native, None
    for number in (finding.location.start_line, finding.location.start_line - 1):
        text = source.line(number)
        match = _SECSCAN_MARKER.search(text)
        if not match or (number != finding.location.start_line and not _COMMENT_ONLY.match(text)):
            continue
        rules = {r.strip() for r in match.group("rules").split(",")}
        if finding.rule.id not in rules:
            continue
        reason = match.group("reason").strip().lstrip(":-–— ").strip()
        where = f"{finding.location.path}:{number}"
        if not reason:
            return None, f"{where}: 'secscan: ignore[{finding.rule.id}]' has no reason, so it is not honoured"
        return _in_source(reason, f"{where} # secscan: ignore", finding.location.path, number), None
    return None, None


def _in_source(justification: str, source: str, path: str, line: int) -> Suppression:
    return Suppression(kind="inSource", justification=justification[:500], source=source, source_path=path,
                       source_line=line)


def _native(finding: Finding, source: SourceFile) -> Suppression | None:
    loc = finding.location
    tool = finding.tool.lower()
    if tool == "bandit" and (line := _bandit_skips(finding, source)) is not None:
        return _in_source(_comment(source.line(line), "nosec"), f"{loc.path}:{line} # nosec", loc.path, line)
    if tool == "semgrep":
        line = _semgrep_ignores(finding.rule.id, source.line(loc.start_line), source.line(loc.start_line - 1))
        if line is not None:
            number = loc.start_line - line
            text = source.line(number)
            return _in_source(_comment(text, "nosem"), f"{loc.path}:{number} # nosemgrep", loc.path, number)
    return None


def _comment(line: str, marker: str) -> str:
    start = line.lower().find(marker)
    hash_at = line.rfind("#", 0, start) if start >= 0 else -1
    return line[hash_at if hash_at >= 0 else max(start, 0):].strip() or marker


def _bandit_skips(finding: Finding, source: SourceFile) -> int | None:
    """bandit's rule: the tests of a nosec on the flagged line, plus those of the first nosec comment in the
    node's line range; none named (or none bandit knows) means every test. Returns the marker's line."""
    loc = finding.location
    nosec = source.nosec()
    end = loc.end_line or loc.start_line
    base = nosec.get(loc.start_line)
    context_line = next((n for n in range(source.node_start(loc.start_line, end), end + 1)
                         if nosec.get(n) is not None), None)
    context = nosec[context_line] if context_line is not None else None
    if base is None and context is None:
        return None
    tests = (base or frozenset()) | (context or frozenset())
    if tests and finding.rule.id not in tests:
        return None
    return loc.start_line if base is not None else context_line


def _semgrep_ignores(rule_id: str, line: str, above: str) -> int | None:
    """0 when the flagged line's nosemgrep applies, 1 when the line above does, None when neither."""
    for offset, pattern, text in ((0, _NOSEM_INLINE, line), (1, _NOSEM_ABOVE, above)):
        for match in pattern.finditer(text):
            ids = [i for i in re.split(r"[,\s]+", match.group("ids") or "") if i]
            if not ids or any(rule_id == i or rule_id.endswith("." + i) for i in ids):
                return offset
    return None


def _nosec_lines(text: str) -> dict[int, frozenset[str] | None]:
    """line -> tests a `# nosec` comment skips (empty: all), None for other comments; as bandit tokenises."""
    found: dict[int, frozenset[str] | None] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                found[token.start[0]] = _parse_nosec(token.string)
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def _parse_nosec(comment: str) -> frozenset[str] | None:
    match = _NOSEC.search(comment)
    if not match:
        return None
    tests = match.group("tests") or ""
    ids = (_bandit_test_id(m.group(1)) for m in _NOSEC_TESTS.finditer(tests))
    return frozenset(i for i in ids if i)


@functools.lru_cache(maxsize=256)
def _bandit_test_id(name: str) -> str | None:
    """A test id (B602) or name (subprocess_popen_with_shell_equals_true) -> id, as bandit resolves it."""
    try:
        from bandit.core import extension_loader
    except ImportError:  # bandit not importable here: ids only
        return name if re.fullmatch(r"B\d+", name) else None
    manager = extension_loader.MANAGER
    return name if manager.check_id(name) else manager.get_test_id(name)


def read_source(path: Path) -> SourceFile | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return SourceFile(re.split(r"\r\n|\r|\n", text))
