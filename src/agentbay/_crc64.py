"""CRC-64/XZ, the check OSS answers with in ``x-oss-hash-crc64ecma``. Pure; both flavours.

OSS answers PUT, GET (ranged too) and HEAD with the CRC-64/XZ (ECMA-182 polynomial, reflected,
init and xorout all ones) of the whole object as an unsigned decimal. A transfer feeds its bytes
to a :class:`Crc64` as they stream, then :func:`verdict` compares the value with the header.

The state is the CRC value itself: a Range-resumed download saves ``crc.value`` with the bytes
kept and continues with ``Crc64(saved)``, so the check still covers the whole file; nothing
needs combining. The arithmetic is ``fastcrc``'s (picked by measurement: docs/benchmarks.md),
imported on the first :class:`Crc64`, not with ``agentbay``. It releases the GIL, so a CRC
computed in the thread that reads a file does not hold the event loop up.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable

HEADER = "x-oss-hash-crc64ecma"
CHECK_VALUE = 0x995DC9BBDF1939FA  # CRC-64/XZ of b"123456789"
_MAX = (1 << 64) - 1
_DECIMAL = re.compile(r"[0-9]{1,20}")  # ASCII only: int() takes "1_0", " 1", other digits
_SHOWN = 40  # characters of a hostile header value kept in a message

Buffer = bytes | bytearray | memoryview
_xz: Callable[..., int] | None = None


def _load() -> Callable[..., int]:
    global _xz
    if _xz is None:
        from fastcrc import crc64

        _xz = crc64.xz
    return _xz


class Crc64:
    """An incremental CRC-64/XZ: feed bytes with :meth:`update`, read :attr:`value`.

    ``Crc64(saved)`` continues a CRC whose value so far was ``saved`` (the empty input's is 0).

    >>> crc = Crc64()
    >>> crc.update(b"12345")
    >>> resumed = Crc64(crc.value)
    >>> resumed.update(b"6789")
    >>> hex(resumed.value)
    '0x995dc9bbdf1939fa'
    """

    __slots__ = ("_value", "_xz")

    def __init__(self, value: int = 0) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX:
            raise ValueError(f"a CRC-64 value is an int in [0, 2**64), not {value!r}")
        self._value = value
        self._xz = _load()

    def update(self, data: Buffer) -> None:
        """Add ``data`` (not to be changed by another thread meanwhile: the GIL is released)."""
        if len(data):
            self._value = self._xz(data, self._value)

    @property
    def value(self) -> int:
        """The CRC-64/XZ of every byte given so far, as an unsigned int."""
        return self._value

    def __repr__(self) -> str:
        return f"Crc64({self._value})"


def crc64(data: Buffer) -> int:
    """The CRC-64/XZ of ``data`` in one call.

    >>> crc64(b"123456789") == CHECK_VALUE
    True
    """
    crc = Crc64()
    crc.update(data)
    return crc.value


def parse_header(raw: str | None) -> int | None:
    """The value of an ``x-oss-hash-crc64ecma`` header, None when it is absent.

    Only an unsigned decimal of ASCII digits below 2**64 is a value (the spaces and tabs HTTP
    allows around a field value aside); anything else present (``""``, ``"-1"``, ``"1e5"``,
    ``"0x1f"``, ``"1, 2"`` from a repeated header, 2**64, other digits than ASCII) raises
    ``ValueError``: a header that is there but unreadable is not taken for "not checked", or a
    middlebox could switch the check off by mangling it.

    >>> parse_header("11051210869376104954"), parse_header(None)
    (11051210869376104954, None)
    """
    if raw is None:
        return None
    text = raw.strip(" \t")
    if _DECIMAL.fullmatch(text) is None or int(text) > _MAX:
        raise ValueError(f"unreadable {HEADER} header: {show(raw)}")
    return int(text)


def show(raw: str | None) -> str:
    """A header value as a message may quote it: ASCII, escaped, at most 40 characters.

    >>> print(show("12\\n34"), show(None))
    '12\\n34' none
    """
    if raw is None:
        return "none"
    cut = raw[:_SHOWN]
    return ascii(cut) + ("..." if len(raw) > _SHOWN else "")


class Verdict(enum.Enum):
    """What a transfer's CRC says against the answer's header."""

    VERIFIED = "verified"  # the header's value equals the computed one
    UNVERIFIED = "unverified"  # no header: nothing to compare with
    MISMATCH = "mismatch"  # another value, or a header that is there but unreadable


def verdict(computed: int, raw: str | None) -> Verdict:
    """Compare a computed CRC with the answer's ``x-oss-hash-crc64ecma`` value (or None).

    >>> [verdict(CHECK_VALUE, h).value for h in (str(CHECK_VALUE), None, "-1", "0")]
    ['verified', 'unverified', 'mismatch', 'mismatch']
    """
    try:
        expected = parse_header(raw)
    except ValueError:
        return Verdict.MISMATCH
    if expected is None:
        return Verdict.UNVERIFIED
    return Verdict.VERIFIED if expected == computed else Verdict.MISMATCH
