"""What to scan: the scan root, the file list and the one set of excludes shared by every tool."""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from secscan import proc
from secscan.depfiles import is_dep_file
from secscan.errors import ToolMissing, UsageError
from secscan.models import Notification

# One documented set, applied to every tool alike (semgrep's own defaults are switched off). They apply below the
# paths a command names: an explicit path inside one of them (`secscan static .venv/lib/...`) is scanned.
DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git", ".hg", ".svn", ".venv", ".venv-*", "venv", ".tox", ".nox",
    "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis",
    ".schemathesis", "build", "dist", "*.egg-info", "site-packages", ".eggs",
    "*.pyc", "*.pyo", ".secrets.baseline",
)
# secscan's own files by their default names, anywhere, even when named explicitly (see `own_output_kind` for the
# ones recognised by content, and ScanRequest.own_files for the paths a command writes).
OWN_FILE_NAMES = frozenset({"secscan.sarif", ".secscan-baseline.json", ".secscan-ignore.yaml"})
MAX_FILE_SIZE = 5_000_000  # bytes; config `max_file_size`. Larger files are skipped with a note (never read).

BINARY_SUFFIXES = frozenset(
    ".png .jpg .jpeg .gif .ico .pdf .zip .gz .tgz .bz2 .xz .whl .so .dylib .dll .exe .bin .woff .woff2 "
    ".ttf .otf .mp3 .mp4 .mov .sqlite .db .pyc .class .jar".split()
)
_NOTES_PER_RUN = 20  # skipped entries listed one by one on a tool run; the rest are counted
_EXAMPLES = 5  # entries named per exclude in the "nothing to scan" error


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file or directory under the scanned paths that no tool gets, and why. `level` is "warning" when content
    went unscanned (a FIFO, an oversized or unreadable file), "note" when skipping is by design (a symlink, secscan's
    own output). A directory's content is unknown, so it concerns every tool."""

    path: Path
    display: str  # root-relative; bytes that are not UTF-8 shown as \\xNN
    reason: str
    level: str = "warning"
    directory: bool = False


@dataclass(frozen=True, slots=True)
class Removed:
    """What one exclude took away during the walk (for the "nothing to scan" error): count and a few names."""

    rule: str  # "default exclude '.venv'", "exclude 'gen'", "secscan's own output"
    count: int
    examples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Targets:
    """The scan root (all reported paths are relative to it) and the files under the given paths, plus what the walk
    left out: `skipped` (said on the tool runs), `removed` (excludes, for the "nothing to scan" error) and `own`
    (secscan's own outputs and inputs, never scanned)."""

    root: Path
    files: tuple[Path, ...]
    excludes: tuple[str, ...]
    skipped: tuple[Skipped, ...] = ()
    removed: tuple[Removed, ...] = ()
    own: tuple[Path, ...] = ()
    max_file_size: int = MAX_FILE_SIZE

    def relative(self, path: str | Path) -> str:
        """Repo-relative POSIX path for a tool-reported path (absolute, or relative to the root: tools run there)."""
        p = Path(path)
        absolute = p if p.is_absolute() else (self.root / p)
        try:
            return absolute.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return Path(os.path.relpath(absolute.resolve(), self.root)).as_posix()

    def python_files(self) -> tuple[Path, ...]:
        return tuple(f for f in self.files if f.suffix in (".py", ".pyi"))

    def text_files(self) -> tuple[Path, ...]:
        return tuple(f for f in self.files if f.suffix.lower() not in BINARY_SUFFIXES)

    def skipped_notes(self, select: Callable[[Targets], Sequence[Path]]) -> tuple[Notification, ...]:
        """Notifications for one tool run: the skipped files that tool would have taken (`select` is its own file
        selection, e.g. `Tool.files`) and every skipped directory. Warnings first, at most _NOTES_PER_RUN listed."""
        files = tuple(s.path for s in self.skipped if not s.directory)
        wanted = set(select(dataclasses.replace(self, files=files, skipped=()))) if files else set()
        mine = sorted((s for s in self.skipped if s.directory or s.path in wanted),
                      key=lambda s: (s.level != "warning", s.display))
        notes = [Notification(s.level, f"not scanned: {s.display}: {s.reason}") for s in mine[:_NOTES_PER_RUN]]
        if len(mine) > _NOTES_PER_RUN:
            rest = mine[_NOTES_PER_RUN:]
            level = "warning" if any(s.level == "warning" for s in rest) else "note"
            notes.append(Notification(level, f"not scanned: {len(rest)} more files or directories (symlinks, "
                                             "special, oversized or unreadable files)"))
        return tuple(notes)

    def nothing_left(self) -> str:
        """The "nothing to scan" error: which exclude removed what, and what was skipped."""
        parts = [f"{r.rule} removed {r.count} {'entry' if r.count == 1 else 'entries'} "
                 f"({', '.join(r.examples)}{', …' if r.count > len(r.examples) else ''})" for r in self.removed]
        parts += [f"{s.display} skipped: {s.reason}" for s in self.skipped[:_EXAMPLES]]
        if len(self.skipped) > _EXAMPLES:
            parts.append(f"{len(self.skipped) - _EXAMPLES} more skipped")
        detail = "; ".join(parts) or "no files under the given paths"
        return f"nothing to scan: {detail}"


