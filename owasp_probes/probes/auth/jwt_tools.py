"""Offline JWT decoding, forging and weak-secret cracking helpers (stdlib only)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_WORDLIST = Path(__file__).parent / "data" / "jwt-secrets.txt"
NONE_VARIANTS = ("none", "None", "NONE", "nOnE")
HS_DIGESTS = {"HS256": "sha256", "HS384": "sha384", "HS512": "sha512"}
IDENTITY_CLAIMS = ("sub", "user_id", "uid", "username", "email", "id")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))
_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


class JwtError(ValueError):
    """Raised when a token is malformed or cannot be handled as requested."""


@dataclass(frozen=True)
class Jwt:
    """A decoded (unverified) JWS compact token."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes
    raw: str

    @property
    def alg(self) -> str:
        """The header's ``alg`` value ('' if absent or not a string)."""
        alg = self.header.get("alg")
        return alg if isinstance(alg, str) else ""


def b64url_encode(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url decoding of unpadded text; raises JwtError."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise JwtError(f"invalid base64url segment: {text[:40]!r}")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json_segment(segment: str, what: str) -> dict[str, Any]:
    """Decode one base64url JSON-object segment."""
    try:
        value = json.loads(b64url_decode(segment))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JwtError(f"{what} is not valid JSON") from exc
    if not isinstance(value, dict):
        raise JwtError(f"{what} is not a JSON object")
    return value


def _encode_json(value: Mapping[str, Any]) -> str:
    """Compact JSON, base64url-encoded."""
    return b64url_encode(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def decode(token: str) -> Jwt:
    """Split and decode a compact JWT without verifying it."""
    if not isinstance(token, str):
        raise JwtError("token must be a string")
    token = token.strip()
    parts = token.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise JwtError("a JWT has three dot-separated parts")
    header = _json_segment(parts[0], "header")
    claims = _json_segment(parts[1], "claims")
    signature = b64url_decode(parts[2])
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
    return Jwt(header, claims, signing_input, signature, token)


def looks_like_jwt(token: str) -> bool:
    """True if ``token`` has JWT shape and a decodable JSON header/claims."""
    if not isinstance(token, str) or not _SHAPE.fullmatch(token.strip()):
        return False
    try:
        decode(token)
    except JwtError:
        return False
    return True


def _as_key(key: bytes | str) -> bytes:
    return key.encode("utf-8") if isinstance(key, str) else key


def _hs_digest(alg: str) -> str:
    try:
        return HS_DIGESTS[alg]
    except KeyError:
        raise JwtError(f"not an HMAC algorithm: {alg!r}") from None


def sign_hs(
    header: Mapping[str, Any], claims: Mapping[str, Any], key: bytes | str, alg: str = "HS256"
) -> str:
    """Build a token signed with HMAC; ``alg`` overrides the header's alg."""
    digest = _hs_digest(alg)
    signing_input = f"{_encode_json({**header, 'alg': alg})}.{_encode_json(claims)}"
    mac = hmac.digest(_as_key(key), signing_input.encode("ascii"), digest)
    return f"{signing_input}.{b64url_encode(mac)}"


def forge_none(
    jwt: Jwt, claims: Mapping[str, Any] | None = None, alg_variant: str = "none"
) -> str:
    """Unsigned copy with ``alg: none`` (or a case variant); trailing dot kept."""
    if alg_variant.lower() != "none":
        raise JwtError(f"not a 'none' variant: {alg_variant!r}")
    header = {**jwt.header, "alg": alg_variant}
    body = jwt.claims if claims is None else claims
    return f"{_encode_json(header)}.{_encode_json(body)}."


def strip_signature(jwt: Jwt) -> str:
    """The original header and claims segments with an empty signature."""
    return jwt.signing_input.decode("ascii") + "."


def _hs_alg_for(jwt: Jwt) -> str:
    """The token's alg if it is HS*, otherwise HS256."""
    return jwt.alg if jwt.alg in HS_DIGESTS else "HS256"


def resign_random(jwt: Jwt) -> str:
    """Re-sign with a random 32-byte key (HS256 for non-HMAC tokens)."""
    return sign_hs(jwt.header, jwt.claims, secrets.token_bytes(32), _hs_alg_for(jwt))


def crack_hs(jwt: Jwt, wordlist: Iterable[str]) -> str | None:
    """Return the wordlist entry that reproduces the HMAC signature, if any."""
    new_hash = getattr(hashlib, _hs_digest(jwt.alg))
    block = new_hash().block_size
    message, expected = jwt.signing_input, jwt.signature
    for candidate in wordlist:
        # RFC 2104 HMAC spelled out: ~1.7x faster than hmac.digest per key.
        key = candidate.encode("utf-8")
        if len(key) > block:
            key = new_hash(key).digest()
        key = key.ljust(block, b"\0")
        inner = new_hash(key.translate(_IPAD) + message).digest()
        if hmac.compare_digest(new_hash(key.translate(_OPAD) + inner).digest(), expected):
            return candidate
    return None


def with_claims(jwt: Jwt, key: bytes | str, **changes: Any) -> str:
    """Copy with updated claims, signed with the (known) HMAC key."""
    return sign_hs(jwt.header, {**jwt.claims, **changes}, key, _hs_alg_for(jwt))


def expired_copy(jwt: Jwt, key: bytes | str) -> str:
    """Copy that expired an hour ago (iat/nbf moved before exp), re-signed."""
    now = int(time.time())
    changes: dict[str, Any] = {"exp": now - 3600, "iat": now - 7200}
    if "nbf" in jwt.claims:
        changes["nbf"] = now - 7200
    return with_claims(jwt, key, **changes)


def identity_claim(claims: Mapping[str, Any]) -> tuple[str, object] | None:
    """The first user-identifying claim present (sub, user_id, uid, ...)."""
    for name in IDENTITY_CLAIMS:
        if claims.get(name) not in (None, ""):
            return name, claims[name]
    return None


def load_wordlist(path: Path | None = None) -> list[str]:
    """Secrets from ``path`` (default: bundled list), skipping '#' and blanks."""
    text = (path or DEFAULT_WORDLIST).read_text(encoding="utf-8")
    words: dict[str, None] = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            words.setdefault(line, None)
    return list(words)
