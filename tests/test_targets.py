"""One set of excludes for every tool; semgrep's own default of skipping tests/ must not leak through."""

from __future__ import annotations

from pathlib import Path

import pytest

from secscan.errors import UsageError
from secscan.targets import collect, is_excluded


def _tree(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x = 1\n")


def test_defaults_skip_vcs_venvs_and_caches_but_keep_tests(tmp_path: Path):
    _tree(tmp_path, "src/app.py", "tests/test_app.py", ".git/config", ".venv/lib/x.py", "node_modules/m/i.py",
          "pkg/__pycache__/a.pyc", "build/lib/b.py", "my.egg-info/PKG-INFO", ".env")
    targets = collect([tmp_path], root=tmp_path)
    assert {targets.relative(f) for f in targets.files} == {"src/app.py", "tests/test_app.py", ".env"}


def test_any_virtualenv_is_skipped_whatever_its_name(tmp_path: Path):
    _tree(tmp_path, "oddname/pyvenv.cfg", "oddname/lib/site.py", "keep.py")
    targets = collect([tmp_path], root=tmp_path)
    assert [targets.relative(f) for f in targets.files] == ["keep.py"]


def test_user_excludes_apply_to_directories_and_paths(tmp_path: Path):
    _tree(tmp_path, "a/gen/x.py", "a/keep.py", "docs/conf.py")
    targets = collect([tmp_path], ["gen", "docs/*"], root=tmp_path)
    assert [targets.relative(f) for f in targets.files] == ["a/keep.py"]


def test_explicit_files_are_scanned_and_relative_to_root(tmp_path: Path):
    _tree(tmp_path, "a/one.py", "b/two.py")
    targets = collect([tmp_path / "b" / "two.py"], root=tmp_path)
    assert [targets.relative(f) for f in targets.files] == ["b/two.py"]


def test_nonexistent_path_is_a_usage_error(tmp_path: Path):
    with pytest.raises(UsageError, match="path does not exist"):
        collect([tmp_path / "nope"])


def test_is_excluded_matches_components_not_substrings():
    assert is_excluded(("pkg", "build", "x.py"), ["build"])
    assert not is_excluded(("pkg", "builder", "x.py"), ["build"])