def git(directory: Path, *args: str, timeout: float = 30) -> str | None:
    """stdout of `git -C directory ARGS` (through proc.run), or None when git is missing, fails or hangs."""
    try:
        out = proc.run(["git", "-C", str(directory), *args], timeout=timeout)
    except ToolMissing:
        return None
    return out.stdout if out.returncode == 0 and not out.timed_out else None


def find_root(start: Path) -> Path:
    """The git work tree containing `start`, else `start` itself (a directory)."""
    base = start if start.is_dir() else start.parent
    top = (git(base, "rev-parse", "--show-toplevel", timeout=10) or "").strip()
    return Path(top).resolve() if top else base.resolve()


def is_excluded(rel_parts: Sequence[str], patterns: Iterable[str]) -> bool:
    """True when any path component (or the whole relative path) matches an exclude glob."""
    return _matching(rel_parts, patterns) is not None


def _matching(rel_parts: Sequence[str], patterns: Iterable[str]) -> str | None:
    """The first exclude glob that matches a path component (or, with a '/', the whole relative path)."""
    rel = "/".join(rel_parts)
    for pat in patterns:
        bare = pat.strip("/")
        if "/" in bare:
            if fnmatch.fnmatch(rel, bare) or fnmatch.fnmatch(rel, bare + "/*"):
                return pat
        elif any(fnmatch.fnmatch(part, bare) for part in rel_parts):
            return pat
    return None


def collect(paths: Sequence[Path], extra_excludes: Sequence[str] = (), root: Path | None = None, *,
            own_files: Iterable[Path] = (), max_file_size: int = MAX_FILE_SIZE, explicit: bool = True) -> Targets:
    """Walk `paths` once and return a sorted file list, with what was skipped and what each exclude removed.

    `extra_excludes` (the config's and --exclude) apply to root-relative paths; DEFAULT_EXCLUDES apply below each
    path when `explicit` (a path the user named is scanned even inside, say, `.venv`), else to the root-relative
    path (hook mode: pre-commit's file list is not a choice). `own_files` (and OWN_FILE_NAMES, and files recognised
    by `own_output_kind`) are never scanned. Special files (FIFOs, sockets, devices), files over `max_file_size`,
    unreadable files or directories, names that are not UTF-8 and symlinks are skipped with a reason; nothing here
    raises for a hostile tree, and no file is opened except the first KiB of own-output candidates."""
    missing = [str(p) for p in paths if not os.path.lexists(p)]
    if missing:
        raise UsageError(f"path does not exist: {', '.join(missing)}")
    resolved = [p.resolve() for p in paths]
    scan_root = (root or find_root(resolved[0])).resolve()
    walk = _Walk(scan_root, tuple(extra_excludes), frozenset(p.resolve() for p in own_files), max_file_size)
    for base in resolved:
        walk.base(base, explicit)
    return walk.targets()


