"""`secscan forge` (issue 12 point 7): the forged tokens evidence curls name are rebuilt from the tenant's own token,
so the documented commands replay the evidence; the recovered key is never printed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from secscan.cli import cli
from secscan.errors import EXIT_OK, EXIT_USAGE
from secscan_demo.tenant_api.jwt_codec import WEAK_JWT_KEY, encode_token
from secscan_probes.probes.auth.jwt_tools import decode

SECSCAN = str(Path(sys.executable).with_name("secscan"))
CLAIMS = {"sub": "1", "username": "alice", "exp": int(time.time()) + 3600}
WEAK = encode_token(CLAIMS, WEAK_JWT_KEY)  # signed with a key in secscan's wordlist
STRONG = encode_token(CLAIMS, os.urandom(32))


def _forge(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, ["forge", *args], env=env)


def test_each_variant_is_the_probe_s_forgery_of_the_given_token():
    env = {"SECSCAN_TOKEN_ALICE": f"Bearer {WEAK}"}  # a scheme in the variable is tolerated
    out = {}
    for variant in ("alg-none", "alg-none-mixed", "stripped", "random-key", "signature-not-verified", "expired",
                    "weak-secret"):
        result = _forge(variant, "--from-env", "SECSCAN_TOKEN_ALICE", env=env)
        assert result.exit_code == EXIT_OK, result.output
        out[variant] = result.stdout.strip()
    assert decode(out["alg-none"]).header["alg"] == "none" and decode(out["alg-none"]).claims == CLAIMS
    assert decode(out["alg-none-mixed"]).header["alg"] == "nOnE" and out["alg-none"].endswith(".")
    assert out["stripped"] == out["signature-not-verified"] == WEAK.rsplit(".", 1)[0] + "."
    assert out["random-key"].rsplit(".", 1)[0] == WEAK.rsplit(".", 1)[0] and out["random-key"] != WEAK
    assert decode(out["expired"]).claims["exp"] < time.time() and out["weak-secret"] == WEAK  # re-signed, same key
    for text in out.values():
        assert WEAK_JWT_KEY.decode() not in text


def test_placeholders_and_export_lines():
    env = {"SECSCAN_TOKEN_BOB": WEAK, "MY_TOKEN": WEAK}
    result = _forge("$SECSCAN_FORGED_BOB_ALG_NONE_TITLE", "--export", env=env)
    assert result.exit_code == EXIT_OK, result.output
    name, _, value = result.stdout.strip().removeprefix("export ").partition("=")
    assert name == "SECSCAN_FORGED_BOB_ALG_NONE_TITLE" and decode(value).header["alg"] == "None"
    result = _forge("weak-secret", "--from-env", "MY_TOKEN", "--tenant", "carol smith", "--export", env=env)
    assert result.stdout.startswith("export SECSCAN_FORGED_CAROL_SMITH_WEAK_SECRET=eyJ")


@pytest.mark.parametrize(("args", "env", "message"), [
    (["alg-none", "--from-env", "SECSCAN_TOKEN_ALICE"], {}, "environment variable SECSCAN_TOKEN_ALICE is not set"),
    (["alg-none", "--from-env", "T"], {"T": "not-a-token"}, "T does not hold a JWT"),
    (["expired", "--from-env", "T"], {"T": STRONG}, "the HMAC key of the token in T is not in secscan's wordlist"),
    (["alg-nope", "--from-env", "T"], {"T": WEAK}, "unknown variant 'alg-nope'"),
    (["SECSCAN_FORGED_ALICE_NOPE"], {}, "SECSCAN_FORGED_ALICE_NOPE: not a forged-token placeholder"),
    (["alg-none"], {}, "--from-env VAR is required"),
    (["alg-none", "--from-env", "T", "--export"], {"T": WEAK}, "cannot tell the tenant from T"),
])
def test_problems_are_one_line_and_exit_2(args: list[str], env: dict[str, str], message: str):
    result = _forge(*args, env=env)
    assert result.exit_code == EXIT_USAGE and "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("secscan: error:")]
    assert len(errors) == 1 and message in errors[0] and result.stdout == ""


@pytest.fixture(scope="module")
def vulnerable():
    from secscan_demo.tenant_api.app import create_app
    from tests.probes.probe_support import Served, serve

    app = create_app()
    with serve(app) as url:
        yield Served(app, url)


@pytest.mark.slow  # the real auth probe against the tenant API (uvicorn), then curl
@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_the_documented_commands_replay_every_forged_evidence_curl(vulnerable, tmp_path: Path):
    from tests.probes.test_auth import auth_scan

    run = auth_scan(vulnerable, tmp_path)
    steps = [(f.rule.id, s) for f in run.findings for s in f.properties["evidence"] if "$SECSCAN_FORGED_" in s["curl"]]
    assert {rule for rule, _ in steps} >= {"jwt-alg-none", "jwt-signature-not-verified", "jwt-expired-accepted",
                                           "jwt-weak-secret"}
    # what the README says: each tenant's own token in SECSCAN_TOKEN_<TENANT>, then eval "$(secscan forge ...)"
    env = {**os.environ, **{f"SECSCAN_TOKEN_{u.upper()}": vulnerable.token(u) for u in ("alice", "bob", "carol",
                                                                                         "admin")}}
    for rule, step in steps:
        names = sorted(set(re.findall(r"\$(SECSCAN_FORGED_[A-Z0-9_]+)", step["curl"])))
        script = "".join(f'eval "$({SECSCAN} forge {name} --export)" || exit 99\n' for name in names)
        script += step["curl"] + " -o /dev/null -w '%{http_code}'"
        replay = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60)
        assert replay.returncode == 0, (rule, replay.stderr)
        assert replay.stdout == str(step["status"]), (rule, step["step"], step["curl"], replay.stdout)
    assert "secret123" not in json.dumps([s for _, s in steps])
