"""Timeouts, deadlines, logging and key hygiene."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Generator

import httpx
import pytest
import respx

from agentbay import AsyncAgentBay, ClearanceTimeoutError, Config
from tests._async.mocking import mocked
from tests.helpers import API_KEY, CONTEXT_DATA, ENDPOINT, action, ok, refused


@pytest.fixture
def silent_server() -> Generator[str, None, None]:
    """A server that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


async def test_a_silent_server_gives_a_failed_result_in_bounded_time(silent_server: str) -> None:
    cfg = Config(endpoint=silent_server, timeout_ms=300, max_retries=1)
    started = time.monotonic()
    async with AsyncAgentBay(API_KEY, cfg) as client:
        result = await client.context.get(name="a")
    elapsed = time.monotonic() - started
    assert not result.success and "timed out after 300 ms" in result.error_message
    # Two attempts of 0.3 s and one short backoff: bounded, far from hanging.
    assert elapsed < 5


async def test_clear_timeout_bounds_polling_retries_included() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if action(request) == "ClearContext":
            return ok()
        return httpx.Response(
            503, json={"Code": "Throttling", "Message": "wait"}, headers={"Retry-After": "0.2"}
        )

    with respx.mock(base_url=ENDPOINT) as api:
        api.post("/").mock(side_effect=answer)
        async with mocked(Config(endpoint=ENDPOINT, timeout_ms=5000, max_retries=50)) as client:
            started = time.monotonic()
            with pytest.raises(ClearanceTimeoutError):
                await client.context.clear("ctx-1", timeout=0.5, poll_interval=0.05)
            elapsed = time.monotonic() - started
    # Fifty retries 0.2 s apart would take 10 s; the timeout cuts them off.
    assert elapsed < 2


async def test_debug_log_names_action_duration_and_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="agentbay")
    with respx.mock(base_url=ENDPOINT) as api:
        api.post("/").mock(side_effect=[refused("Throttling", "slow", 503), ok(CONTEXT_DATA)])
        async with mocked(Config(endpoint=ENDPOINT, timeout_ms=5000)) as client:
            await client.context.get(name="a")
    messages = [record.getMessage() for record in caplog.records]
    assert any("GetContext ok in" in m and "RequestId=req-1" in m for m in messages)
    assert any("retry 1" in m for m in messages)
    assert all(record.name.startswith("agentbay") for record in caplog.records)


async def test_the_key_is_redacted_even_when_the_server_echoes_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with respx.mock(base_url=ENDPOINT) as api:
        api.post("/").mock(
            side_effect=[
                refused("Throttling", f"slow down, Bearer {API_KEY}", 503),
                refused("InvalidApiKey", f"bad key Bearer {API_KEY}", 401),
            ]
        )
        async with mocked(Config(endpoint=ENDPOINT, timeout_ms=5000)) as client:
            result = await client.context.get(name="a")
    assert not result.success and "<redacted>" in result.error_message
    assert API_KEY not in repr(result)
    assert all(API_KEY not in record.getMessage() for record in caplog.records)


def test_the_library_installs_no_log_handler() -> None:
    assert logging.getLogger("agentbay").handlers == []
