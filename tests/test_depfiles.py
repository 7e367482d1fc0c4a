"""Tests for dependency-file discovery, parsing (with line numbers) and pip-audit input building."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secscan.depfiles import Dependency, is_dep_file, parse, partition_unique, to_requirements


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def triples(path: Path) -> list[tuple[str, str | None, int]]:
    result = parse(path)
    assert result.errors == [], result.errors
    return [(d.name, d.version, d.line) for d in result.deps]


@pytest.mark.parametrize(
    ("relpath", "expected"),
    [
        ("requirements.txt", True), ("requirements-dev.txt", True), ("requirements.in", True),
        ("dev-requirements.txt", True), ("requirements/base.txt", True), ("requirements/base.in", False),
        ("pyproject.toml", True), ("poetry.lock", True), ("uv.lock", True), ("Pipfile.lock", True),
        ("Pipfile", False), ("setup.py", False), ("requirements.txt.bak", False), ("docs/base.txt", False),
        ("package-lock.json", False), ("requirements.md", False),
    ],
)
def test_is_dep_file(relpath: str, expected: bool) -> None:
    assert is_dep_file(Path("/repo/sub") / relpath) is expected


REQUIREMENTS = """\
# comment line
-r other.txt
--index-url https://example.invalid/simple
cryptography==42.0.5 \\
    --hash=sha256:aaaa \\
    --hash=sha256:bbbb
requests[socks]==2.19.0 ; python_version >= "3.8"  # inline comment
flask>=2.0
django==4.2.*
-e git+https://github.com/x/y.git#egg=editable-one
git+https://github.com/pallets/jinja.git@main#egg=Jinja2
urllib3 @ https://files.example.invalid/urllib3-1.24.1-py2.py3-none-any.whl
legacy===1.0-custom
PyYAML==5.3  \\
  --hash=sha256:cccc
./local/path

-c constraints.txt
Pillow == 9.0.0
"""


def test_requirements_txt_pins_lines_and_specifiers(tmp_path: Path) -> None:
    path = write(tmp_path / "requirements.txt", REQUIREMENTS)
    assert triples(path) == [
        ("cryptography", "42.0.5", 4),
        ("requests", "2.19.0", 7),
        ("flask", None, 8),
        ("django", None, 9),
        ("jinja2", None, 11),
        ("urllib3", None, 12),
        ("legacy", "1.0-custom", 13),
        ("pyyaml", "5.3", 14),
        ("pillow", "9.0.0", 19),
    ]
    deps = {d.name: d for d in parse(path).deps}
    assert deps["requests"].specifier == 'requests[socks]==2.19.0 ; python_version >= "3.8"'
    assert deps["cryptography"].specifier == "cryptography==42.0.5"
    assert deps["flask"].file == path


def test_requirements_garbage_gives_errors_not_exceptions(tmp_path: Path) -> None:
    path = write(tmp_path / "requirements-bad.txt", "ok==1.0\nthis is (not valid\n==1.0\nfine>=2\n")
    result = parse(path)
    assert [(d.name, d.line) for d in result.deps] == [("ok", 1), ("fine", 4)]
    assert [e.split(": ")[0] for e in result.errors] == [f"{path}:2", f"{path}:3"]
    binary = tmp_path / "requirements-bin.txt"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert parse(binary).deps == [] and len(parse(binary).errors) == 1
    assert parse(tmp_path / "requirements-missing.txt").errors


PYPROJECT = """\
[build-system]
requires = ["hatchling"]

[project]
name = "demo"
dependencies = [
    "requests-oauthlib>=1.0",
    "requests==2.31.0",
    'jinja2==3.1.4; python_version >= "3.8"',
]

[project.optional-dependencies]
dev = ["pytest==8.0.0", "requests==2.31.0"]

[dependency-groups]
lint = [
    "ruff>=0.4",
    {include-group = "dev"},
]

[tool.poetry.dependencies]
python = "^3.11"
Django = "4.2.16"
PyJWT = { version = "==2.8.0", extras = ["crypto"] }
httpx = "^0.27"
rich = "~13.7"
mylib = { git = "https://github.com/x/mylib.git" }

