"""security-severity from advisory vectors: CVSS v2, v3.x and v4.0 base scores (values from FIRST's calculators)."""

from __future__ import annotations

import pytest

from secscan.cvss import base_score


@pytest.mark.parametrize(("vector", "score"), [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
    ("CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", 5.4),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3),
    ("AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5),
])
def test_known_vectors(vector: str, score: float) -> None:
    assert base_score(vector) == score


@pytest.mark.parametrize("vector", ["", "garbage", "CVSS:3.1/AV:X/AC:L", "CVSS:9.9/AV:N", "CVSS:3.1/AV:N"])
def test_anything_else_has_no_score(vector: str) -> None:
    assert base_score(vector) is None
