"""Published hashes detect-secrets mistakes for secrets (CSP/SRI integrity hashes, lock-file and `--hash=` package
hashes, pre-commit `rev:` commits) are dropped in its worker, by shape and place; real secrets on the same lines
and in the same files are still reported, and no value appears in any output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secscan import pipeline
from secscan.models import Finding, Status
from secscan.tools.ds_worker import known_hash

SHA256_HEX = "70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6"
SHA256_B64 = "B2yPHKaXnvFWtRChIbabYmUBFZdVfKKXHbWtWidDVF8="
SHA384_B64 = "oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC"
SHA512_B64 = "Q2bFTOhEALkN8hOms2FKTDLy7eugP2zFZ1T8LCvX42Fp3WoNr3bjZSAHeOsHrbV1Fu9/A0EzCinRE7Af1ofPrw=="
COMMIT = "36fd65054fc8864b4037d0918904f9331512feb5"
# Real-looking secrets (fake values; the first is AWS's documentation key id)
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
BASIC_AUTH_URL = "https://deploy:Zx9q2LmV8rT4wB7n@pypi.internal.example.com/simple"
HEX_TOKEN = "a1c8d1e4f2b3c4d5e6f708192a3b4c5d6e7f8091"


@pytest.mark.parametrize("filename,line,value,rule", [
    ("app/csp.py", f"CSP = \"script-src 'self' 'sha256-{SHA256_B64}'\"", f"sha256-{SHA256_B64}", "integrity hash"),
    ("t/base.html", f'<script src="x.js" integrity="sha384-{SHA384_B64}"></script>', f"sha384-{SHA384_B64}",
     "integrity hash"),
    ("t/base.html", f"content=\"script-src 'sha512-{SHA512_B64}'\"", SHA512_B64, "integrity hash"),
    ("poetry.lock", f'content-hash = "{SHA256_HEX}"', SHA256_HEX, "lock-file hash"),
    ("sub/uv.lock", f'sdist = {{ url = "https://x/y.tar.gz", hash = "sha256:{SHA256_HEX}" }}', f"sha256:{SHA256_HEX}",
     "lock-file hash"),
    ("Pipfile.lock", f'"_meta": {{"hash": {{"sha256": "{SHA256_HEX}"}}}},', SHA256_HEX, "lock-file hash"),
    ("requirements-dev.txt", f"    --hash=sha256:{SHA256_HEX} \\", SHA256_HEX, "lock-file hash"),
    ("requirements.txt", f"requests==2.32.3 --hash='sha256:{SHA256_HEX}'", f"sha256:{SHA256_HEX}",
     "lock-file hash"),
    (".pre-commit-config.yaml", f"    rev: {COMMIT}", COMMIT, "pre-commit rev"),
    (".pre-commit-config.yaml", f'-   rev: "{COMMIT}"  # v1.8.0', COMMIT, "pre-commit rev"),
    ("env/conda-lock.yml", f"    sha256: {SHA256_HEX}", SHA256_HEX, "lock-file hash"),
    ("packages.lock.json", f'"contentHash": "{SHA512_B64}"', SHA512_B64, "lock-file hash"),
])
def test_each_kind_of_published_hash_is_recognised(filename: str, line: str, value: str, rule: str):
    assert known_hash(filename, line, value) == rule


@pytest.mark.parametrize("filename,line,value", [
    ("app/settings.py", f'API_TOKEN = "{SHA256_HEX}"', SHA256_HEX),  # a hex secret outside lock files
    ("app/csp.py", f'KEY = "sha256-{SHA256_B64[:20]}"', f"sha256-{SHA256_B64[:20]}"),  # not a digest's length
    ("t/base.html", f'<div data-key="{SHA384_B64}">', SHA384_B64),  # no algorithm prefix
    ("poetry.lock", f'url = "{BASIC_AUTH_URL}"', "Zx9q2LmV8rT4wB7n"),  # a password in a lock file
    ("requirements.txt", f"--index-url https://x/?token={SHA256_HEX}", SHA256_HEX),  # not after --hash=
    ("notes.txt", f"--hash=sha256:{SHA256_HEX}", SHA256_HEX),  # not a requirements file
    (".pre-commit-config.yaml", f"        args: [--api-key, {HEX_TOKEN}]", HEX_TOKEN),  # not the rev line
    ("other.yaml", f"rev: {COMMIT}", COMMIT),  # not pre-commit's file
])
def test_the_same_shapes_elsewhere_are_still_secrets(filename: str, line: str, value: str):
    assert known_hash(filename, line, value) is None


def test_only_high_entropy_matches_are_second_guessed():
    """A key or token plugin's match is a secret whatever it looks like and wherever it is."""
    assert known_hash("poetry.lock", f'hash = "{SHA256_HEX}"', SHA256_HEX, "Base64 High Entropy String")
    assert known_hash("poetry.lock", f'hash = "{SHA256_HEX}"', SHA256_HEX, "Secret Keyword") is None
    assert known_hash("t.html", f"'sha256-{SHA256_B64}'", f"sha256-{SHA256_B64}", "JSON Web Token") is None


