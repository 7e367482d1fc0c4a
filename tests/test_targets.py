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


# --- hostile and broken trees (issue 10): nothing crashes, nothing blocks, every skip is said ------------------


def _skipped(targets) -> dict[str, str]:
    return {s.display: s.reason for s in targets.skipped}


def test_special_oversized_symlinked_and_undecodable_files_are_skipped_with_a_reason(tmp_path: Path):
    import os
    import socket

    _tree(tmp_path, "app.py", "sub/real.py")
    os.mkfifo(tmp_path / "pipe.py")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "sock.py"))
    (tmp_path / "big.py").write_bytes(b"x = 1\n" * 200)
    (tmp_path / "link.py").symlink_to(tmp_path / "app.py")
    (tmp_path / "linkdir").symlink_to(tmp_path / "sub", target_is_directory=True)
    with open(os.path.join(os.fsencode(tmp_path), b"odd\xff.py"), "wb") as handle:
        handle.write(b"x = 1\n")
    targets = collect([tmp_path], root=tmp_path, max_file_size=1000)
    assert sorted(targets.relative(f) for f in targets.files) == ["app.py", "sub/real.py"]
    reasons = _skipped(targets)
    assert set(reasons) == {"pipe.py", "sock.py", "big.py", "link.py", "linkdir", "odd\\xff.py"}
    assert "FIFO" in reasons["pipe.py"] and "socket" in reasons["sock.py"]
    assert "1200 bytes" in reasons["big.py"] and "max_file_size" in reasons["big.py"]
    assert "symbolic link" in reasons["link.py"] and "symbolic link" in reasons["linkdir"]
    assert "UTF-8" in reasons["odd\\xff.py"]


def test_skip_notes_go_to_the_tools_that_would_have_scanned_the_file(tmp_path: Path):
    import os

    _tree(tmp_path, "app.py", "requirements.txt")
    os.mkfifo(tmp_path / "pipe.py")
    os.mkfifo(tmp_path / "requirements-dev.txt")
    (tmp_path / "link.py").symlink_to(tmp_path / "app.py")
    targets = collect([tmp_path], root=tmp_path)
    python = targets.skipped_notes(lambda t: t.python_files())
    deps = targets.skipped_notes(lambda t: [f for f in t.files if f.name.startswith("requirements")])
    text = " ".join(n.message for n in python)
    assert "pipe.py" in text and "link.py" in text and "requirements-dev.txt" not in text
    assert {n.level for n in python} == {"warning", "note"}  # a FIFO is a file not scanned; a symlink is a note
    assert len(deps) == 1 and "requirements-dev.txt" in deps[0].message and "pipe.py" not in deps[0].message
    assert targets.skipped_notes(lambda t: [f for f in t.files if f.suffix == ".md"]) == ()


def test_explicit_path_inside_a_default_exclude_is_scanned(tmp_path: Path):
    _tree(tmp_path, ".venv/pyvenv.cfg", ".venv/lib/site-packages/pkg/mod.py", "build/gen/x.py",
          ".venv/lib/site-packages/pkg/__pycache__/mod.cpython-311.pyc", "src/app.py")
    targets = collect([tmp_path / ".venv/lib/site-packages/pkg"], root=tmp_path)
    assert [targets.relative(f) for f in targets.files] == [".venv/lib/site-packages/pkg/mod.py"]
    targets = collect([tmp_path / "build/gen/x.py"], root=tmp_path)
    assert [targets.relative(f) for f in targets.files] == ["build/gen/x.py"]
    # the defaults still apply below the explicit path, and to the root when it is what was given
    assert [targets.relative(f) for f in collect([tmp_path], root=tmp_path).files] == ["src/app.py"]


def test_hook_files_keep_the_default_excludes(tmp_path: Path):
    from secscan.targets import given_files

    _tree(tmp_path, "build/gen/x.py", "src/app.py")
    targets = given_files([tmp_path / "build/gen/x.py", tmp_path / "src/app.py"], tmp_path, [], [])
    assert [targets.relative(f) for f in targets.files] == ["src/app.py"]


def test_nothing_left_names_the_exclude_that_removed_what(tmp_path: Path):
    _tree(tmp_path, "gen/a.py", "gen/b.py", "pkg/__pycache__/m.pyc")
    targets = collect([tmp_path / "gen"], ["gen"], root=tmp_path)
    assert targets.files == ()
    message = targets.nothing_left()
    assert "exclude 'gen'" in message and "gen" in message
    message = collect([tmp_path / "pkg"], root=tmp_path).nothing_left()
    assert "default exclude '__pycache__'" in message and "pkg/__pycache__" in message


def test_unreadable_directories_and_files_are_skipped_with_a_reason(tmp_path: Path):
    """Really unreadable: the walk runs in a child process without root's DAC capabilities (tests run as root)."""
    import json
    import subprocess
    import sys

    from tests.childproc import without_dac_override

    _tree(tmp_path, "app.py", "locked/x.py", "secret.py")
    (tmp_path / "locked").chmod(0)
    (tmp_path / "secret.py").chmod(0)
    code = ("import json, sys; from pathlib import Path; from secscan.targets import collect; "
            "t = collect([Path(sys.argv[1])], root=Path(sys.argv[1])); "
            "print(json.dumps([[t.relative(f) for f in t.files], {s.display: s.reason for s in t.skipped}]))")
    try:
        out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                             preexec_fn=without_dac_override, timeout=120)
    finally:
        (tmp_path / "locked").chmod(0o755)
        (tmp_path / "secret.py").chmod(0o644)
    assert out.returncode == 0, out.stderr
    files, skipped = json.loads(out.stdout)
    assert files == ["app.py"]
    assert "Permission denied" in skipped["locked"] and "cannot read" in skipped["secret.py"]


def test_hook_files_that_are_symlinks_special_or_oversized_are_skipped_with_a_reason(tmp_path: Path):
    import os

    from secscan.targets import dependency_targets, given_files

    _tree(tmp_path, "app.py", "requirements.txt")
    (tmp_path / "big.py").write_text("x = 1\n" * 100)
    (tmp_path / "link.py").symlink_to(tmp_path / "app.py")
    os.mkfifo(tmp_path / "requirements-dev.txt")
    staged = [tmp_path / n for n in ("app.py", "big.py", "link.py", "requirements.txt", "requirements-dev.txt")]
    targets = given_files(staged, tmp_path, [], [], max_file_size=100)
    assert [targets.relative(f) for f in targets.files] == ["app.py", "requirements.txt"]
    assert {s.display: s.level for s in targets.skipped} == {"big.py": "warning", "link.py": "note",
                                                             "requirements-dev.txt": "warning"}
    deps = dependency_targets(staged, tmp_path, [], [], max_file_size=100)
    assert [deps.relative(f) for f in deps.files] == ["requirements.txt"]
    assert "requirements-dev.txt" in {s.display for s in deps.skipped}
