"""What to scan: the scan root, the file list and the one set of excludes shared by every tool."""

from __future__ import annotations

import dataclasses
import fnmatch
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from secscan import proc
from secscan.depfiles import is_dep_file
from secscan.errors import ToolMissing, UsageError

# One documented set, applied to every tool alike (semgrep's own defaults are switched off).
DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git", ".hg", ".svn", ".venv", ".venv-*", "venv", ".tox", ".nox",
    "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis",
    ".schemathesis", "build", "dist", "*.egg-info", "site-packages", ".eggs",
    "*.pyc", "*.pyo", "secscan.sarif", ".secrets.baseline",
)

BINARY_SUFFIXES = frozenset(
    ".png .jpg .jpeg .gif .ico .pdf .zip .gz .tgz .bz2 .xz .whl .so .dylib .dll .exe .bin .woff .woff2 "
    ".ttf .otf .mp3 .mp4 .mov .sqlite .db .pyc .class .jar".split()
)


@dataclass(frozen=True, slots=True)
class Targets:
    """The scan root (all reported paths are relative to it) and the files under the given paths."""

    root: Path
    files: tuple[Path, ...]
    excludes: tuple[str, ...]

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
    rel = "/".join(rel_parts)
    for pat in patterns:
        if "/" in pat.strip("/"):
            if fnmatch.fnmatch(rel, pat.strip("/")) or fnmatch.fnmatch(rel, pat.strip("/") + "/*"):
                return True
        elif any(fnmatch.fnmatch(part, pat.strip("/")) for part in rel_parts):
            return True
    return False


def collect(paths: Sequence[Path], extra_excludes: Sequence[str] = (), root: Path | None = None) -> Targets:
    """Walk `paths` once, applying DEFAULT_EXCLUDES + extra_excludes, and return a sorted file list."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"path does not exist: {', '.join(missing)}")
    resolved = [p.resolve() for p in paths]
    scan_root = (root or find_root(resolved[0])).resolve()
    patterns = (*DEFAULT_EXCLUDES, *extra_excludes)
    files: set[Path] = set()
    for base in resolved:
        files.update(_walk(base, scan_root, patterns))
    return Targets(root=scan_root, files=tuple(sorted(files)), excludes=patterns)


def _walk(base: Path, root: Path, patterns: Sequence[str]) -> Iterable[Path]:
    if base.is_file():
        if not is_excluded(_parts(base, root), patterns):
            yield base
        return
    for dirpath, dirnames, filenames in os.walk(base):
        current = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames
            if not is_excluded(_parts(current / d, root), patterns) and not _is_virtualenv(current / d)
        )
        for name in filenames:
            path = current / name
            if not path.is_symlink() and not is_excluded(_parts(path, root), patterns):
                yield path


def _is_virtualenv(directory: Path) -> bool:
    """Any virtualenv, whatever its name (pyvenv.cfg marks one)."""
    return (directory / "pyvenv.cfg").is_file()


def _parts(path: Path, root: Path) -> tuple[str, ...]:
    try:
        return path.relative_to(root).parts
    except ValueError:
        return path.parts


# --- hook mode: exactly the files pre-commit passes ---------------------------------------------------------


def given_files(files: Sequence[Path], root: Path, excludes: Sequence[str], paths: Sequence[str]) -> Targets:
    """The given files minus secscan's default excludes, the config's `exclude` globs, files outside the
    config's `paths` (when set) and symlinks, exactly as a full scan would have skipped them."""
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise UsageError(f"path does not exist: {', '.join(missing)}")
    chosen = [f for f in files if not f.is_symlink() and _in_paths(f, paths)]
    if not chosen:
        return Targets(root=root, files=(), excludes=())
    return collect(chosen, excludes, root=root)


def _in_paths(path: Path, paths: Sequence[str]) -> bool:
    resolved = path.resolve()
    return not paths or any(resolved == Path(p).resolve() or resolved.is_relative_to(Path(p).resolve())
                            for p in paths)


def dependency_targets(files: Sequence[Path], root: Path, excludes: Sequence[str], paths: Sequence[str]) -> Targets:
    """Dependency files: the given ones, else every one git tracks (the index pre-commit is about to commit),
    else (not a git repository) every one under the config's paths or the root."""
    if files:
        targets = given_files(files, root, excludes, paths)
    elif (tracked := git_files(root)) is not None:
        targets = given_files([root / name for name in tracked if is_dep_file(Path(name))], root, excludes, paths)
    else:
        targets = collect([Path(p) for p in paths] or [root], excludes, root=root)
    return dataclasses.replace(targets, files=tuple(f for f in targets.files if is_dep_file(f)))


def git_files(root: Path) -> list[str] | None:
    """Files in git's index under `root` that exist in the work tree (None outside a git repository)."""
    out = git(root, "ls-files", "-z", "--cached")
    if out is None:
        return None
    return [n for n in out.split("\0") if n and (root / n).is_file()]
