"""Retry policy: which failures are transient and how long to wait before the next attempt.

Pure; shared by both flavours and every transport.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._transports.timing import Deadline

# Statuses that mean "not processed, try again later" or a passing fault of a gateway.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Error codes the service sends for "slow down", whatever the HTTP status.
RETRYABLE_CODES = frozenset({"Throttling"})
MAX_BACKOFF_S = 8.0
MAX_RETRY_AFTER_S = 60.0


def is_retryable(status: int, code: str | None = None) -> bool:
    """True when an answer with ``status`` (and error ``code``) is worth another attempt."""
    return status in RETRYABLE_STATUSES or code in RETRYABLE_CODES


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


def backoff_delay(attempt: int, retry_after: float | None) -> float:
    """Seconds to wait before retry number ``attempt + 1``: Retry-After, else full jitter."""
    if retry_after is not None:
        return retry_after
    return random.uniform(0.0, min(MAX_BACKOFF_S, 0.1 * 2**attempt))


class Schedule:
    """When to try again: the one retry schedule of actions and transfers alike.

    At most ``max_retries`` retries, each after :func:`backoff_delay` (Retry-After honoured),
    and none whose wait would end at or past ``deadline``.

    Example::

        schedule = Schedule(max_retries=3, deadline=None)
        while True:
            reply = attempt()
            delay = schedule.next_delay(not reply.ok and reply.retryable, reply.retry_after)
            if delay is None:
                break
            sleep(delay)
    """

    def __init__(self, max_retries: int, deadline: Deadline | None = None) -> None:
        self._max_retries = max_retries
        self._deadline = deadline
        self.attempts = 0  # attempts ended so far

    def next_delay(self, retryable: bool, retry_after: float | None) -> float | None:
        """An attempt ended: seconds to wait before the next one, or None when there is to be
        none (it did not fail transiently, the retries are spent, or the wait would reach the
        deadline)."""
        self.attempts += 1
        retries = self.attempts - 1
        if not retryable or retries >= self._max_retries:
            return None
        delay = backoff_delay(retries, retry_after)
        if self._deadline is not None and self._deadline.remaining() <= delay:
            return None
        return delay
