"""Retry policy: which failures are transient and how long to wait before the next attempt.

Pure; shared by both flavours and every transport.
"""

from __future__ import annotations

import random

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
