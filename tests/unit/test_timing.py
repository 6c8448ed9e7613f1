"""The time rules of one exchange (agentbay._transports.timing) on a clock the test moves: when a
deadline has passed, and which budget its error names."""

from __future__ import annotations

import types

import pytest

from agentbay._transports import timing
from agentbay._transports.errors import TransportError
from agentbay._transports.timing import Deadline


class Clock:
    """A ``time.monotonic`` that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(timing, "time", types.SimpleNamespace(monotonic=fake.monotonic))
    return fake


def failure_of(deadline: Deadline) -> TransportError | None:
    try:
        deadline.check()
    except TransportError as exc:
        return exc
    return None


def test_a_deadline_has_passed_at_its_very_instant(clock: Clock) -> None:
    deadline = Deadline(total=2.0)
    clock.now += 1.75
    assert failure_of(deadline) is None
    clock.now += 0.25
    error = failure_of(deadline)
    assert error is not None
    assert (error.code, error.message) == ("SDK.Timeout", "Request timed out after 2000 ms")


def test_a_stall_is_counted_from_the_last_progress(clock: Clock) -> None:
    deadline = Deadline(total=None, stall=1.5)
    clock.now += 1.0
    deadline.progressed()
    clock.now += 1.25
    assert failure_of(deadline) is None
    clock.now += 0.25
    error = failure_of(deadline)
    assert error is not None
    assert (error.code, error.message) == (
        "SDK.Timeout",
        "Transfer stalled: nothing moved for 1500 ms",
    )


def test_a_moving_transfer_still_ends_at_its_total(clock: Clock) -> None:
    deadline = Deadline(total=3.0, stall=1.0)
    for _ in range(3):
        clock.now += 0.75
        deadline.progressed()
    clock.now += 0.5
    assert failure_of(deadline) is None
    clock.now += 0.25
    error = failure_of(deadline)
    assert error is not None
    assert (error.code, error.message) == ("SDK.Timeout", "Transfer timed out after 3000 ms")


def test_a_stall_before_the_total_is_named_a_stall(clock: Clock) -> None:
    deadline = Deadline(total=60.0, stall=1.0)
    clock.now += 1.0
    error = failure_of(deadline)
    assert error is not None
    assert error.message == "Transfer stalled: nothing moved for 1000 ms"


def test_a_deadline_without_any_budget_is_refused() -> None:
    with pytest.raises(ValueError) as caught:
        Deadline(total=None, stall=None)
    assert str(caught.value) == "a deadline needs a total or a stall budget"
