"""Discover Python dependency files and parse them into (name, pinned version, file, line) records."""

from __future__ import annotations

import json
import os
import re
import stat
import tomllib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

__all__ = [
    "DEP_FILE_PATTERNS",
    "Collected",
    "Dependency",
    "Include",
    "ParseResult",
    "collect_dependencies",
    "is_dep_file",
    "parse",
    "partition_unique",
    "to_requirements",
]

DEP_FILE_PATTERNS: tuple[str, ...] = (
    "requirements*.txt",
    "requirements*.in",
    "*requirements.txt",
    "requirements/*.txt",
    "pyproject.toml",
    "poetry.lock",
    "uv.lock",
    "Pipfile.lock",
)

_COMMENT_RE = re.compile(r"(^|\s+)#.*$")
_OPTION_SPLIT_RE = re.compile(r"\s+(?=--?[A-Za-z])")
_URL_RE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|file:|git\+|hg\+|svn\+|bzr\+)")
_EGG_RE = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_ARCHIVE_NAME_RE = re.compile(r"([A-Za-z0-9][A-Za-z0-9._]*?)-\d[^/]*?(?:\.whl|\.tar\.gz|\.zip|\.tar\.bz2)$")
_POETRY_PIN_RE = re.compile(r"^\s*(?:==)?\s*(\d[^\s,<>=!~^*|]*)\s*$")
_TOML_LINE_RE = re.compile(r"\(at line (\d+)")
# pip's -r/--requirement and -c/--constraint (`-r x`, `-rx`, `--requirement x`, `--requirement=x`)
_INCLUDE_RE = re.compile(r"^(?:-(?P<short>[rc])\s*|--(?P<long>requirement|constraint)(?:\s*=\s*|\s+))(?P<target>\S+)")


@dataclass(frozen=True, slots=True)
class Dependency:
    """One declared dependency; `version` is set only for an exact pin."""

    name: str
    version: str | None
    specifier: str
    file: Path
    line: int


@dataclass(frozen=True, slots=True)
class Include:
    """A `-r FILE` (kind "requirement") or `-c FILE` (kind "constraint") line of a requirements file."""

    kind: str
    target: str  # as written
    file: Path  # the including file
    line: int


@dataclass(slots=True)
class ParseResult:
    """Dependencies found in a file plus `"<file>:<line>: <reason>"` parse errors; `read_error` when the file
    itself could not be read (missing, not a regular file, too large, not UTF-8), and its `-r`/`-c` includes."""

    deps: list[Dependency] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    read_error: str | None = None


def is_dep_file(path: Path) -> bool:
    """True for file names matched by `DEP_FILE_PATTERNS` (`requirements/*.txt` by parent directory)."""
    path = Path(path)
    for pattern in DEP_FILE_PATTERNS:
        directory, _, name_pattern = pattern.rpartition("/")
        if fnmatchcase(path.name, name_pattern) and (not directory or path.parent.name == directory):
            return True
    return False


def parse(path: Path, max_bytes: int | None = None, *, requirements: bool = False) -> ParseResult:
    """Parse a dependency file, dispatching on its name (`requirements`: as a requirements file whatever its name,
    for `-r` includes); problems become `errors`, never exceptions. Only a regular file of at most `max_bytes` is
    read: a FIFO or a device is never opened for reading (it would block)."""
    path = Path(path)
    text, problem = _read(path, max_bytes)
    if text is None:
        return ParseResult(errors=[f"{path}:1: {problem}"], read_error=problem)
    parser = _parse_requirements if requirements else _parser_for(path)
    if parser is None:
        return ParseResult(errors=[f"{path}:1: not a recognised dependency file"])
    return parser(path, text)


