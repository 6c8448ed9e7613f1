"""Retry policy: which failures are transient, how long to wait before the next attempt, and
how fast a client sends once the service has throttled it.

Pure (no I/O, no sleeping); shared by both flavours and every transport. The rules, as
docs/reliability.md tells them:

* an answer with a status in :data:`RETRYABLE_STATUSES`, or whose ``Code`` is a throttling
  code (``Throttling``, ``Throttling.<anything>``, ``ServiceUnavailable``) at any status, is
  retried, at most ``Config.max_retries`` times;
* the wait is the server's: ``x-acs-retry-after`` (milliseconds, the POP gateway's) or
  ``Retry-After`` (seconds), at most 60 s; else full jitter, longer after a throttling answer;
* after a first throttling answer, a client paces its own calls with an
  :class:`AdaptiveRate` (a token bucket whose rate follows CUBIC, as boto3's adaptive mode).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

# Statuses that mean "not processed, try again later" or a passing fault of a gateway.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Error codes the service sends for "slow down", whatever the HTTP status (the POP gateway
# answers flow control with HTTP 400 ``Throttling.User``); ``Throttling.*`` is matched too.
THROTTLING_CODES = frozenset({"Throttling", "ServiceUnavailable"})
RETRYABLE_CODES = THROTTLING_CODES
MAX_BACKOFF_S = 8.0
MAX_RETRY_AFTER_S = 60.0
# Full-jitter bases: a transient fault is retried soon, a throttling answer later.
BACKOFF_BASE_S = 0.1
THROTTLED_BACKOFF_BASE_S = 0.5


def is_throttling(code: str | None, status: int = 0) -> bool:
    """True when an answer says "slow down": a throttling ``code`` at any status, or HTTP 429.

    >>> is_throttling("Throttling.User"), is_throttling("ThrottlingX"), is_throttling(None, 429)
    (True, False, True)
    """
    if status == 429:
        return True
    if not code:
        return False
    return code in THROTTLING_CODES or code.startswith("Throttling.")


def is_retryable(status: int, code: str | None = None) -> bool:
    """True when an answer with ``status`` (and error ``code``) is worth another attempt."""
    return status in RETRYABLE_STATUSES or is_throttling(code)


def parse_retry_after(value: str | None) -> float | None:
    """A Retry-After header in seconds, clamped to [0, 60]; None when absent or unreadable.

    >>> parse_retry_after("1.5"), parse_retry_after("soon"), parse_retry_after("999")
    (1.5, None, 60.0)
    """
    if value is None:
        return None
    try:
        seconds = float(value)
    except (ValueError, TypeError):
        return None
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def retry_after_header(header: Callable[[str], str | None]) -> str | None:
    """The wait an answer asks for, in seconds as ``Retry-After`` gives it: the POP gateway's
    ``x-acs-retry-after`` (milliseconds) when readable, else ``Retry-After``.

    >>> retry_after_header({"x-acs-retry-after": "1500"}.get)
    '1.5'
    >>> retry_after_header({"retry-after": "2"}.get)
    '2'
    """
    acs = header("x-acs-retry-after")
    if acs is not None:
        milliseconds = parse_retry_after(acs)
        if milliseconds is not None:
            return repr(milliseconds / 1000)
    return header("retry-after")


def backoff_delay(attempt: int, retry_after: float | None, throttled: bool = False) -> float:
    """Seconds to wait before retry number ``attempt + 1``: the server's wait, else full
    jitter (on a longer base after a throttling answer)."""
    if retry_after is not None:
        return retry_after
    base = THROTTLED_BACKOFF_BASE_S if throttled else BACKOFF_BASE_S
    return random.uniform(0.0, min(MAX_BACKOFF_S, base * 2**attempt))


class AdaptiveRate:
    """How fast one client may send, learnt from throttling answers; thread-safe, pure.

    Off (no wait, one counter per call) until the first throttling answer. Then a token bucket
    paces the calls: its rate drops to ``BETA`` times the rate that was throttled and grows
    back along a CUBIC curve, at most twice the rate the client really sends. A throttling
    answer to a call sent before the last drop says nothing new and is ignored, so that a burst
    of answers to one window cuts the rate once, not once per answer.

    Example::

        rate = AdaptiveRate()
        wait = rate.reserve()           # sleep this long, then send
        rate.answered(sent_at, throttled=reply_was_throttling)
    """

    BETA = 0.7  # multiplicative decrease
    SCALE = 0.4  # CUBIC's C, in calls/s per s**3
    MIN_RATE = 0.5  # calls/s
    WINDOW = 0.5  # s over which the send rate is measured

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.enabled = False
        self.rate = 0.0  # calls/s while enabled
        self._next_slot = 0.0  # when the next call may be sent
        self._max_rate = 0.0  # CUBIC's W_max: the rate at the last decrease
        self._decreased_at = -1e18
        self._window_start = clock()
        self._window_count = 0
        self._measured = 0.0  # smoothed calls/s actually sent

    def _measure(self, now: float) -> None:
        elapsed = now - self._window_start
        if elapsed >= self.WINDOW:
            current = self._window_count / elapsed
            self._measured = current if not self._measured else 0.8 * self._measured + 0.2 * current
            self._window_start, self._window_count = now, 0

    def reserve(self) -> float:
        """Count one call to be sent; return the seconds to wait before sending it."""
        with self._lock:
            now = self._clock()
            self._window_count += 1
            self._measure(now)
            if not self.enabled:
                return 0.0
            slot = max(now, self._next_slot)
            self._next_slot = slot + 1.0 / self.rate
            return slot - now

    def answered(self, sent_at: float, throttled: bool) -> None:
        """Learn from the answer to a call sent at ``sent_at`` (a reading of the clock)."""
        with self._lock:
            now = self._clock()
            if throttled:
                if sent_at < self._decreased_at:
                    return
                if not self.enabled:
                    elapsed = max(now - self._window_start, 1e-3)
                    seen = self._measured or self._window_count / elapsed
                    self.enabled, self.rate, self._next_slot = True, max(seen, 1.0), now
                self._max_rate = self.rate
                self.rate = max(self.rate * self.BETA, self.MIN_RATE)
                self._decreased_at = now
            elif self.enabled:
                since = now - self._decreased_at
                k = (self._max_rate * (1 - self.BETA) / self.SCALE) ** (1 / 3)
                grown = self.SCALE * (since - k) ** 3 + self._max_rate
                ceiling = 2 * self._measured if self._measured else grown
                self.rate = max(min(grown, ceiling), self.MIN_RATE)
