"""CRC-64/XZ (``agentbay._crc64``): the check value, chunked and resumed updates equal to one call,
an independent bitwise implementation agreeing, and the ``x-oss-hash-crc64ecma`` header parsed
strictly (a present but unreadable value is a mismatch, never "not checked")."""

from __future__ import annotations

import doctest
import itertools
import os
import random
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentbay import _crc64
from agentbay._crc64 import CHECK_VALUE, Crc64, Verdict, crc64, parse_header, show, verdict

_POLY_REFLECTED = 0xC96C5795D7870F42  # ECMA-182's 0x42F0E1EBA9EA3693, bits reversed


def reference(data: bytes) -> int:
    """CRC-64/XZ bit by bit, from its definition (reflected, init and xorout all ones)."""
    crc = (1 << 64) - 1
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (_POLY_REFLECTED if crc & 1 else 0)
    return crc ^ ((1 << 64) - 1)


def test_check_value() -> None:
    assert crc64(b"123456789") == CHECK_VALUE == 0x995DC9BBDF1939FA
    assert reference(b"123456789") == CHECK_VALUE
    assert crc64(b"") == Crc64().value == 0


def test_agrees_with_a_bitwise_implementation() -> None:
    rng = random.Random(21)
    for size in (1, 7, 8, 9, 63, 64, 65, 1000, 4099):
        data = rng.randbytes(size)
        assert crc64(data) == reference(data), size


@given(st.binary(max_size=2048), st.lists(st.integers(0, 2048), max_size=8))
def test_chunked_updates_equal_one_call(data: bytes, cuts: list[int]) -> None:
    bounds = sorted({0, len(data), *(c for c in cuts if c <= len(data))})
    crc = Crc64()
    for start, end in itertools.pairwise(bounds):
        crc.update(data[start:end])
    assert crc.value == crc64(data)


def test_a_resumed_crc_continues_from_the_saved_value() -> None:
    data = os.urandom(3 << 20)
    view = memoryview(data)
    first = Crc64()
    first.update(view[: 1 << 20])
    first.update(bytearray(view[1 << 20 : 1234567]))
    resumed = Crc64(first.value)  # what a Range-resumed download keeps: one int
    resumed.update(view[1234567:])
    assert resumed.value == crc64(data)
    assert resumed.value != Crc64(0).value
    assert repr(resumed) == f"Crc64({resumed.value})"


@pytest.mark.parametrize("bad", [-1, 1 << 64, True, "0", 1.0, None])
def test_a_saved_value_must_be_a_crc(bad: object) -> None:
    with pytest.raises(ValueError, match="CRC-64 value"):
        Crc64(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("0", 0),
        (str(CHECK_VALUE), CHECK_VALUE),
        (str((1 << 64) - 1), (1 << 64) - 1),
        ("007", 7),
        (" 42\t", 42),  # optional whitespace around a field value is not part of it (RFC 9110)
        (None, None),
    ],
)
def test_header_values(raw: str | None, value: int | None) -> None:
    assert parse_header(raw) == value


HOSTILE = [
    "",
    " ",
    "-1",
    "+1",
    "1e5",
    "0x1f",
    "1_000",
    "1.0",
    str(1 << 64),
    "9" * 21,
    "1 2",
    "1, 2",  # a repeated header, joined
    "12\n",
    "12\r\n",
    "\x0b12",
    "12\x00",
    "\u0663",  # ARABIC-INDIC DIGIT THREE: int() takes it
    "\uff11\uff12",  # FULLWIDTH DIGITS: int() takes them
    "\u00a012",  # NO-BREAK SPACE: str.strip() would take it
    "4" * 5000,
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_an_unreadable_header_is_a_mismatch_not_unchecked(raw: str) -> None:
    with pytest.raises(ValueError, match="unreadable x-oss-hash-crc64ecma header") as caught:
        parse_header(raw)
    assert str(caught.value).isascii()
    assert len(str(caught.value)) < 120
    for computed in (0, 42, CHECK_VALUE):
        assert verdict(computed, raw) is Verdict.MISMATCH


def test_verdicts() -> None:
    assert verdict(CHECK_VALUE, str(CHECK_VALUE)) is Verdict.VERIFIED
    assert verdict(0, "0") is Verdict.VERIFIED
    assert verdict(CHECK_VALUE, str(CHECK_VALUE + 1)) is Verdict.MISMATCH
    assert verdict(CHECK_VALUE, None) is Verdict.UNVERIFIED


def test_show_quotes_a_hostile_value_safely() -> None:
    assert show(None) == "none"
    assert show("123") == "'123'"
    assert show("\u0663\n") == "'\\u0663\\n'"
    long = show("9" * 500)
    assert long == "'" + "9" * 40 + "'..."


def test_the_doctests() -> None:
    failed, attempted = doctest.testmod(_crc64)
    assert attempted >= 5
    assert failed == 0


def test_import_agentbay_does_not_load_the_crc_library() -> None:
    code = (
        "import sys, agentbay, agentbay._crc64 as c; before = 'fastcrc' in sys.modules; "
        "c.Crc64(); print(before, 'fastcrc' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "True"]


def test_show_marks_a_cut_only_past_forty_characters() -> None:
    assert show("9" * 40) == "'" + "9" * 40 + "'"
    assert show("9" * 41) == "'" + "9" * 40 + "'..."


def test_the_largest_crc_can_be_continued_and_only_spaces_and_tabs_are_trimmed() -> None:
    assert Crc64((1 << 64) - 1).value == (1 << 64) - 1
    assert parse_header(" \t123\t ") == 123
    for mangled in ("X123", "123X", "\n123"):
        with pytest.raises(ValueError):
            parse_header(mangled)