def _read(path: Path, max_bytes: int | None) -> tuple[str | None, str]:
    """(text, "") or (None, why not). A FIFO or a device is never opened (opening one can block or act on it)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None, "not a regular file, not read"
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"
    with open(fd, "rb") as handle:
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return None, "not a regular file, not read"
            data = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
        except OSError as exc:
            return None, f"cannot read: {exc.strerror or exc}"
    if max_bytes is not None and len(data) > max_bytes:
        return None, f"larger than max_file_size ({max_bytes} bytes), not read"
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text (byte {exc.start + 1})"


def _parser_for(path: Path) -> Callable[[Path, str], ParseResult] | None:
    special = {
        "pyproject.toml": _parse_pyproject,
        "poetry.lock": _parse_toml_lock,
        "uv.lock": _parse_toml_lock,
        "Pipfile.lock": _parse_pipfile_lock,
    }
    if path.name in special:
        return special[path.name]
    return _parse_requirements if is_dep_file(path) else None


# --------------------------------------------------------------------------- pins / PEP 508


def _exact_pin(req: Requirement) -> str | None:
    """The version of a single `==X` (not `==X.*`) or `===X` specifier, else None."""
    specs = list(req.specifier)
    if req.url or len(specs) != 1:
        return None
    spec = specs[0]
    if spec.operator == "===" or (spec.operator == "==" and not spec.version.endswith(".*")):
        return spec.version
    return None


def _dep_from_pep508(text: str, path: Path, line: int, result: ParseResult) -> None:
    """Append the dependency described by a PEP 508 string, or an error entry."""
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        result.errors.append(f"{path}:{line}: invalid requirement {text!r}: {_one_line(exc)}")
        return
    result.deps.append(Dependency(canonicalize_name(req.name), _exact_pin(req), text, path, line))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


# --------------------------------------------------------------------------- requirements.txt


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """Join backslash continuations; yield (first physical line number, joined line without comments)."""
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buffer:
            start = number
        stripped = raw.rstrip()
        if stripped.endswith("\\") and not _COMMENT_RE.search(stripped):
            buffer.append(stripped[:-1])
            continue
        buffer.append(stripped)
        yield start, _COMMENT_RE.sub("", " ".join(buffer)).strip()
        buffer = []
    if buffer:
        yield start, _COMMENT_RE.sub("", " ".join(buffer)).strip()


def _url_requirement_name(text: str) -> str | None:
    """Best-effort project name of a bare URL / VCS / path requirement (egg fragment or archive name)."""
    egg = _EGG_RE.search(text)
    if egg:
        return egg.group(1)
    archive = _ARCHIVE_NAME_RE.search(text.split("#")[0].split("?")[0])
    return archive.group(1) if archive else None


def _is_url_or_path(text: str) -> bool:
    return bool(_URL_RE.match(text)) or text.startswith((".", "/", "~")) or "/" in text.split("@")[0].split(";")[0]


def _parse_requirements(path: Path, text: str) -> ParseResult:
    result = ParseResult()
    for line, logical in _logical_lines(text):
        if not logical or logical.startswith("-"):  # blank, comment, or option line (-r, -c, -e, --index-url ...)
            if include := _INCLUDE_RE.match(logical):
                option = include.group("short") or include.group("long")
                kind = "constraint" if option.startswith("c") else "requirement"
                result.includes.append(Include(kind, include.group("target"), path, line))
            continue
        requirement = _OPTION_SPLIT_RE.split(logical, maxsplit=1)[0].strip()
        if _is_url_or_path(requirement):
            name = _url_requirement_name(requirement)
            if name:
                result.deps.append(Dependency(canonicalize_name(name), None, requirement, path, line))
            continue  # unnamed local paths / URLs cannot be audited by name
        _dep_from_pep508(requirement, path, line, result)
    return result


# --------------------------------------------------------------------------- TOML helpers


class _Lines:
    """Locate 1-based line numbers of headers, keys and strings in a TOML/JSON text."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def find(self, pattern: str | re.Pattern[str], start: int = 0, literal: bool = False) -> int | None:
        """Index (0-based) of the first line at or after `start` matching `pattern`."""
        for index in range(max(start, 0), len(self.lines)):
            line = self.lines[index]
            if (str(pattern) in line) if literal else re.search(pattern, line):
                return index
        return None

    def locate_string(self, value: str, start: int) -> int | None:
        """Line index of a quoted string at/after `start`; falls back to its leading name if escaped."""
        for quote in ('"', "'"):
            found = self.find(f"{quote}{value}{quote}", start, literal=True)
            if found is not None:
                return found
        name = re.match(r"\s*([A-Za-z0-9._-]+)", value)
        return self.find(rf"""["']\s*{re.escape(name.group(1))}\b""", start) if name else None

    def header(self, dotted: str) -> int:
        """0-based index of a `[table]` header (keys may be quoted), or 0 when it is absent/inline."""
        parts = [rf"""\s*["']?{re.escape(part)}["']?\s*""" for part in dotted.split(".")]
        dotted_re = r"\.".join(parts)
        found = self.find(rf"^\s*\[{dotted_re}\]\s*(#.*)?$")
        return 0 if found is None else found

    def key(self, key: str, start: int) -> int:
        """0-based index of `key =` at or after `start` (fallback: `start`)."""
        found = self.find(rf"""^\s*["']?{re.escape(key)}["']?\s*=""", start)
        return start if found is None else found


