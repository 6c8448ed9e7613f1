"""Time the official ``wuying-agentbay-sdk`` in its own interpreter (run by benchmarks.bench).

Its import name is also ``agentbay``, so :mod:`benchmarks.bench` runs this file with the Python
of a virtualenv that has ``wuying-agentbay-sdk`` and not this project
(``AGENTBAY_OFFICIAL_PYTHON``)::

    $AGENTBAY_OFFICIAL_PYTHON benchmarks/official.py concurrent http://127.0.0.1:PORT 100 3
    $AGENTBAY_OFFICIAL_PYTHON benchmarks/official.py sequential http://127.0.0.1:PORT 2000 3
    $AGENTBAY_OFFICIAL_PYTHON benchmarks/official.py threads http://127.0.0.1:PORT 50 200 3

Each mode checks one ``context.get`` succeeds (untimed), runs one untimed warm-up round, then
prints ``{"seconds": best, "version": ...}``: the best of ``repeat`` rounds, per batch for
``concurrent`` and ``threads`` and per call for ``sequential``. The SDK runs with its default
settings (its own INFO logging to stderr included); only the endpoint and, for the sync
client, the protocol (plain HTTP) are set, as in tests/emulator/official_driver.py. It needs
nothing but the official SDK, so it imports nothing from this repository.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from typing import Any

import agentbay

# Typed as Any: mypy would otherwise check these calls against this project's ``agentbay``.
SDK: Any = agentbay
API_KEY = "bench-key"
NAME = "n"


def _sync_client(endpoint: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Config(endpoint=...) is deprecated
        host_port = endpoint.split("://", 1)[1]
        agent_bay = SDK.AgentBay(api_key=API_KEY, cfg=SDK.Config(endpoint=host_port))
    agent_bay.client._protocol = "HTTP"  # the only way to pick http: the Tea client's protocol
    return agent_bay


def _async_client(endpoint: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return SDK.AsyncAgentBay(api_key=API_KEY, cfg=SDK.Config(endpoint=endpoint))


def _check(result: Any) -> None:
    if not result.success:
        raise SystemExit(f"context.get failed: {result.error_message}")


def _best(repeat: int, measure: Callable[[], float]) -> float:
    measure()  # warm-up: fills the pools
    return min(measure() for _ in range(repeat))


def concurrent(endpoint: str, concurrency: int, repeat: int) -> float:
    """Seconds for ``concurrency`` concurrent ``await context.get(name=...)``."""

    async def run() -> float:
        agent_bay = _async_client(endpoint)
        _check(await agent_bay.context.get(name=NAME))

        async def batch() -> float:
            started = time.perf_counter()
            results = await asyncio.gather(
                *(agent_bay.context.get(name=NAME) for _ in range(concurrency))
            )
            elapsed = time.perf_counter() - started
            for result in results:
                _check(result)
            return elapsed

        await batch()
        return min([await batch() for _ in range(repeat)])

    return asyncio.run(run())


def sequential(endpoint: str, calls: int, repeat: int) -> float:
    """Seconds per sequential ``context.get(name=...)``."""
    agent_bay = _sync_client(endpoint)
    _check(agent_bay.context.get(name=NAME))

    def measure() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            agent_bay.context.get(name=NAME)
        return (time.perf_counter() - started) / calls

    return _best(repeat, measure)


def threads(endpoint: str, workers: int, calls: int, repeat: int) -> float:
    """Seconds for ``calls`` ``context.get`` calls of one client shared by ``workers`` threads."""
    agent_bay = _sync_client(endpoint)
    _check(agent_bay.context.get(name=NAME))
    with ThreadPoolExecutor(workers) as pool:

        def measure() -> float:
            started = time.perf_counter()
            results = list(pool.map(lambda _: agent_bay.context.get(name=NAME), range(calls)))
            elapsed = time.perf_counter() - started
            for result in results:
                _check(result)
            return elapsed

        return _best(repeat, measure)


def main(argv: list[str]) -> int:
    mode, endpoint, *numbers = argv
    counts = [int(n) for n in numbers]
    if mode == "concurrent":
        seconds = concurrent(endpoint, *counts)
    elif mode == "sequential":
        seconds = sequential(endpoint, *counts)
    elif mode == "threads":
        seconds = threads(endpoint, *counts)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print(json.dumps({"seconds": seconds, "version": version("wuying-agentbay-sdk")}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
