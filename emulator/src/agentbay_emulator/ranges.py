"""Single byte ranges of downloads (RFC 9110 section 14).

``select_range("bytes=10-19", 100)`` is ``ByteRange(10, 20)``; a header this module does not
serve (absent, malformed, several ranges, another unit) gives None, meaning "send the whole
body", as RFC 9110 allows; a range that starts past the end raises :class:`UnsatisfiableRange`.
"""

from __future__ import annotations

import datetime
import email.utils
import re

import attrs

_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$", re.IGNORECASE)


class UnsatisfiableRange(Exception):
    """The range does not overlap the body (answer 416)."""


@attrs.frozen
class ByteRange:
    """Bytes ``start`` up to, not including, ``stop`` of a body of ``total`` bytes."""

    start: int
    stop: int
    total: int

    @property
    def length(self) -> int:
        """How many bytes the range holds."""
        return self.stop - self.start

    @property
    def content_range(self) -> str:
        """The ``Content-Range`` of a 206 answer, e.g. ``bytes 10-19/100``."""
        return f"bytes {self.start}-{self.stop - 1}/{self.total}"


def select_range(header: str | None, total: int) -> ByteRange | None:
    """The range a ``Range`` header asks of a ``total``-byte body, or None for the whole body.

    >>> select_range("bytes=-30", 100)
    ByteRange(start=70, stop=100, total=100)
    """
    match = _SINGLE_RANGE.match((header or "").strip())
    if not match:
        return None
    first, last = match.groups()
    try:
        start = int(first) if first else None
        end = int(last) if last else None
    except ValueError:  # more digits than Python converts
        return None
    if start is None:
        if end is None:
            return None
        if end == 0 or total == 0:
            raise UnsatisfiableRange()
        return ByteRange(max(0, total - end), total, total)
    if end is not None and end < start:
        return None
    if start >= total:
        raise UnsatisfiableRange()
    stop = total if end is None else min(end + 1, total)
    return ByteRange(start, stop, total)


def if_range_holds(header: str | None, modified: float) -> bool:
    """Whether an ``If-Range`` header lets the ``Range`` apply to a body modified then.

    Only the exact ``Last-Modified`` date holds (the emulator sends no ``ETag`` on downloads,
    so an entity tag never does); no header holds too.
    """
    if header is None:
        return True
    try:
        date = email.utils.parsedate_to_datetime(header.strip())
    except (TypeError, ValueError):
        return False
    if date.tzinfo is None:
        date = date.replace(tzinfo=datetime.timezone.utc)
    return date.timestamp() == float(int(modified))