def _toml_error(path: Path, exc: tomllib.TOMLDecodeError) -> str:
    match = _TOML_LINE_RE.search(str(exc))
    return f"{path}:{match.group(1) if match else 1}: invalid TOML: {_one_line(exc)}"


def _load_toml(path: Path, text: str, result: ParseResult) -> dict[str, Any] | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        result.errors.append(_toml_error(path, exc))
        return None


# --------------------------------------------------------------------------- pyproject.toml


def _pep508_list(items: Any, where: str, ctx: tuple[Path, _Lines, int], result: ParseResult) -> None:
    """Parse a list of PEP 508 strings located at or after line index `ctx[2]`."""
    path, lines, start = ctx
    if not isinstance(items, list):
        result.errors.append(f"{path}:{start + 1}: {where} must be a list")
        return
    cursor = start
    for item in items:
        if isinstance(item, dict) and "include-group" in item:
            continue
        if not isinstance(item, str):
            result.errors.append(f"{path}:{start + 1}: {where}: entry {item!r} is not a string")
            continue
        found = lines.locate_string(item, cursor)
        cursor = found if found is not None else cursor
        _dep_from_pep508(item, path, (found if found is not None else start) + 1, result)


def _parse_project_tables(data: dict[str, Any], path: Path, lines: _Lines, result: ParseResult) -> None:
    project: dict[str, Any] = data["project"] if isinstance(data.get("project"), dict) else {}
    if "dependencies" in project:
        start = lines.key("dependencies", lines.header("project"))
        _pep508_list(project["dependencies"], "[project].dependencies", (path, lines, start), result)
    for table, label in ((project.get("optional-dependencies"), "project.optional-dependencies"),
                         (data.get("dependency-groups"), "dependency-groups")):
        if not isinstance(table, dict):
            continue
        header = lines.header(label)
        for group, items in table.items():
            start = lines.key(group, header)
            _pep508_list(items, f"[{label}].{group}", (path, lines, start), result)


def _poetry_dependency(name: str, value: Any, path: Path, line: int) -> Dependency:
    """Poetry constraint → Dependency; `"1.2.3"` or `"==1.2.3"` is a pin, ranges and sources are not."""
    constraint = value.get("version") if isinstance(value, dict) else value
    written = constraint if isinstance(constraint, str) else json.dumps(value, sort_keys=True)
    pin = _POETRY_PIN_RE.match(constraint) if isinstance(constraint, str) else None
    return Dependency(canonicalize_name(name), pin.group(1) if pin else None, written, path, line)


