"""The retry policy's numbers, as a user waits them: full jitter that doubles per attempt up to
8 s, and Retry-After read as seconds within [0, 60]."""

from __future__ import annotations

import random

import pytest

from agentbay import _retry
from agentbay._reply import decode_reply
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


# ------------------------------------------------------------ was test_protocol.py


def test_a_429_is_retried_whatever_its_code_and_throttling_whatever_its_status() -> None:
    assert decode_reply(429, b'{"Code": "QuotaExceeded", "Message": "m"}').retryable
    assert decode_reply(400, b'{"Code": "Throttling", "Message": "m"}').retryable
    assert not decode_reply(400, b'{"Code": "Throttled", "Message": "m"}').retryable


def test_throttling_is_retryable_and_honours_retry_after() -> None:
    reply = decode_reply(503, b'{"Code": "Throttling", "Message": "m"}', "2")
    assert reply.retryable and reply.retry_after == 2.0
    assert _retry.backoff_delay(0, reply.retry_after) == 2.0
    refused = decode_reply(400, b'{"Code": "InvalidParameter", "Message": "m"}')
    assert not refused.retryable


def test_backoff_is_jittered_and_capped() -> None:
    delays = [_retry.backoff_delay(attempt, None) for attempt in range(12) for _ in range(20)]
    assert all(0 <= d <= _retry.MAX_BACKOFF_S for d in delays)
    assert len(set(delays)) > 100


def test_a_gateway_page_is_retryable_and_keeps_retry_after() -> None:
    reply = decode_reply(503, b"<html>Service Unavailable</html>", "1.5")
    assert not reply.ok and reply.retryable and reply.retry_after == 1.5
    assert reply.error.startswith("HTTP 503: the response is not JSON")
    assert not reply.from_service and reply.code == "HTTP503"


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _paced_answers(rate: _retry.AdaptiveRate, clock: _Clock, seconds: float, **answer: bool) -> int:
    """Send as the pacer allows for ``seconds``, each call answered at once with ``answer``;
    how many were sent."""
    sent, end = 0, clock.now + seconds
    while clock.now < end and sent < 100_000:
        turn = rate.take()
        clock.now += rate.delay(turn)
        rate.answered(clock.now, **answer)
        sent += 1
    return sent


def _overrun(rate: _retry.AdaptiveRate, clock: _Clock) -> None:
    """A second of 100 admitted calls, then a quota's burst of throttling answers."""
    for _ in range(100):
        clock.now += 0.01
        rate.answered(clock.now, admitted=True, throttled=False)
    for _ in range(60):
        clock.now += 0.001
        rate.answered(clock.now, admitted=False, throttled=True)


def test_pacing_starts_only_when_a_quota_is_overrun() -> None:
    clock = _Clock()
    rate = _retry.AdaptiveRate(clock)
    for _ in range(4):  # a few throttling answers among many: noise, not a quota
        rate.answered(clock.now, admitted=False, throttled=True)
    assert rate.take() is None and not rate.enabled
    _overrun(rate, clock)
    assert rate.enabled and rate.delay(rate.take()) > 0  # the hold: no call at once


@pytest.mark.parametrize("admitted", [True, False])
def test_refusals_that_are_not_throttling_grow_the_rate_back_as_successes_do(
    admitted: bool,
) -> None:
    clock = _Clock()
    rate = _retry.AdaptiveRate(clock)
    _overrun(rate, clock)
    _paced_answers(rate, clock, 2.0, admitted=admitted, throttled=False)
    low = rate.rate
    sent = _paced_answers(rate, clock, 10.0, admitted=admitted, throttled=False)
    if admitted:  # the service took them (NotFound, say): the client may send faster
        assert rate.rate > 2 * low and sent > 300
    else:  # no answer of the service's (a gateway page, no answer): nothing learnt
        assert rate.rate == low