def _scan(root: Path) -> tuple[list[Finding], list[str], str]:
    out = root.parent / "out.sarif"
    result = pipeline.run(pipeline.ScanRequest(start=root, overrides={"tools": ["detect-secrets"]}))
    run = result.runs[0]
    assert run.status is Status.OK, run.notifications
    from secscan.report import to_json
    from secscan.sarif import to_sarif

    text = json.dumps(to_sarif(result.runs, root)) + json.dumps(to_json(result.runs, result.verdict))
    out.write_text(text)
    return list(run.findings), [n.message for n in run.notifications], text


@pytest.mark.slow
def test_the_worker_drops_published_hashes_and_keeps_real_secrets_on_the_same_lines(tmp_path: Path):
    root = tmp_path / "repo"
    (root / "templates").mkdir(parents=True)
    (root / "csp.py").write_text(
        f"CSP = \"default-src 'self'; script-src 'self' 'sha256-{SHA256_B64}'\"\n"
        f"HEADERS = {{\"csp\": \"script-src 'sha512-{SHA512_B64}'\", \"aws\": \"{AWS_KEY}\"}}\n")
    (root / "templates" / "base.html").write_text(
        f'<script src="https://cdn.example.com/lib.js" integrity="sha384-{SHA384_B64}" crossorigin="anonymous">'
        "</script>\n"
        f'<script src="/a.js" integrity="sha384-{SHA384_B64}" data-aws="{AWS_KEY}"></script>\n')
    (root / ".pre-commit-config.yaml").write_text(
        "repos:\n-   repo: https://github.com/PyCQA/bandit\n"
        f"    rev: {COMMIT}\n    hooks:\n    -   id: bandit\n        deploy_key: {HEX_TOKEN}\n")
    found, notes, text = _scan(root)
    got = sorted({(f.location.path, f.location.start_line) for f in found})
    assert got == [(".pre-commit-config.yaml", 6), ("csp.py", 2), ("templates/base.html", 2)]
    assert {f.rule.id for f in found if f.location.path != ".pre-commit-config.yaml"} == {"aws-access-key"}
    # detect-secrets reports a value once per file: the second SRI hash in base.html is not a candidate
    assert "4 published hashes not reported as secrets (3 integrity hash, 1 pre-commit rev)" in notes
    for value in (SHA256_B64, SHA384_B64, SHA512_B64, COMMIT, AWS_KEY, HEX_TOKEN):
        assert value not in text and value not in " ".join(notes)


@pytest.mark.slow
def test_lock_file_hashes_are_dropped_and_a_password_in_the_lock_file_is_kept(tmp_path: Path):
    """conda-lock's YAML is scanned hash by hash by detect-secrets (it skips `*.lock` files by extension);
    requirements files with `--hash=` and the `*.lock` files never produce a finding either."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "conda-lock.yml").write_text(
        f"version: 1\nmetadata:\n  content_hash:\n    linux-64: {SHA256_HEX}\n  channels:\n"
        f"  - url: {BASIC_AUTH_URL}\npackage:\n- name: python\n  hash:\n    md5: {SHA256_HEX[:32]}\n"
        f"    sha256: {SHA256_HEX[::-1]}\n")
    (root / "poetry.lock").write_text(f'[metadata]\nlock-version = "2.0"\ncontent-hash = "{SHA256_HEX}"\n')
    (root / "uv.lock").write_text(f'[[package]]\nname = "x"\nsdist = {{ hash = "sha256:{SHA256_HEX}" }}\n')
    (root / "Pipfile.lock").write_text(f'{{"_meta": {{"hash": {{"sha256": "{SHA256_HEX}"}}}}}}\n')
    (root / "requirements.txt").write_text(f"requests==2.32.3 \\\n    --hash=sha256:{SHA256_HEX}\n")
    found, notes, text = _scan(root)
    assert sorted((f.location.path, f.location.start_line, f.rule.id) for f in found) == [
        ("conda-lock.yml", 6, "basic-auth-credentials")]
    assert "3 published hashes not reported as secrets (3 lock-file hash)" in notes
    assert SHA256_HEX not in text and "Zx9q2LmV8rT4wB7n" not in text
