"""Tests for the GitHub primaryLocationLineHash port in secscan.fingerprints."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secscan.fingerprints import file_line_hashes, line_hash_for, line_hashes

DATA = Path(__file__).parent / "data" / "codeql_fingerprints"

# Test vectors from github/codeql-action src/fingerprints.test.ts.
_GREETINGS = [
    "e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1",
    "e20e36e16fcb0cc8:1", "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1",
    "c129715d7a2bc9a3:1",
]
CODEQL_VECTORS = [
    ("", ["c129715d7a2bc9a3:1"]),
    (" a\nb\n  \t\tc\n d", [
        "271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1",
    ]),
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End", [
        "8b7cf3e952e7aeb2:1", "b1ae1287ec4718d9:1", "bff680108adb0fcc:1",
        "c6805c5e1288b612:1", "b86d3392aea1be30:1", "e6ceba753e1a442:1",
    ]),
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n", _GREETINGS),
    (" hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r", _GREETINGS),
    (" hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n", _GREETINGS),
    (" hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n", _GREETINGS),
    ("Lorem ipsum dolor sit amet.\n" * 10, [
        *[f"a7f2ff13bc495cf2:{n}" for n in range(1, 7)],
        "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1", "55ec222b86bcae53:1",
        "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1",
    ]),
    ("x = 2\nx = 1\nprint(x)\nx = 3\nprint(x)\nx = 4\nprint(x)\n", [
        "e54938cc54b302f1:1", "bb609acbe9138d60:1", "1131fd5871777f34:1",
        "5c482a0f8b35ea28:1", "54517377da7028d2:1", "2c644846cb18d53e:1",
        "f1b89f20de0d133:1", "c129715d7a2bc9a3:1",
    ]),
]


def _reference(text: str) -> list[str]:
    """Slow, character-at-a-time oracle written straight from the spec."""
    units = list(text.encode("utf-16-le", "surrogatepass"))
    codes = [units[i] | units[i + 1] << 8 for i in range(0, len(units), 2)]
    stream: list[int] = []
    starts: list[int] = []
    prev_cr, at_line_start = False, True
    for code in codes + [0xFFFF]:
        if code in (0x20, 0x09) or (prev_cr and code == 0x0A):
            prev_cr = False
            continue
        prev_cr = code == 0x0D
        code = 0x0A if prev_cr else code
        if at_line_start:
            starts.append(len(stream))
        at_line_start = code == 0x0A
        stream.append(code)
    stream += [0] * 100
    seen: dict[int, int] = {}
    out = []
    for start in starts:
        value = 0
        for code in stream[start:start + 100]:
            value = (value * 37 + code) % (1 << 64)
        seen[value] = seen.get(value, 0) + 1
        out.append(f"{value:x}:{seen[value]}")
    return out


@pytest.mark.parametrize(("text", "expected"), CODEQL_VECTORS)
def test_codeql_unit_vectors(text: str, expected: list[str]) -> None:
    assert line_hashes(text) == expected
    # codeql-action's own check: one hash per /\r\n|\r|\n/-separated line.
    assert len(line_hashes(text)) == len(re.split(r"\r\n|\r|\n", text))


def test_codeql_sarif_vectors() -> None:
    first = (DATA / "testFile1.js").read_text(encoding="utf-8")
    second = (DATA / "testFile2.js").read_text(encoding="utf-8")
    assert line_hash_for(first, 1) == "5e4d5a9cf1294ad9:1"
    assert line_hash_for(second, 2) == "f7592a95a9381ac0:1"
    assert file_line_hashes(DATA / "testFile2.js")[1] == "f7592a95a9381ac0:1"


def test_line_hash_for_range() -> None:
    text = "a\nb\nc"
    assert [line_hash_for(text, n) for n in (1, 2, 3)] == line_hashes(text)
    assert line_hash_for(text, 0) is None
    assert line_hash_for(text, 4) is None
    assert line_hash_for(text, -1) is None


def test_hex_is_not_zero_padded() -> None:
    # Matches Long.toString(16): "54703d4cd895b18" has only 15 digits.
    assert line_hashes(" a\nb\n  \t\tc\n d")[1].split(":")[0] == "54703d4cd895b18"


def test_space_between_cr_and_lf_gives_extra_line() -> None:
    # An LF is swallowed only when it *directly* follows a CR.
    assert len(line_hashes("a\r\nb")) == 2
    assert len(line_hashes("a\r \nb")) == 3
    assert line_hashes("a\r \nb") == _reference("a\r \nb")


def test_inserting_lines_above_keeps_hash() -> None:
    body = "def f(x):\n    return x + 1\n\nprint(f(2))\n"
    before = line_hashes(body)
    after = line_hashes("import os\nimport sys\n# comment\n" + body)
    assert after[3:] == before


def test_whitespace_inside_line_is_ignored() -> None:
    text = "alpha = 1\nbeta = compute(alpha, 2)\ngamma = 3\n"
    respaced = "alpha = 1\n\tbeta=compute( alpha ,  2 )   \ngamma = 3\n"
    assert line_hashes(respaced) == line_hashes(text)


def test_changing_line_changes_hash() -> None:
    text = "alpha = 1\nbeta = compute(alpha, 2)\ngamma = 3\n"
    changed = text.replace("compute(alpha, 2)", "compute(alpha, 3)")
    assert line_hashes(changed)[1] != line_hashes(text)[1]
    # Earlier lines see the change too because their window covers it.
    assert line_hashes(changed)[0] != line_hashes(text)[0]


def test_duplicate_lines_are_numbered() -> None:
    filler = "".join(f"unique_line_{n} = {n}\n" for n in range(20))
    text = "x = 1\n" * 3 + filler
    # Short identical lines differ: their 100-unit windows reach different text.
    assert [h.split(":")[1] for h in line_hashes(text)[:3]] == ["1", "1", "1"]
    repeated = ("same line here, long enough to fill the window " * 3 + "\n") * 3
    hashes = line_hashes(repeated + filler)
    assert [h.split(":")[1] for h in hashes[:3]] == ["1", "2", "3"]
    assert len({h.split(":")[0] for h in hashes[:3]}) == 1


def test_astral_characters_count_as_two_units() -> None:
    text = "s = '\U0001f600'\nt = 1\n" + "u = 2\n" * 30
    assert line_hashes(text) == _reference(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \t\r\n;é\uffff\U0001f600")), max_size=400))
def test_matches_reference_oracle(text: str) -> None:
    assert line_hashes(text) == _reference(text)


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=300))
def test_matches_reference_on_arbitrary_unicode(text: str) -> None:
    assert line_hashes(text) == _reference(text)


def test_speed_5000_lines() -> None:
    text = "".join(f"    value_{n} = compute(value_{n - 1}, {n})  # step\n" for n in range(5000))
    started = time.perf_counter()
    hashes = line_hashes(text)
    elapsed = time.perf_counter() - started
    print(f"\nline_hashes: 5000 lines / {len(text)} chars in {elapsed * 1000:.1f} ms")
    assert len(hashes) == 5001
    assert hashes == _reference(text)
