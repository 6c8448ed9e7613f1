"""For tests of the channel's time rules: a clock that moves only when a test (or a wait) moves
it, so that durations and deadlines are exact, and a reply that asks for time."""

from __future__ import annotations

import httpx
import pytest

from agentbay._async import _channel, _io
from agentbay._transports import timing


class Clock:
    """Stands in for the ``time`` module of the channel and of its deadlines: ``monotonic()``
    reads ``now``; a wait (``sleep``) is recorded in ``slept`` and moves ``now`` at once."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Give the channel a clock of its own, stopped at 1000 s (``clock.now += 0.25`` moves it),
    and make its waits between retries move that clock instead of waiting.

    Example: ``clock = frozen_clock(monkeypatch)``.
    """
    clock = Clock()
    monkeypatch.setattr(_channel, "time", clock)
    monkeypatch.setattr(timing, "time", clock)  # deadlines read the same clock
    monkeypatch.setattr(_io, "sleep", clock.sleep)
    return clock


def throttled(retry_after: float) -> httpx.Response:
    """A 503 Throttling, to be retried after ``retry_after`` seconds."""
    body = {"Code": "Throttling", "Message": "slow down"}
    return httpx.Response(503, json=body, headers={"Retry-After": str(retry_after)})