[tool.poetry.group.test.dependencies]
coverage = "7.4.*"
hypothesis = ">=6"
"""


def test_pyproject_sections_and_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", PYPROJECT)
    assert triples(path) == [
        ("requests-oauthlib", None, 7),
        ("requests", "2.31.0", 8),
        ("jinja2", "3.1.4", 9),
        ("pytest", "8.0.0", 13),
        ("requests", "2.31.0", 13),
        ("ruff", None, 17),
        ("django", "4.2.16", 23),
        ("pyjwt", "2.8.0", 24),
        ("httpx", None, 25),
        ("rich", None, 26),
        ("mylib", None, 27),
        ("coverage", None, 30),
        ("hypothesis", None, 31),
    ]
    specs = {d.name: d.specifier for d in parse(path).deps}
    assert specs["httpx"] == "^0.27" and specs["pyjwt"] == "==2.8.0"


def test_pyproject_invalid_toml_and_bad_entries(tmp_path: Path) -> None:
    broken = write(tmp_path / "a" / "pyproject.toml", '[project]\nname = "x"\ndependencies = [\n  "a==1",\n  oops\n]\n')
    result = parse(broken)
    assert result.deps == [] and len(result.errors) == 1
    assert result.errors[0].startswith(f"{broken}:5: invalid TOML")
    odd = write(tmp_path / "b" / "pyproject.toml", '[project]\ndependencies = [1, "good==1.0", "bad ="]\n')
    result = parse(odd)
    assert [(d.name, d.version, d.line) for d in result.deps] == [("good", "1.0", 2)]
    assert len(result.errors) == 2


POETRY_LOCK = """\
# This file is automatically @generated by Poetry 1.8.3 and should not be changed by hand.

[[package]]
name = "certifi"
version = "2024.8.30"
description = "Python package for providing Mozilla's CA Bundle."
optional = false
python-versions = ">=3.6"
files = [
    {file = "certifi-2024.8.30.tar.gz", hash = "sha256:aaaa"},
]

[[package]]
name = "Jinja2"
version = "2.10"
description = "A small but fast and easy to use stand-alone template engine."

[package.dependencies]
MarkupSafe = ">=0.23"

[package.extras]
i18n = ["Babel (>=0.8)"]

[[package]]
name = "mylib"
version = "0.1.0"
description = ""

[package.source]
type = "git"
url = "https://github.com/x/mylib.git"
reference = "HEAD"
resolved_reference = "abc"

[metadata]
lock-version = "2.0"
"""

UV_LOCK = """\
version = 1
requires-python = ">=3.11"

[[package]]
name = "demo"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "requests" },
]

[[package]]
name = "requests"
version = "2.19.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.example.invalid/requests-2.19.0.tar.gz", hash = "sha256:aaaa" }

[[package]]
name = "workspace-member"
version = "0.2.0"
source = { virtual = "packages/member" }

