"""The time rules of one exchange, pure and shared by every transport.

* A call of the service: ``Deadline(total=timeout)`` bounds the attempt as a whole, from
  connecting to the last byte of the reply, a request body the server does not read included;
  a caller's ``Deadline(total=seconds)`` (``clear(timeout=...)``) bounds all attempts and waits.
* A transfer: ``Deadline(total=None or seconds, stall=timeout)``: every step (connecting, each
  chunk sent or received) must progress within ``stall``; the optional ``total`` bounds the
  whole transfer.

The async flavour enforces a deadline by cancelling the exchange when it expires
(``_async/_io.enforce``); the sync flavour gives each socket operation at most
:meth:`Deadline.op_timeout` and checks :meth:`Deadline.check` between chunks.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from .errors import Kind, TransportError


class Deadline:
    """When an exchange must end, given its total budget and its stall budget (seconds).

    Example::

        deadline = Deadline(total=None, stall=5.0)
        deadline.progressed()  # a chunk moved: five more seconds
    """

    def __init__(self, total: float | None, stall: float | None = None) -> None:
        if total is None and stall is None:
            raise ValueError("a deadline needs a total or a stall budget")
        now = time.monotonic()
        self._total = total
        self._stall = stall
        self._end = math.inf if total is None else now + total
        self._last_progress = now
        self.on_change: Callable[[], None] | None = None

    def expires_at(self) -> float:
        """The ``time.monotonic()`` instant at which the exchange fails if nothing moves."""
        if self._stall is None:
            return self._end
        return min(self._last_progress + self._stall, self._end)

    def remaining(self) -> float:
        """Seconds until :meth:`expires_at` (``inf`` without a total nor a stall; may be <= 0)."""
        return self.expires_at() - time.monotonic()

    def op_timeout(self) -> float:
        """Seconds the next network operation may take (never zero: a socket would block)."""
        return max(self.remaining(), 0.001)

    def progressed(self) -> None:
        """Bytes moved: the stall budget starts again."""
        if self._stall is not None:
            self._last_progress = time.monotonic()
            if self.on_change is not None:
                self.on_change()

    def check(self) -> None:
        """Raise the deadline's error if it has passed."""
        if time.monotonic() >= self.expires_at():
            raise self.error()

    def error(self) -> TransportError:
        """The error of this deadline, saying which budget ran out."""
        if self._total is not None and (self._stall is None or time.monotonic() >= self._end):
            if self._stall is None:
                return TransportError(
                    Kind.TIMEOUT, f"Request timed out after {_ms(self._total)} ms"
                )
            return TransportError(Kind.TIMEOUT, f"Transfer timed out after {_ms(self._total)} ms")
        return TransportError(
            Kind.TIMEOUT, f"Transfer stalled: nothing moved for {_ms(self._stall)} ms"
        )


def _ms(seconds: float | None) -> int:
    return round((seconds or 0.0) * 1000)
