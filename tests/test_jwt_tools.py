"""Tests for secscan_probes.probes.auth.jwt_tools."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import jwt as pyjwt  # test dependency (PyJWT), used as an independent oracle
import pytest

from secscan_probes.probes.auth import jwt_tools as jt

HEADER = {"alg": "HS256", "typ": "JWT"}
CLAIMS = {"sub": "alice", "role": "user", "iat": 1700000000}
KNOWN = b"known-key-" * 5  # >= 48 bytes so PyJWT does not warn for HS384


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hand_made(key: bytes, alg: str = "HS256", header: dict | None = None) -> str:
    """Token built with raw hmac/json, independent of jwt_tools.sign_hs."""
    head = _b64(json.dumps(header or {"alg": alg, "typ": "JWT"}).encode())
    body = _b64(json.dumps(CLAIMS).encode())
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    sig = hmac.new(key, f"{head}.{body}".encode(), digest).digest()
    return f"{head}.{body}.{_b64(sig)}"


def _verifies(token: str, key: bytes | str) -> bool:
    parsed = jt.decode(token)
    digest = jt.HS_DIGESTS[parsed.alg]
    key_bytes = key.encode() if isinstance(key, str) else key
    expected = hmac.new(key_bytes, parsed.signing_input, digest).digest()
    return hmac.compare_digest(expected, parsed.signature)


def test_decode_hand_made_token() -> None:
    token = _hand_made(b"k")
    parsed = jt.decode(token)
    assert parsed.header == {"alg": "HS256", "typ": "JWT"}
    assert parsed.claims == CLAIMS
    assert parsed.raw == token
    assert parsed.signing_input == token.rsplit(".", 1)[0].encode()
    assert parsed.signature == hmac.new(b"k", parsed.signing_input, hashlib.sha256).digest()
    with pytest.raises(AttributeError):
        parsed.raw = "x"  # type: ignore[misc]


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_sign_decode_round_trip(alg: str) -> None:
    token = jt.sign_hs(HEADER, CLAIMS, b"round-trip-key", alg)
    parsed = jt.decode(token)
    assert parsed.header == {**HEADER, "alg": alg}
    assert parsed.claims == CLAIMS
    assert _verifies(token, b"round-trip-key")
    assert not _verifies(token, b"other-key")


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_signatures_agree_with_pyjwt(alg: str) -> None:
    key = "pyjwt-cross-check-key-0123456789abcdef-long-enough-for-hs512-keys!!"
    ours = jt.sign_hs(HEADER, CLAIMS, key.encode(), alg)
    assert pyjwt.decode(ours, key, algorithms=[alg]) == CLAIMS
    theirs = jt.decode(pyjwt.encode(CLAIMS, key, algorithm=alg))
    assert theirs.claims == CLAIMS
    assert jt.crack_hs(theirs, ["nope", key]) == key


def test_looks_like_jwt() -> None:
    assert jt.looks_like_jwt(_hand_made(b"k"))
    assert jt.looks_like_jwt(jt.forge_none(jt.decode(_hand_made(b"k"))))
    for text in ["", "abc", "a.b", "a.b.c", "eyJhbGciOi.eyJzdWIi.sig", "x" * 50,
                 "Bearer abc.def.ghi", _hand_made(b"k") + ".extra"]:
        assert not jt.looks_like_jwt(text), text
    assert not jt.looks_like_jwt(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [
    "", "only-one-part", "two.parts", "a.b.c.d", ".e30.", "e30..",
    "e30.e30.!!!", "e30.bm90LWpzb24.", "WzFd.e30.", "e30.WzFd.", "e30.e30.a",
    "é30.e30.", 12345,
])
def test_malformed_tokens_raise(bad: object) -> None:
    with pytest.raises(jt.JwtError):
        jt.decode(bad)  # type: ignore[arg-type]
    assert issubclass(jt.JwtError, ValueError)


@pytest.mark.parametrize("variant", jt.NONE_VARIANTS)
def test_forge_none(variant: str) -> None:
    original = jt.decode(_hand_made(b"k"))
    forged = jt.forge_none(original, alg_variant=variant)
    assert forged.endswith(".") and forged.count(".") == 2
    parsed = jt.decode(forged)
    assert parsed.header["alg"] == variant
    assert parsed.header["typ"] == "JWT"
    assert parsed.claims == CLAIMS
    assert parsed.signature == b""


def test_forge_none_with_new_claims_and_bad_variant() -> None:
    original = jt.decode(_hand_made(b"k"))
    forged = jt.decode(jt.forge_none(original, {"sub": "admin"}))
    assert forged.claims == {"sub": "admin"}
    with pytest.raises(jt.JwtError):
        jt.forge_none(original, alg_variant="HS256")


def test_strip_signature_keeps_header_and_claims() -> None:
    token = _hand_made(b"k")
    stripped = jt.strip_signature(jt.decode(token))
    assert stripped == token.rsplit(".", 1)[0] + "."
    parsed = jt.decode(stripped)
    assert parsed.claims == CLAIMS and parsed.header["alg"] == "HS256"
    assert parsed.signature == b""


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_resign_random_keeps_hs_family(alg: str) -> None:
    original = jt.decode(_hand_made(b"original-key", alg))
    resigned = jt.decode(jt.resign_random(original))
    assert resigned.header["alg"] == alg
    assert resigned.claims == CLAIMS
    assert resigned.signature != original.signature
    assert not _verifies(resigned.raw, b"original-key")


def test_resign_random_for_asymmetric_alg_uses_hs256() -> None:
    head = _b64(json.dumps({"alg": "RS256", "kid": "1"}).encode())
    fake_rs = f"{head}.{_b64(json.dumps(CLAIMS).encode())}.{_b64(b'sig')}"
    resigned = jt.decode(jt.resign_random(jt.decode(fake_rs)))
    assert resigned.header == {"alg": "HS256", "kid": "1"}
    assert len(resigned.signature) == 32
    with pytest.raises(jt.JwtError):
        jt.crack_hs(jt.decode(fake_rs), ["secret"])


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_crack_finds_key_in_list(alg: str) -> None:
    words = jt.load_wordlist()
    key = words[len(words) // 2]
    token = jt.decode(_hand_made(key.encode(), alg))
    assert jt.crack_hs(token, words) == key
    assert jt.crack_hs(token, iter(["a", "b", key])) == key


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_crack_handles_keys_longer_than_hash_block(alg: str) -> None:
    key = "long-key-" * 20 + "é"
    token = jt.decode(_hand_made(key.encode(), alg))
    assert jt.crack_hs(token, ["short", key[:-1], key]) == key


def test_crack_returns_none_when_absent() -> None:
    token = jt.decode(_hand_made(b"Zq7!not-in-any-list-4f1c"))
    assert jt.crack_hs(token, jt.load_wordlist()) is None
    assert jt.crack_hs(token, []) is None


def test_crack_speed_report() -> None:
    token = jt.decode(_hand_made(b"absent-key"))
    words = [f"candidate-{n}" for n in range(200_000)]
    started = time.perf_counter()
    assert jt.crack_hs(token, words) is None
    elapsed = time.perf_counter() - started
    print(f"\ncrack_hs HS256: {len(words) / elapsed:,.0f} candidates/s")


def test_with_claims_and_expired_copy() -> None:
    token = jt.decode(_hand_made(KNOWN, "HS384"))
    elevated = jt.with_claims(token, KNOWN, role="admin", sub="root")
    parsed = jt.decode(elevated)
    assert parsed.claims == {**CLAIMS, "role": "admin", "sub": "root"}
    assert parsed.header["alg"] == "HS384" and _verifies(elevated, KNOWN)
    expired = jt.expired_copy(token, KNOWN.decode())
    claims = jt.decode(expired).claims
    now = time.time()
    assert now - 3700 < claims["exp"] < now - 3500
    assert claims["iat"] < claims["exp"]
    assert claims["sub"] == "alice" and _verifies(expired, KNOWN)
    with pytest.raises(pyjwt.ExpiredSignatureError):
        pyjwt.decode(expired, KNOWN.decode(), algorithms=["HS384"])


def test_identity_claim() -> None:
    assert jt.identity_claim(CLAIMS) == ("sub", "alice")
    assert jt.identity_claim({"email": "a@b.c", "uid": 7}) == ("uid", 7)
    assert jt.identity_claim({"id": 0}) == ("id", 0)
    assert jt.identity_claim({"sub": None, "username": "bob"}) == ("username", "bob")
    assert jt.identity_claim({"role": "admin"}) is None


def test_wordlist_loader(tmp_path: Path) -> None:
    words = jt.load_wordlist()
    assert len(words) >= 300 and len(set(words)) == len(words)
    for expected in ("secret", "your-256-bit-secret", "changeme", "s3cr3t", "123456"):
        assert expected in words
    assert not any(w.startswith("#") or not w.strip() for w in words)
    custom = tmp_path / "w.txt"
    custom.write_text("# header\n\nalpha\nbeta\n\nalpha\n", encoding="utf-8")
    assert jt.load_wordlist(custom) == ["alpha", "beta"]