[[package]]
name = "urllib3"
version = "1.24.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "from-git"
version = "1.0.0"
source = { git = "https://github.com/x/from-git?rev=main#abc" }
"""


def test_poetry_lock(tmp_path: Path) -> None:
    path = write(tmp_path / "poetry.lock", POETRY_LOCK)
    assert triples(path) == [("certifi", "2024.8.30", 4), ("jinja2", "2.10", 14), ("mylib", None, 25)]


def test_uv_lock_skips_project_itself(tmp_path: Path) -> None:
    path = write(tmp_path / "uv.lock", UV_LOCK)
    assert triples(path) == [("requests", "2.19.0", 13), ("urllib3", "1.24.1", 24), ("from-git", None, 29)]


def test_lock_first_line_package_and_invalid_lock(tmp_path: Path) -> None:
    first = write(tmp_path / "x" / "uv.lock", '[[package]]\nversion = "1.0"\nname = "first"\n')
    assert triples(first) == [("first", "1.0", 3)]
    bad = write(tmp_path / "y" / "poetry.lock", '[[package]]\nname = "a"\nversion = \n')
    result = parse(bad)
    assert result.deps == [] and result.errors and result.errors[0].startswith(f"{bad}:3:")
    nameless = write(tmp_path / "z" / "poetry.lock", '[[package]]\nversion = "1"\n\n[[package]]\nname = "b"\n')
    result = parse(nameless)
    assert [(d.name, d.line) for d in result.deps] == [("b", 5)]
    assert result.errors == [f"{nameless}:1: [[package]] without a string 'name'"]


def test_pipfile_lock(tmp_path: Path) -> None:
    data = {
        "_meta": {"hash": {"sha256": "x"}, "pipfile-spec": 6},
        "default": {
            "flask": {"hashes": ["sha256:aaaa"], "index": "pypi", "version": "==0.12.2"},
            "mylib": {"git": "https://github.com/x/mylib.git", "ref": "abc"},
        },
        "develop": {"flask": {"version": "==3.0.3"}, "pytest": {"version": "*"}},
    }
    path = write(tmp_path / "Pipfile.lock", json.dumps(data, indent=4))
    text_lines = path.read_text().splitlines()
    found = triples(path)
    assert [(n, v) for n, v, _ in found] == [("flask", "0.12.2"), ("mylib", None), ("flask", "3.0.3"),
                                            ("pytest", None)]
    assert [text_lines[line - 1].strip().split(":")[0] for *_, line in found] == [
        '"flask"', '"mylib"', '"flask"', '"pytest"']
    assert found[0][2] < found[2][2]  # develop's flask is located inside "develop", not at the first match


def test_pipfile_lock_invalid_json(tmp_path: Path) -> None:
    path = write(tmp_path / "Pipfile.lock", '{\n  "default": {\n    "a": {"version": "==1"},,\n  }\n}\n')
    result = parse(path)
    assert result.deps == [] and len(result.errors) == 1 and result.errors[0].startswith(f"{path}:3:")
    assert parse(write(tmp_path / "x" / "Pipfile.lock", "[1, 2]")).errors


def test_unknown_file_is_an_error(tmp_path: Path) -> None:
    assert parse(write(tmp_path / "setup.cfg", "[metadata]\n")).errors


def dep(name: str, version: str | None, file: str = "requirements.txt", line: int = 1) -> Dependency:
    return Dependency(name, version, f"=={version}" if version else "", Path(file), line)


def test_to_requirements_dedupes_and_skips_unpinned() -> None:
    deps = [dep("requests", "2.19.0"), dep("flask", None), dep("requests", "2.19.0", "poetry.lock", 9),
            dep("pyyaml", "5.3")]
    assert to_requirements(deps) == ["requests==2.19.0", "pyyaml==5.3"]
    with pytest.raises(ValueError, match="requests"):
        to_requirements([*deps, dep("requests", "2.32.3", "uv.lock")])


def test_partition_unique_splits_conflicting_pins() -> None:
    deps = [dep("requests", "2.19.0"), dep("flask", "0.12.2"), dep("requests", "2.32.3", "uv.lock"),
            dep("requests", "2.19.0", "poetry.lock"), dep("requests", "2.31.0", "b.txt"), dep("x", None)]
    groups = partition_unique(deps)
    assert [[(d.name, d.version) for d in g] for g in groups] == [
        [("requests", "2.19.0"), ("flask", "0.12.2")],
        [("requests", "2.32.3")],
        [("requests", "2.31.0")],
    ]
    for group in groups:
        assert len(to_requirements(group)) == len(group)
    assert partition_unique([dep("x", None)]) == []


# --------------------------------------------------------------------------- includes (-r / -c), unreadable files


def test_requirement_includes_are_followed_inside_the_tree(tmp_path: Path) -> None:
    from secscan.depfiles import collect_dependencies

    top = write(tmp_path / "requirements.txt", "-r base.txt\n--requirement=sub/more.txt\n-rflat.txt\nflask==2.0.0\n")
    write(tmp_path / "base.txt", "requests==2.19.0\n-r requirements.txt\n")  # a cycle back to the top file
    write(tmp_path / "sub" / "more.txt", "--requirement ../base.txt\nurllib3==1.24.1\n")  # relative to its file
    write(tmp_path / "flat.txt", "jinja2==2.10\n")
    result = collect_dependencies([top], tmp_path)
    got = sorted((d.name, d.file.relative_to(tmp_path).as_posix(), d.line) for d in result.deps)
    assert got == [("flask", "requirements.txt", 4), ("jinja2", "flat.txt", 1), ("requests", "base.txt", 1),
                   ("urllib3", "sub/more.txt", 2)]
    assert result.unaudited == [] and result.errors == []


def test_includes_and_files_that_cannot_be_read_are_not_audited(tmp_path: Path) -> None:
    import os

    from secscan.depfiles import collect_dependencies

    root = tmp_path / "repo"
    top = write(root / "requirements.txt", "ok==1.0\n-r missing.txt\n-r ../outside.txt\n-r https://example.invalid/r.txt\n"
                                           "-r ${REQS}/x.txt\n-r pipe.txt\n-r big.txt\n-r bad.txt\n")
    write(tmp_path / "outside.txt", "django==1.0\n")
    os.mkfifo(root / "pipe.txt")
    write(root / "big.txt", "x==1\n" * 100)
    (root / "bad.txt").write_bytes(b"flask==0.12\n\xff\n")
    binary = root / "requirements-bin.txt"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    result = collect_dependencies([top, binary], root, max_bytes=200)
    assert [(d.name, d.version) for d in result.deps] == [("ok", "1.0")]
    text = "\n".join(result.unaudited)
    for needle in ("missing.txt", "../outside.txt", "outside the scanned tree", "https://example.invalid/r.txt",
                   "${REQS}/x.txt", "pipe.txt", "not a regular file", "big.txt", "max_file_size",
                   "bad.txt", "UTF-8", "requirements-bin.txt"):
        assert needle in text, (needle, text)
    assert len(result.unaudited) == 8
    assert "django" not in text  # a file outside the tree is never read


def test_constraints_files_are_noted_not_audited(tmp_path: Path) -> None:
    from secscan.depfiles import collect_dependencies

    top = write(tmp_path / "requirements.txt", "-c constraints.txt\n--constraint=more.txt\nrequests==2.19.0\n")
    write(tmp_path / "constraints.txt", "urllib3==1.24.1\n")
    result = collect_dependencies([top], tmp_path)
    assert [d.name for d in result.deps] == ["requests"]
    assert result.unaudited == []
    assert len(result.notes) == 1 and "constraints.txt" in result.notes[0] and "more.txt" in result.notes[0]
