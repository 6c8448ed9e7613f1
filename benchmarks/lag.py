"""The ticker of rows F and L (how long the event loop was held), and row L's client process.

Row L's client runs in a process of its own that imports only the SDK and this module (not
``benchmarks.bench``, whose imports, rich, httpx and more, would add some 15,000 objects to
every full garbage collection, which stops the loop: the ticker would measure the harness).
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from agentbay import AsyncAgentBay, Config

API_KEY = "bench-key"
TIMEOUT_MS = 60_000
LAG_TICK = 0.005
LAG_BUDGET = 0.025


@dataclass
class Lag:
    """How late a 5 ms ticker woke up at worst (wall time), and the longest the loop spent in
    one callback (CPU time of the loop's thread): the second is the code's own blocking, the
    rest of the first is the machine not scheduling the loop."""

    wait: float = 0.0
    step: float = 0.0


async def _lag_beside(work: Awaitable[Any]) -> tuple[Any, Lag]:
    """``work``'s result, and the :class:`Lag` of the loop while ``work`` ran."""
    loop = asyncio.get_running_loop()
    lag = Lag()
    done = asyncio.Event()
    handle_run = asyncio.events.Handle._run

    def timed_run(handle: asyncio.Handle) -> None:
        started = time.thread_time()
        handle_run(handle)
        lag.step = max(lag.step, time.thread_time() - started)

    async def ticker() -> None:
        while not done.is_set():
            started = loop.time()
            await asyncio.sleep(LAG_TICK)
            lag.wait = max(lag.wait, loop.time() - started - LAG_TICK)

    task = asyncio.ensure_future(ticker())
    asyncio.events.Handle._run = timed_run
    try:
        result = await work
    finally:
        asyncio.events.Handle._run = handle_run
        done.set()
        await task
    return result, lag


def _result_bytes(result: Any) -> int:
    """The bytes of a folder result's lists of paths (it names every file: memory the API
    asks for, which grows with the tree)."""
    lists = (result.transferred, result.skipped, result.deleted)
    return sum(sys.getsizeof(names) + sum(map(sys.getsizeof, names)) for names in lists)


def _status_bytes(field: str) -> int:
    """A size from ``/proc/self/status`` (``VmRSS``, ``VmHWM``), in bytes; 0 when absent."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _peak_from_here() -> int:
    """Start the process's peak RSS again from its current RSS (Linux: ``clear_refs`` 5) and
    return that RSS. ``ru_maxrss`` cannot serve: Linux keeps it across ``exec``, so a child
    started by the big benchmark process begins with the parent's peak, and grows never show."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:  # not Linux, or not allowed: the peak then counts from the start
        pass
    return _status_bytes("VmRSS")


def scale_child(endpoint: str, *calls: str) -> None:
    """Calls of row L in this process, ``op local remote`` each: prints, one JSON line a call,
    its seconds, the seconds to the first progress report, the ticker's longest wait and
    longest loop step, the longest garbage collection (it stops every thread), and the growth
    of the process's peak RSS."""
    collections = [0.0, 0.0]  # when the running one started, the longest

    def collected(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections[0] = time.perf_counter()
        else:
            collections[1] = max(collections[1], time.perf_counter() - collections[0])

    gc.callbacks.append(collected)

    async def one(sdk: AsyncAgentBay, cid: str, op: str, local: str, remote: str) -> None:
        first: list[float] = []

        def progress(*numbers: int) -> None:
            if not first:
                first.append(time.perf_counter())

        gc.collect()
        collections[1] = 0.0  # not the collection just made
        before = _peak_from_here()
        started = time.perf_counter()
        if op == "down":
            call = sdk.context.download_folder(cid, remote, local, progress=progress)
        else:
            call = sdk.context.upload_folder(cid, local, remote, progress=progress)
        result, lag = await _lag_beside(call)
        seconds = time.perf_counter() - started
        if not result.success:
            raise SystemExit(f"{op}: {result.error_message}")
        peak = _status_bytes("VmHWM")
        numbers = {
            "seconds": seconds,
            "first": (first or [math.nan])[0] - started,
            "wait": lag.wait,
            "step": lag.step,
            "rss": float(peak - before),
            "moved": float(len(result.transferred)),
            "gc": collections[1],
            "result": float(_result_bytes(result)),
        }
        print(json.dumps(numbers), flush=True)

    async def run() -> None:
        sdk = AsyncAgentBay(API_KEY, Config(endpoint=endpoint, timeout_ms=TIMEOUT_MS))
        try:
            cid = (await sdk.context.get(name="bench-l", create=True)).context_id
            for index in range(0, len(calls), 3):
                await one(sdk, cid, *calls[index : index + 3])
        finally:
            await sdk.aclose()

    asyncio.run(run())
