"""CVSS base scores from advisory vectors (v2, v3.x, v4.0), through the `cvss` library, for security-severity."""

from __future__ import annotations

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError


def base_score(vector: str) -> float | None:
    """'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' -> 7.5; None for anything that is not a valid vector."""
    text = vector.strip()
    try:
        if text.startswith("CVSS:4."):
            return float(CVSS4(text).base_score)
        if text.startswith("CVSS:3."):
            return float(CVSS3(text).base_score)
        if text.startswith("AV:"):
            return float(CVSS2(text).base_score)
    except (CVSSError, ValueError, KeyError, IndexError):
        return None
    return None
