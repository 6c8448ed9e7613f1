"""The async flavour's cleanup helpers: a cancelled caller never cuts short the closing or
opening of a local file that runs in a worker thread (that left temporary files behind)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from agentbay import AsyncAgentBay, Config
from agentbay._async import _io
from agentbay._async._io import open_blocking, run_to_end
from agentbay._sync._io import map_bounded
from agentbay._transports.timing import Deadline
from tests.helpers import API_KEY


async def cancelled_while_running(
    start: Any, gate: threading.Event, cancels: int
) -> tuple[asyncio.Task[Any], list[str]]:
    """Start ``start()``, cancel it ``cancels`` times while its thread waits on ``gate``, then
    open the gate; returns the finished task and what happened in order."""
    events: list[str] = []
    task = asyncio.ensure_future(start(events))
    while "started" not in events:
        await asyncio.sleep(0.001)
    for _ in range(cancels):
        task.cancel()
        await asyncio.sleep(0.01)
    events.append("gate opened")
    gate.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    events.append("caller saw the cancellation")
    return task, events


@pytest.mark.parametrize("cancels", [1, 3])
async def test_run_to_end_finishes_the_work_before_the_cancellation_propagates(
    cancels: int,
) -> None:
    gate = threading.Event()

    def slow_close(events: list[str]) -> None:
        events.append("started")
        gate.wait(5)
        events.append("closed")

    async def start(events: list[str]) -> None:
        await run_to_end(slow_close, events)

    _, events = await cancelled_while_running(start, gate, cancels)
    assert events == ["started", "gate opened", "closed", "caller saw the cancellation"]


async def test_run_to_end_returns_the_result_when_not_cancelled() -> None:
    assert await run_to_end(sum, [1, 2, 3]) == 6


async def test_what_was_opened_while_the_caller_was_cancelled_is_released() -> None:
    gate, released = threading.Event(), []

    def slow_open(events: list[str]) -> str:
        events.append("started")
        gate.wait(5)
        return "the file"

    async def start(events: list[str]) -> None:
        await open_blocking(slow_open, released.append, events)

    await cancelled_while_running(start, gate, 1)
    assert released == ["the file"]


async def test_a_release_that_fails_does_not_hide_the_cancellation() -> None:
    gate = threading.Event()

    def slow_open(events: list[str]) -> str:
        events.append("started")
        gate.wait(5)
        return "the file"

    def failing_release(_: str) -> None:
        raise OSError("disk gone")

    async def start(events: list[str]) -> None:
        await open_blocking(slow_open, failing_release, events)

    await cancelled_while_running(start, gate, 1)


async def test_an_open_that_fails_while_cancelled_releases_nothing() -> None:
    gate, released = threading.Event(), []

    def failing_open(events: list[str]) -> str:
        events.append("started")
        gate.wait(5)
        raise OSError("no such folder")

    async def start(events: list[str]) -> None:
        await open_blocking(failing_open, released.append, events)

    await cancelled_while_running(start, gate, 1)
    assert released == []


async def test_open_blocking_returns_what_was_opened_and_raises_what_failed() -> None:
    assert await open_blocking(str.upper, lambda _: None, "a.bin") == "A.BIN"
    with pytest.raises(OSError, match="nope"):
        await open_blocking(_fail, lambda _: None)


def _fail() -> None:
    raise OSError("nope")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a named pipe")
async def test_a_file_opened_for_a_cancelled_upload_is_closed(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    async with AsyncAgentBay(
        API_KEY, Config(endpoint="http://127.0.0.1:9", timeout_ms=1000)
    ) as client:
        task = asyncio.ensure_future(client.context.upload_file("ctx-1", "/a", pipe))
        await asyncio.sleep(0.2)  # its worker thread waits in open() for a writer
        task.cancel()
        writer = os.open(pipe, os.O_WRONLY)  # open() returns, after the upload was cancelled
        try:
            with pytest.raises(asyncio.CancelledError) as caught:
                await task
            with pytest.raises(BrokenPipeError):  # the upload closed its end: nobody reads
                os.write(writer, b"x")
        finally:
            os.close(writer)
    assert caught.value is not None  # the cancellation, its frames and the file, still held


# ------------------------------------------------------------ was test_io_enforce.py


async def test_progress_after_the_block_leaves_the_ended_block_alone() -> None:
    deadline = Deadline(total=None, stall=5.0)
    async with _io.enforce(deadline):
        deadline.progressed()  # inside: moves the block's cancellation
    deadline.progressed()  # a Deadline outlives its block: this must reach nothing


# ------------------------------------------------------------ was test_map_bounded.py


def test_as_many_calls_run_at_once_as_asked_for() -> None:
    barrier = threading.Barrier(40, timeout=10)  # passes only with 40 calls running together

    def meet(item: int) -> int:
        barrier.wait()
        return item * 2

    assert map_bounded(meet, range(40), 40) == [item * 2 for item in range(40)]


def test_tick_runs_in_the_callers_thread_while_a_call_runs() -> None:
    ticks: list[threading.Thread] = []
    map_bounded(time.sleep, [1.0], 4, tick=lambda: ticks.append(threading.current_thread()))
    assert len(ticks) >= 3  # every 0.1 s, not only once the call has ended
    assert set(ticks) == {threading.current_thread()}