class _Walk:
    """One walk over the scanned paths (os.scandir, an explicit stack: no recursion limit for deep trees)."""

    def __init__(self, root: Path, user: tuple[str, ...], own: frozenset[Path], max_file_size: int) -> None:
        self.root, self.user, self.own_named, self.max_file_size = root, user, own, max_file_size
        self.files: set[Path] = set()
        self.own: set[Path] = set()
        self.skipped: dict[Path, Skipped] = {}
        self.removed: dict[str, list[str]] = {}

    def targets(self) -> Targets:
        removed = tuple(Removed(rule, len(names), tuple(sorted(names)[:_EXAMPLES]))
                        for rule, names in self.removed.items())
        return Targets(root=self.root, files=tuple(sorted(self.files)), excludes=(*DEFAULT_EXCLUDES, *self.user),
                       skipped=tuple(sorted(self.skipped.values(), key=lambda s: s.display)), removed=removed,
                       own=tuple(sorted(self.own)), max_file_size=self.max_file_size)

    def base(self, base: Path, explicit: bool) -> None:
        parts = _parts(base, self.root)
        keep = len(parts) if explicit else 0  # default excludes look at the parts after the first `keep`
        if self._excluded(base, parts, keep):
            return
        try:
            info = os.stat(base)
        except OSError as exc:
            self._skip(base, f"cannot read: {exc.strerror or exc}")
            return
        if stat.S_ISDIR(info.st_mode):
            self._directory(base, parts, keep)
        else:
            self._file(base, info)

    def _directory(self, base: Path, base_parts: tuple[str, ...], keep: int) -> None:
        stack = [(base, base_parts)]
        while stack:
            directory, parts = stack.pop()
            try:
                with os.scandir(directory) as listing:
                    entries = sorted(listing, key=lambda e: e.name)
            except OSError as exc:
                self._skip(directory, f"cannot read the directory: {exc.strerror or exc}", directory=True)
                continue
            if directory != base and any(e.name == "pyvenv.cfg" and _regular(e) for e in entries):
                self._remove("default exclude: a virtualenv (pyvenv.cfg)", directory)
                continue
            for entry in entries:
                path, child = Path(entry.path), (*parts, entry.name)
                if self._excluded(path, child, keep):
                    continue
                try:
                    link, folder = entry.is_symlink(), entry.is_dir(follow_symlinks=False)
                except OSError as exc:
                    self._skip(path, f"cannot read: {exc.strerror or exc}")
                    continue
                if link:
                    self._symlink(path)
                elif folder and not _utf8(entry.name):
                    self._skip(path, "the directory name is not valid UTF-8 (its files cannot be reported)",
                               directory=True)
                elif folder:
                    stack.append((path, child))
                else:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError as exc:
                        self._skip(path, f"cannot read: {exc.strerror or exc}")
                        continue
                    self._file(path, info)

    def _file(self, path: Path, info: os.stat_result) -> None:
        if not _utf8(path.name):
            self._skip(path, "the file name is not valid UTF-8 (it cannot be reported)")
        elif not stat.S_ISREG(info.st_mode):
            self._skip(path, f"not a regular file ({_kind(info.st_mode)}): never opened")
        elif path in self.own_named or path.name in OWN_FILE_NAMES:
            self.own.add(path)
            self._remove("secscan's own output or input", path)
        elif kind := own_output_kind(path):
            self.own.add(path)
            self._skip(path, f"secscan's own output ({kind}), recognised by its content", level="note")
        elif info.st_size > self.max_file_size:
            self._skip(path, f"{info.st_size} bytes, over max_file_size {self.max_file_size} (config max_file_size)")
        elif not os.access(path, os.R_OK):
            self._skip(path, "cannot read the file: permission denied")
        else:
            self.files.add(path)

    def _symlink(self, path: Path) -> None:
        skip = _symlink_skip(path, self._display(path))
        self.skipped[path] = skip

    def _excluded(self, path: Path, parts: tuple[str, ...], keep: int) -> bool:
        pattern = _matching(parts[keep:], DEFAULT_EXCLUDES)
        rule = f"default exclude '{pattern}'" if pattern else None
        if rule is None and (pattern := _matching(parts, self.user)):
            rule = f"exclude '{pattern}'"
        if rule is None:
            return False
        self._remove(rule, path)
        return True

    def _remove(self, rule: str, path: Path) -> None:
        self.removed.setdefault(rule, []).append(self._display(path))

    def _skip(self, path: Path, reason: str, *, level: str = "warning", directory: bool = False) -> None:
        self.skipped[path] = Skipped(path, self._display(path), reason, level, directory)

    def _display(self, path: Path) -> str:
        return _display(path, self.root)


