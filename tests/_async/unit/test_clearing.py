"""clear() as a user waits it: 60 s and a poll every 2 s unless told otherwise, one more poll in
the last stretch, and which failures are a clearance timeout and which are errors. A fake clock
stands in for the waiting."""

from __future__ import annotations

import time

import httpx
import pytest
import respx

import agentbay._async.context as context_module
from agentbay import AgentBayError, AsyncAgentBay, ClearanceTimeoutError, Context
from agentbay._transports import timing
from tests.helpers import CONTEXT_DATA, ok, refused

CLEARING = {**CONTEXT_DATA, "State": "clearing"}


class Clock:
    """A monotonic clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = time.monotonic()
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(timing, "time", fake)  # clear()'s deadline reads this clock
    monkeypatch.setattr(context_module, "sleep", fake.sleep)
    return fake


async def test_clear_waits_60_s_polling_every_2_s(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay, clock: Clock
) -> None:
    api.post("/").mock(side_effect=[ok(request_id="req-start")] + [ok(CLEARING)] * 40)
    with pytest.raises(ClearanceTimeoutError) as caught:
        await mocked_bay.context.clear("ctx-1")
    assert str(caught.value) == "Context ctx-1 was still clearing after 60 s"
    assert caught.value.request_id == "req-start"
    assert clock.sleeps == [2.0] * 30


async def test_clear_polls_once_more_in_the_last_stretch(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay, clock: Clock
) -> None:
    api.post("/").mock(side_effect=[ok(request_id="req-start"), ok(CLEARING), ok(CONTEXT_DATA)])
    result = await mocked_bay.context.clear("ctx-1", timeout=3, poll_interval=2.5)
    assert (result.success, result.status, result.request_id) == (True, "available", "req-start")
    assert clock.sleeps == [2.5, 0.5]


async def test_a_refused_poll_is_an_error_with_its_request(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay, clock: Clock
) -> None:
    gone = refused("InvalidContext.NotFound", "gone", request_id="req-poll")
    api.post("/").mock(side_effect=[ok(request_id="req-start"), gone])
    with pytest.raises(AgentBayError) as caught:
        await mocked_bay.context.clear("ctx-1")
    assert str(caught.value) == (
        "Failed to read the clearing status of ctx-1: [InvalidContext.NotFound] gone"
    )
    assert caught.value.request_id == "req-poll"


async def test_a_start_that_times_out_early_is_an_error_not_a_clearance_timeout(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    api.post("/").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(AgentBayError) as caught:
        await mocked_bay.context.clear("ctx-1", timeout=1)
    assert type(caught.value) is AgentBayError
    assert caught.value.code == "SDK.Timeout"


async def test_a_refused_start_names_the_context(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    api.post("/").mock(return_value=refused("InvalidContext.NotFound", "gone"))
    with pytest.raises(AgentBayError) as caught:
        await mocked_bay.context.clear_async("ctx-9")
    assert (
        str(caught.value)
        == "Failed to start clearing context ctx-9: [InvalidContext.NotFound] gone"
    )


async def test_start_clear_warns_with_the_new_name(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    api.post("/").mock(return_value=ok())
    with pytest.warns(DeprecationWarning) as warned:
        await mocked_bay.context.start_clear("ctx-1")
    deprecations = [str(w.message) for w in warned if w.category is DeprecationWarning]
    assert deprecations == ["start_clear() is deprecated; use clear_async()"]


async def test_a_refused_delete_is_a_failed_result_not_an_error(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    api.post("/").mock(return_value=refused("InvalidContext.NotFound", "gone"))
    result = await mocked_bay.context.delete(Context("ctx-1", "a"))
    assert (result.success, result.error_message) == (False, "[InvalidContext.NotFound] gone")


async def test_an_entry_without_names_reads_as_empty_text(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    api.post("/").mock(return_value=ok([{"Size": 3}]))
    (entry,) = (await mocked_bay.context.list_files("ctx-1", "/")).entries
    assert (entry.file_id, entry.file_name, entry.file_path, entry.size) == ("", "", "", 3)
