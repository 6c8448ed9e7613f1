"""A closed client's calls fail without sending, and their result says why in its code."""

from __future__ import annotations

import logging
import re
import time

import httpx
import pytest
import respx

from agentbay import Config
from agentbay._transports.timing import Deadline
from tests._async.clocked import frozen_clock, throttled
from tests._async.mocking import mocked
from tests.helpers import CONTEXT_DATA, ENDPOINT, ok, refused


async def test_a_call_on_a_closed_client_fails_with_the_code_of_it() -> None:
    with respx.mock(base_url=ENDPOINT, assert_all_called=False) as api:
        route = api.post("/").mock(return_value=ok(CONTEXT_DATA))
        client = mocked(Config(endpoint=ENDPOINT, timeout_ms=5000))
        await client.aclose()
        result = await client.context.get(name="a")
    assert not route.called
    assert (result.success, result.code) == (False, "SDK.ClientClosed")
    assert result.error_message == "GetContext not sent: the client is closed"


# ------------------------------------------------------------ was test_channel_logging.py


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="agentbay")
    return caplog


def lines(log: pytest.LogCaptureFixture) -> list[str]:
    """The messages of the SDK's logger."""
    return [record.getMessage() for record in log.records if record.name == "agentbay"]


async def test_a_call_that_succeeds_logs_its_duration_and_request_id(
    log: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_clock(monkeypatch)

    def answer(request: httpx.Request) -> httpx.Response:
        clock.now += 0.25
        return ok(CONTEXT_DATA, request_id="req-42")

    with respx.mock(base_url=ENDPOINT) as api:
        api.post("/").mock(side_effect=answer)
        async with mocked(Config(endpoint=ENDPOINT, timeout_ms=5000)) as client:
            assert (await client.context.get(name="a")).success
    assert lines(log) == ["GetContext ok in 250.0 ms, RequestId=req-42"]


async def test_a_refused_call_logs_the_refusal(
    log: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_clock(monkeypatch)

    def answer(request: httpx.Request) -> httpx.Response:
        clock.now += 0.0125
        return refused("InvalidContext.NotFound", "no such context", request_id="req-7")

    with respx.mock(base_url=ENDPOINT) as api:
        api.post("/").mock(side_effect=answer)
        async with mocked(Config(endpoint=ENDPOINT, timeout_ms=5000)) as client:
            await client.context.get(name="a")
    assert lines(log) == [
        "GetContext failed in 12.5 ms, RequestId=req-7: [InvalidContext.NotFound] no such context"
    ]


async def test_each_retry_is_logged_with_its_reason_and_delay(
    log: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_clock(monkeypatch)
    replies = [throttled(0.01), throttled(0.01), ok(CONTEXT_DATA, request_id="req-3")]

    def answer(request: httpx.Request) -> httpx.Response:
        clock.now += 0.5
        return replies.pop(0)

    with respx.mock(base_url=ENDPOINT) as api:
        api.post("/").mock(side_effect=answer)
        async with mocked(Config(endpoint=ENDPOINT, timeout_ms=5000)) as client:
            assert (await client.context.get(name="a")).success
    assert lines(log) == [
        "GetContext failed ([Throttling] slow down); retry 1 in 0.01s",
        "GetContext failed ([Throttling] slow down); retry 2 in 0.01s",
        "GetContext ok in 1520.0 ms, RequestId=req-3",  # three attempts, two waits,
    ]


async def test_the_logged_duration_is_the_time_the_call_took(
    log: pytest.LogCaptureFixture,
) -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        time.sleep(0.05)
        raise httpx.ConnectError("refused")

    with respx.mock(base_url=ENDPOINT) as api:
        api.post("/").mock(side_effect=unreachable)
        async with mocked(Config(endpoint=ENDPOINT, timeout_ms=5000, max_retries=0)) as client:
            await client.context.get(name="a")
    [line] = lines(log)
    match = re.fullmatch(
        r"GetContext failed in (\d+\.\d) ms, RequestId=-: "
        r"Network error: cannot connect to agentbay\.test",
        line,
    )
    assert match, line
    assert 50 <= float(match[1]) < 5000


# ------------------------------------------------------------ was test_channel_time.py


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
