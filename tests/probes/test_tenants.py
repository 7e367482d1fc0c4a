"""tenants.yaml loader: the documented shape, ${VAR} substitution, redaction placeholders, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from secscan.errors import EXIT_USAGE, UsageError
from secscan_probes.engine.tenants import load_tenants, placeholder

GOOD = """\
tenants:
  alice:
    headers: {Authorization: "Bearer ${ALICE_TOKEN}"}
    role: user
    owns:
      book_title: [alice-book]
  bob:
    headers: {Authorization: "Bearer eyJ-bob-token"}
  admin:
    role: admin
    cookies: {session: "cookie-value-1"}
    query: {api_key: "${ADMIN_KEY}"}
    public:
      book_id: [7]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tenants.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_documented_shape_loads_with_substitution_and_placeholders(tmp_path):
    tenants = load_tenants(write(tmp_path, GOOD), {"ALICE_TOKEN": "tok-a", "ADMIN_KEY": "key-admin"})
    assert tenants.names == ("alice", "bob", "admin")
    alice, bob, admin = tenants
    assert alice.headers["Authorization"] == "Bearer tok-a" and alice.role == "user"
    assert alice.owns == {"book_title": ("alice-book",)} and bob.role == "user"
    assert admin.is_admin and admin.query == {"api_key": "key-admin"} and admin.public == {"book_id": ("7",)}
    primary = {"tok-a": "$SECSCAN_TOKEN_ALICE", "eyJ-bob-token": "$SECSCAN_TOKEN_BOB",
               "cookie-value-1": "$SECSCAN_TOKEN_ADMIN", "key-admin": "$SECSCAN_TOKEN_ADMIN_2"}
    assert {value: tenants.secrets[value] for value in primary} == primary
    assert set(tenants.secrets.values()) == set(primary.values())  # encodings map to the same placeholders


def test_placeholder_names():
    assert placeholder("team-a") == "$SECSCAN_TOKEN_TEAM_A"
    assert placeholder("bob", 3) == "$SECSCAN_TOKEN_BOB_3"


@pytest.mark.parametrize(("text", "expected"), [
    ("tenants: {alice: {headers: [1, 2]}", "malformed YAML"),
    ("tenants:\n  alice:\n    headers: [a, b]\n", "key tenants.alice.headers"),
    ("tenants:\n  alice:\n    role: superuser\n", "key tenants.alice.role"),
    ("tenants:\n  alice:\n    token: abc\n", "key tenants.alice.token"),
    ("tenants: {}\n", "at least one tenant is required"),
    ("", "key tenants"),
    ("tenants:\n  alice:\n    headers: {Authorization: 'Bearer ${NOPE_UNSET_VAR}'}\n",
     "tenant alice, key headers.Authorization: environment variable NOPE_UNSET_VAR is not defined"),
])
def test_bad_input_is_one_line_usage_error(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        load_tenants(path, {})
    message = str(caught.value)
    assert expected in message and str(path) in message
    assert "\n" not in message and caught.value.exit_code == EXIT_USAGE


def test_missing_file(tmp_path):
    with pytest.raises(UsageError, match="cannot read"):
        load_tenants(tmp_path / "nope.yaml", {})


def test_a_tenant_name_with_a_line_break_is_refused_in_one_line(tmp_path: Path):
    """Found by the hypothesis fuzzing of the loader: every later message names the tenant, so a name with a
    control character would break the one-line error rule."""
    path = tmp_path / "tenants.yaml"
    path.write_text('tenants:\n  "ali\\nce": {headers: {Authorization: "Bearer x"}}\n')
    with pytest.raises(UsageError) as caught:
        load_tenants(path, {})
    message = str(caught.value)
    assert "\n" not in message and "'ali\\nce'" in message and "control character" in message
