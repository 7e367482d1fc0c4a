"""Fingerprints: GitHub's primaryLocationLineHash (ported) and secscan's line-free secscan/v1."""
from __future__ import annotations

import dataclasses
import hashlib
import re
from array import array
from collections.abc import Sequence
from itertools import accumulate
from operator import mul
from pathlib import Path

from secscan.models import Finding

# Algorithm (as used by github/codeql-action when uploading SARIF):
#   * the file is a sequence of UTF-16 code units;
#   * spaces and tabs are dropped; CRLF and lone CR become LF (an LF directly
#     after a CR is dropped; a space/tab in between means it is *not* dropped);
#   * the stream is terminated by one 65535 marker, then zero padding;
#   * every line starts at the unit after an LF (the first line at unit 0; a
#     trailing newline therefore yields one extra, final "line");
#   * a line's hash is the polynomial sum(c[s+j] * 37**(99-j)), j < 100,
#     modulo 2**64, printed as lowercase hex *without* zero padding;
#   * ``:n`` counts how often that hash value has been seen so far in the file.
#
# Speed: instead of a per-character Python loop, the short hashes of every
# 9-unit window are computed at C speed with one big-integer multiplication
# (Kronecker substitution): code units are packed into 64-bit slots of
# integer A and 37**t (t < 9) into slots of integer B; slot p of A*B is then
# sum(c[p-t] * 37**t).  That sum is below 9 * 2**16 * 37**8 < 2**61, so slots
# never carry into each other.  A line's 100-unit hash is then assembled from
# eleven such 9-unit pieces plus its first unit (100 = 1 + 11 * 9).

BLOCK_SIZE = 100
BASE = 37
EOF_UNIT = 0xFFFF
_MASK64 = (1 << 64) - 1
_PIECE = 9
_DROP_BLANKS = str.maketrans("", "", " \t")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_PIECE_POLY = int.from_bytes(
    b"".join((BASE**t).to_bytes(8, "little") for t in range(_PIECE)), "little"
)
# Weights of the pieces ending at offsets 9, 18, ..., 99 of a window.
_PIECE_WEIGHTS = [
    pow(BASE, BLOCK_SIZE - 1 - end, 1 << 64) for end in range(_PIECE, BLOCK_SIZE, _PIECE)
]
_FIRST_WEIGHT = pow(BASE, BLOCK_SIZE - 1, 1 << 64)


def _normalise(text: str) -> str:
    """Apply the newline and whitespace rules and append the EOF marker."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_DROP_BLANKS) + chr(EOF_UNIT)


def _line_starts(stream: str, unit_count: int) -> list[int]:
    """Code-unit offsets at which each line begins."""
    if unit_count != len(stream):
        # Astral characters are two UTF-16 units; give them two placeholders.
        stream = _ASTRAL.sub("..", stream)
    lengths = map(len, stream.split("\n")[:-1])
    return list(accumulate(map((1).__add__, lengths), initial=0))


def _piece_hashes(units: bytes) -> array[int]:
    """Hash of the 9-unit window ending at each position (zero-padded)."""
    count = len(units) // 2
    packed = bytearray(count * 8)
    packed[0::8] = units[0::2]
    packed[1::8] = units[1::2]
    product = int.from_bytes(packed, "little") * _PIECE_POLY
    pieces = array("Q")
    pieces.frombytes(product.to_bytes((count + _PIECE) * 8, "little"))
    pieces.frombytes(bytes(8 * BLOCK_SIZE))
    return pieces


def _window_hashes(pieces: array[int], units: array[int], starts: list[int]) -> list[int]:
    """Hash of the 100 units beginning at each offset in ``starts``."""
    weights, first, end = _PIECE_WEIGHTS, _FIRST_WEIGHT, BLOCK_SIZE
    return [
        (sum(map(mul, weights, pieces[s + _PIECE:s + end:_PIECE])) + first * units[s]) & _MASK64
        for s in starts
    ]


def line_hashes(text: str) -> list[str]:
    """Return the fingerprint of every line of ``text`` (index 0 is line 1)."""
    stream = _normalise(text)
    encoded = stream.encode("utf-16-le", "surrogatepass")
    units = array("H")
    units.frombytes(encoded)
    starts = _line_starts(stream, len(units))
    counts: dict[int, int] = {}
    result: list[str] = []
    for value in _window_hashes(_piece_hashes(encoded), units, starts):
        seen = counts[value] = counts.get(value, 0) + 1
        result.append(f"{value:x}:{seen}")
    return result


def line_hash_for(text: str, line: int) -> str | None:
    """Return the fingerprint of 1-based ``line``, or None if out of range."""
    if line < 1:
        return None
    hashes = line_hashes(text)
    return hashes[line - 1] if line <= len(hashes) else None


def file_line_hashes(path: str | Path) -> list[str]:
    """Fingerprint every line of a file read as UTF-8 (invalid bytes -> U+FFFD)."""
    return line_hashes(Path(path).read_bytes().decode("utf-8", errors="replace"))


# --- secscan's own line-free fingerprint -------------------------------------------------------

_SUPPRESSION_COMMENT = re.compile(r"#\s*(nosec|nosemgrep|noqa|pragma: allowlist|secscan:).*$")
FINGERPRINT_KEY = "secscan/v1"


def code_context(line: str) -> str:
    """The flagged line without whitespace or suppression comments: stable under re-indentation."""
    return re.sub(r"\s+", "", _SUPPRESSION_COMMENT.sub("", line))


def secscan_fingerprint(tool: str, rule_id: str, path: str, context: str, occurrence: int) -> str:
    """sha256 over (tool, rule, path, context, nth identical occurrence): no line numbers. A path or context holding
    bytes that are not UTF-8 (Python keeps them as lone surrogates) is hashed as those bytes, never an error."""
    key = "\x1f".join((tool, rule_id, path, context, str(occurrence)))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def annotate(findings: Sequence[Finding], root: Path) -> list[Finding]:
    """Fill `fingerprint` (secscan/v1) and `line_hash` (GitHub's) on every finding, reading each file once."""
    cache: dict[str, tuple[list[str], list[str]] | None] = {}
    seen: dict[tuple[str, str, str, str], int] = {}
    out: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.location.path, f.location.start_line, f.tool, f.rule.id)):
        path = finding.location.path
        if path not in cache:  # read and hash each file once (setdefault would evaluate every time)
            cache[path] = _read_source(root / path)
        lines, hashes = cache[path] or ([], [])
        index = finding.location.start_line - 1
        context = finding.context
        if context is None:
            context = code_context(lines[index]) if 0 <= index < len(lines) else ""
        key = (finding.tool, finding.rule.id, finding.location.path, context)
        seen[key] = seen.get(key, 0) + 1
        out.append(dataclasses.replace(
            finding,
            fingerprint=secscan_fingerprint(*key, seen[key]),
            line_hash=hashes[index] if 0 <= index < len(hashes) else None,
        ))
    return out


def _read_source(path: Path) -> tuple[list[str], list[str]] | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return re.split(r"\r\n|\r|\n", text), line_hashes(text)