def _poetry_tables(data: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    if not isinstance(poetry, dict):
        return
    for key in ("dependencies", "dev-dependencies"):
        yield f"tool.poetry.{key}", poetry.get(key)
    groups = poetry.get("group")
    for group, body in (groups.items() if isinstance(groups, dict) else ()):
        yield f"tool.poetry.group.{group}.dependencies", body.get("dependencies") if isinstance(body, dict) else None


def _parse_poetry_tables(data: dict[str, Any], path: Path, lines: _Lines, result: ParseResult) -> None:
    for label, table in _poetry_tables(data):
        if not isinstance(table, dict):
            continue
        header = lines.header(label)
        for name, value in table.items():
            if name.lower() != "python":
                result.deps.append(_poetry_dependency(name, value, path, lines.key(name, header) + 1))


def _parse_pyproject(path: Path, text: str) -> ParseResult:
    result = ParseResult()
    data = _load_toml(path, text, result)
    if data is not None:
        lines = _Lines(text)
        _parse_project_tables(data, path, lines, result)
        _parse_poetry_tables(data, path, lines, result)
    return result


# --------------------------------------------------------------------------- poetry.lock / uv.lock

_REGISTRY_SOURCES = {"registry", "legacy", "pypi"}


def _locked_version(package: dict[str, Any], uv: bool) -> str | None:
    """Version of a lock entry, or None when it comes from git/path/url rather than an index."""
    source = package.get("source")
    version = package.get("version")
    if not isinstance(version, str):
        return None
    if uv:
        return version if not isinstance(source, dict) or "registry" in source else None
    kind = source.get("type") if isinstance(source, dict) else None
    return version if kind is None or kind in _REGISTRY_SOURCES else None


def _parse_toml_lock(path: Path, text: str) -> ParseResult:
    result = ParseResult()
    data = _load_toml(path, text, result)
    packages = data.get("package", []) if data is not None else []
    if not isinstance(packages, list):
        result.errors.append(f"{path}:1: 'package' must be an array of tables")
        return result
    lines, uv = _Lines(text), path.name == "uv.lock"
    header = -1
    for package in packages:
        found = lines.find(r"^\s*\[\[\s*package\s*\]\]", header + 1)
        header = header + 1 if found is None else found
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            result.errors.append(f"{path}:{header + 1}: [[package]] without a string 'name'")
            continue
        source = package.get("source")
        if uv and isinstance(source, dict) and ({"editable", "virtual"} & source.keys()):
            continue  # the project itself
        version = _locked_version(package, uv)
        written = f"=={package['version']}" if isinstance(package.get("version"), str) else ""
        line = lines.key("name", header) + 1
        result.deps.append(Dependency(canonicalize_name(package["name"]), version, written, path, line))
    return result


# --------------------------------------------------------------------------- Pipfile.lock


def _parse_pipfile_lock(path: Path, text: str) -> ParseResult:
    result = ParseResult()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return ParseResult(errors=[f"{path}:{exc.lineno}: invalid JSON: {exc.msg}"])
    if not isinstance(data, dict):
        return ParseResult(errors=[f"{path}:1: Pipfile.lock must be a JSON object"])
    lines = _Lines(text)
    for section in ("default", "develop"):
        entries = data.get(section) or {}
        if not isinstance(entries, dict):
            result.errors.append(f"{path}:1: '{section}' must be an object")
            continue
        start = lines.find(rf'^\s*"{section}"\s*:') or 0
        for name, entry in entries.items():
            found = lines.find(rf'^\s*"{re.escape(name)}"\s*:\s*\{{', start)
            result.deps.append(_pipfile_dependency(name, entry, path, (found if found is not None else start) + 1))
    return result


def _pipfile_dependency(name: str, entry: Any, path: Path, line: int) -> Dependency:
    written = entry.get("version", "") if isinstance(entry, dict) else str(entry)
    version = None
    if isinstance(written, str):
        try:
            version = _exact_pin(Requirement(f"{name}{written}"))
        except InvalidRequirement:
            version = None
    return Dependency(canonicalize_name(name), version, written if isinstance(written, str) else "", path, line)


# --------------------------------------------------------------------------- includes: -r / -c


@dataclass(slots=True)
class Collected:
    """Every dependency of a set of files and the requirement files they include (`-r`), plus what could not be
    read (`unaudited`: its requirements were not audited), parse problems of readable files (`errors`, as
    (file, message)), and notes (constraint files, which pin without installing, are not audited)."""

    deps: list[Dependency] = field(default_factory=list)
    errors: list[tuple[Path, str]] = field(default_factory=list)
    unaudited: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def collect_dependencies(files: Iterable[Path], root: Path, max_bytes: int | None = None) -> Collected:
    """Parse `files` and follow their `-r` includes that lie inside `root` (relative to the including file, as pip
    does), each file once. A URL, an environment variable, a path outside the tree, or a file that is missing,
    not a regular file, larger than `max_bytes` or not UTF-8 is reported in `unaudited`, never read."""
    root = root.resolve()
    out = Collected()
    seen: set[Path] = set()
    constraints: list[str] = []
    queue: deque[tuple[Path, Include | None]] = deque((Path(f), None) for f in files)
    while queue:
        path, via = queue.popleft()
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        result = parse(path, max_bytes, requirements=via is not None)
        where = _shown(path, root) if via is None else f"{_shown(via.file, root)}:{via.line}: -r {via.target}"
        if result.read_error:
            out.unaudited.append(f"{where}: {result.read_error}")
            continue
        out.deps.extend(result.deps)
        out.errors.extend((path, error) for error in result.errors)
        for include in result.includes:
            if include.kind == "constraint":
                constraints.append(f"{_shown(include.file, root)}:{include.line}: {include.target}")
                continue
            target, problem = _include_target(include, root)
            if target is None:
                out.unaudited.append(f"{_shown(include.file, root)}:{include.line}: -r {include.target}: {problem}")
            else:
                queue.append((target, include))
    if constraints:
        out.notes.append("constraints files are not audited (they pin versions without installing anything): "
                         + ", ".join(constraints))
    return out


def _include_target(include: Include, root: Path) -> tuple[Path | None, str]:
    target = include.target
    if _URL_RE.match(target):
        return None, "a URL, not fetched"
    if "$" in target:
        return None, "uses an environment variable, not expanded"
    candidate = (include.file.parent / target).resolve()
    if not candidate.is_relative_to(root):
        return None, "outside the scanned tree, not read"
    return candidate, ""


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- pip-audit input


def _distinct_pins(deps: Iterable[Dependency]) -> list[Dependency]:
    """Pinned deps, first occurrence of each (name, version) kept, in input order."""
    seen: dict[tuple[str, str], Dependency] = {}
    for dep in deps:
        if dep.version is not None:
            seen.setdefault((dep.name, dep.version), dep)
    return list(seen.values())


def partition_unique(deps: Iterable[Dependency]) -> list[list[Dependency]]:
    """Split pinned deps into groups in which every name appears once (one pip-audit run per group)."""
    groups: list[list[Dependency]] = []
    for dep in _distinct_pins(deps):
        target = next((g for g in groups if all(d.name != dep.name for d in g)), None)
        if target is None:
            target = []
            groups.append(target)
        target.append(dep)
    return groups


def to_requirements(deps: Iterable[Dependency]) -> list[str]:
    """`name==version` lines for pinned deps (deduplicated); ValueError if a name has two pins."""
    pins = _distinct_pins(deps)
    names = [dep.name for dep in pins]
    clashes = sorted({name for name in names if names.count(name) > 1})
    if clashes:
        raise ValueError(f"conflicting pins for {', '.join(clashes)}; split with partition_unique() first")
    return [f"{dep.name}=={dep.version}" for dep in pins]
