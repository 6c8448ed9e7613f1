"""The time rules of a call with a deadline (``clear(timeout=...)`` gives its calls one): no
attempt starts without time left, and no retry is waited for that would end at or past it."""

from __future__ import annotations

import pytest
import respx

from agentbay import Config
from agentbay._transports.timing import Deadline
from tests._async.clocked import frozen_clock, throttled
from tests._async.mocking import mocked
from tests.helpers import CONTEXT_DATA, ENDPOINT, ok


@pytest.mark.parametrize("time_left", [0.0, -1.0])
async def test_a_call_with_no_time_left_is_not_sent(
    time_left: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen_clock(monkeypatch)
    with respx.mock(base_url=ENDPOINT, assert_all_called=False) as api:
        route = api.post("/").mock(return_value=ok(CONTEXT_DATA))
        async with mocked(Config(endpoint=ENDPOINT, timeout_ms=5000)) as client:
            reply = await client._channel.call(
                "GetContext", {"Name": "a"}, Deadline(total=time_left)
            )
    assert not route.called
    assert (reply.ok, reply.code, reply.retryable) == (False, "SDK.Timeout", True)
    assert reply.error == reply.message == "GetContext ran out of time"


@pytest.mark.parametrize("retry_after", [1.0, 2.0])
async def test_a_retry_that_would_end_at_or_past_the_deadline_is_not_waited_for(
    retry_after: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_clock(monkeypatch)
    with respx.mock(base_url=ENDPOINT, assert_all_called=False) as api:
        route = api.post("/").mock(side_effect=[throttled(retry_after), ok(CONTEXT_DATA)])
        async with mocked(Config(endpoint=ENDPOINT, timeout_ms=5000)) as client:
            reply = await client._channel.call("GetContext", {"Name": "a"}, Deadline(total=1.0))
    assert route.call_count == 1 and clock.slept == []
    assert (reply.ok, reply.code, reply.http_status) == (False, "Throttling", 503)
    assert reply.error == "[Throttling] slow down"


async def test_a_retry_that_ends_before_the_deadline_is_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = frozen_clock(monkeypatch)
    with respx.mock(base_url=ENDPOINT, assert_all_called=False) as api:
        route = api.post("/").mock(side_effect=[throttled(0.75), ok(CONTEXT_DATA)])
        async with mocked(Config(endpoint=ENDPOINT, timeout_ms=5000)) as client:
            reply = await client._channel.call("GetContext", {"Name": "a"}, Deadline(total=1.0))
    assert reply.ok
    assert route.call_count == 2 and clock.slept == [0.75]
