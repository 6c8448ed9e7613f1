"""The retry policy's numbers, as a user waits them: full jitter that doubles per attempt up to
8 s, and Retry-After read as seconds within [0, 60]."""

from __future__ import annotations

import random

import pytest

from agentbay._retry import backoff_delay, parse_retry_after


@pytest.mark.parametrize("attempt", range(10))
def test_the_backoff_spans_zero_to_a_ceiling_that_doubles_up_to_8_s(attempt: int) -> None:
    ceiling = min(8.0, 0.1 * 2**attempt)
    random.seed(attempt)
    delays = [backoff_delay(attempt, None) for _ in range(400)]
    assert all(0.0 <= delay <= ceiling for delay in delays)
    assert min(delays) < 0.05 * ceiling and max(delays) > 0.95 * ceiling


def test_retry_after_wins_over_the_backoff() -> None:
    assert backoff_delay(5, 0.0) == 0.0
    assert backoff_delay(0, 30.0) == 30.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("0.5", 0.5), ("0", 0.0), ("-3", 0.0), ("61", 60.0), ("nan", None), ("", None), (None, None)],
)
def test_retry_after_is_read_as_seconds_within_0_and_60(
    header: str | None, seconds: float | None
) -> None:
    assert parse_retry_after(header) == seconds