def _symlink_skip(path: Path, display: str) -> Skipped:
    try:
        folder = path.is_dir()
    except OSError:
        folder = False
    return Skipped(path, display, f"a symbolic link to {'a directory' if folder else 'a file'}, not followed (its "
                                  "target is scanned where it lies under the scanned paths)", "note", folder)


def _regular(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def _utf8(name: str) -> bool:
    """False for a name with bytes that are not UTF-8 (Python holds them as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "a special file"


def _display(path: Path, root: Path) -> str:
    """Root-relative POSIX path for messages; bytes that are not UTF-8 shown as \\xNN."""
    return os.fsencode("/".join(_parts(path, root))).decode("utf-8", "backslashreplace")


def _parts(path: Path, root: Path) -> tuple[str, ...]:
    try:
        return path.relative_to(root).parts
    except ValueError:
        return path.parts


# --- secscan's own outputs, recognised by content ----------------------------------------------------------------

_SNIFF_BYTES = 1024
_SNIFF_SUFFIXES = frozenset({".sarif", ".json", ".html", ".htm", ".yaml", ".yml"})
_SARIF_SCHEMA = re.compile(r'"\$schema"\s*:\s*"[^"]*sarif[^"]*2\.1\.0[^"]*"', re.IGNORECASE)
_SARIF_VERSION = re.compile(r'"version"\s*:\s*"2\.1\.0"')
_SARIF_RUNS = re.compile(r'"runs"\s*:\s*\[')
_BASELINE = re.compile(r'\{\s*"version"\s*:\s*\d+\s*,\s*"findings"\s*:\s*\['
                       r'\s*(?:\]|\{\s*"fingerprint"\s*:\s*"[0-9a-f]+")')
# html_report: a generator marker (asked for), or what it has always emitted: a Content-Security-Policy that starts
# with default-src 'none', and a title naming secscan.
_HTML_GENERATOR = re.compile(r'<meta\s+name="generator"\s+content="secscan\b', re.IGNORECASE)
_HTML_CSP = re.compile(r"""<meta\s+http-equiv="Content-Security-Policy"\s+content="default-src 'none'[;"]""",
                       re.IGNORECASE)
_HTML_TITLE = re.compile(r"<title>[^<]*\bsecscan\b", re.IGNORECASE)
_YAML_TOP_KEY = re.compile(r"^([A-Za-z_][\w.-]*)\s*:", re.MULTILINE)


def own_output_kind(path: Path) -> str | None:
    """What secscan file this is ("SARIF log", "baseline", "HTML report", "suppression file"), judged from the first
    KiB of a regular `.sarif`, `.json`, `.html`/`.htm` or `.yaml`/`.yml` file; None otherwise (any other suffix is
    never opened)."""
    suffix = path.suffix.lower()
    if suffix not in _SNIFF_SUFFIXES:
        return None
    try:  # a device is never opened (opening one can act on it); fstat below closes the race
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        head = os.read(fd, _SNIFF_BYTES).decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    except OSError:
        return None
    finally:
        os.close(fd)
    if suffix in (".sarif", ".json") and head.startswith("{"):
        if _SARIF_SCHEMA.search(head) or (_SARIF_VERSION.search(head) and _SARIF_RUNS.search(head)):
            return "SARIF log"
        if suffix == ".json" and _BASELINE.match(head):
            return "baseline"
    if suffix in (".html", ".htm") and (_HTML_GENERATOR.search(head) or
                                        (_HTML_CSP.search(head) and _HTML_TITLE.search(head))):
        return "HTML report"
    if suffix in (".yaml", ".yml"):
        keys = set(_YAML_TOP_KEY.findall(head))
        if "suppressions" in keys and keys <= {"version", "suppressions"}:
            return "suppression file"
    return None


# --- hook mode: exactly the files pre-commit passes ---------------------------------------------------------


def given_files(files: Sequence[Path], root: Path, excludes: Sequence[str], paths: Sequence[str], *,
                own_files: Iterable[Path] = (), max_file_size: int = MAX_FILE_SIZE) -> Targets:
    """The given files minus secscan's default excludes, the config's `exclude` globs, files outside the
    config's `paths` (when set), secscan's own files and symlinks (noted), exactly as a full scan would have
    skipped them."""
    missing = [str(f) for f in files if not os.path.lexists(f)]
    if missing:
        raise UsageError(f"path does not exist: {', '.join(missing)}")
    inside = [f for f in files if _in_paths(f, paths)]
    links = [f for f in inside if f.is_symlink()]
    chosen = [f for f in inside if not f.is_symlink()]
    targets = (collect(chosen, excludes, root=root, own_files=own_files, max_file_size=max_file_size, explicit=False)
               if chosen else Targets(root=root, files=(), excludes=(), max_file_size=max_file_size))
    notes = [_symlink_skip(link, _display(link, targets.root)) for link in (Path(os.path.abspath(f)) for f in links)]
    return dataclasses.replace(targets, skipped=tuple(sorted((*targets.skipped, *notes), key=lambda s: s.display)))


def _in_paths(path: Path, paths: Sequence[str]) -> bool:
    resolved = path.resolve()
    return not paths or any(resolved == Path(p).resolve() or resolved.is_relative_to(Path(p).resolve())
                            for p in paths)


def dependency_targets(files: Sequence[Path], root: Path, excludes: Sequence[str], paths: Sequence[str], *,
                       own_files: Iterable[Path] = (), max_file_size: int = MAX_FILE_SIZE) -> Targets:
    """Dependency files: the given ones, else every one git tracks (the index pre-commit is about to commit),
    else (not a git repository) every one under the config's paths or the root."""
    own = tuple(own_files)
    if files:
        targets = given_files(files, root, excludes, paths, own_files=own, max_file_size=max_file_size)
    elif (tracked := git_files(root)) is not None:
        targets = given_files([root / name for name in tracked if is_dep_file(Path(name))], root, excludes, paths,
                              own_files=own, max_file_size=max_file_size)
    else:
        targets = collect([Path(p) for p in paths] or [root], excludes, root=root, own_files=own,
                          max_file_size=max_file_size, explicit=False)
    return dataclasses.replace(targets, files=tuple(f for f in targets.files if is_dep_file(f)))


def git_files(root: Path) -> list[str] | None:
    """Files in git's index under `root` that exist in the work tree (None outside a git repository)."""
    out = git(root, "ls-files", "-z", "--cached")
    if out is None:
        return None
    return [n for n in out.split("\0") if n and (root / n).is_file()]
