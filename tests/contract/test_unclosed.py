"""An async client needs no closing: dropped unclosed, or used on a second event loop, it
releases its pool without a word on stderr (what aiohttp would print otherwise)."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from agentbay import AsyncAgentBay, Config
from tests.hostile import Request, ok, reply, serving

UNCLOSED = """
import asyncio, sys
from agentbay import AsyncAgentBay, Config

client = AsyncAgentBay("k" * 12, Config(endpoint=sys.argv[1], timeout_ms=2000, max_retries=0))

async def once():
    return await client.context.get(name="a")

asyncio.run(once())
asyncio.run(once())  # a second event loop
"""


def test_an_unclosed_client_used_on_two_loops_prints_nothing(tmp_path: Path) -> None:
    def fine(conn: socket.socket, request: Request) -> bool:
        request.body()
        return reply(conn, 200, ok({"Id": "ctx-1", "Name": "a"}))

    script = tmp_path / "unclosed.py"
    script.write_text(UNCLOSED)
    with serving(fine) as server:
        done = subprocess.run(
            [sys.executable, str(script), server.url],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        assert len(server.requests) == 2
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_a_client_moved_to_a_second_loop_closes_the_first_loops_connections(
    recwarn: pytest.WarningsRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    def fine(conn: socket.socket, request: Request) -> bool:
        request.body()
        return reply(conn, 200, ok({"Id": "ctx-1", "Name": "a"}))

    async def once(client: AsyncAgentBay) -> bool:
        return (await client.context.get(name="a")).success

    warnings.simplefilter("always")
    with serving(fine) as server:
        client = AsyncAgentBay(
            "k" * 12, Config(endpoint=server.url, timeout_ms=2000, max_retries=0)
        )
        assert asyncio.run(once(client)) and asyncio.run(once(client))
        gc.collect()
        assert len(server._conns) == 2
    assert [str(w.message) for w in recwarn if "Unclosed c" in str(w.message)] == []
    assert [r.message for r in caplog.records if "Unclosed c" in r.message] == []


DROPPED = """
import asyncio, gc, sys
from agentbay import AsyncAgentBay, Config

cfg = Config(endpoint=sys.argv[1], timeout_ms=2000, max_retries=0)
at_exit = AsyncAgentBay(api_key="k" * 12, cfg=cfg)

async def main():
    local = AsyncAgentBay(api_key="k" * 12, cfg=cfg)  # dropped when main() returns
    await local.context.get(name="a")
    await at_exit.context.get(name="a")

asyncio.run(main())
asyncio.run(main())  # a second event loop
gc.collect()
"""


def test_a_dropped_client_leaves_no_resource_warning(tmp_path: Path) -> None:
    """Under ``-W error::ResourceWarning`` (pytest's ``filterwarnings = error`` does the same),
    nothing is printed: a client dropped in main(), at exit or across two loops."""

    def fine(conn: socket.socket, request: Request) -> bool:
        request.body()
        return reply(conn, 200, ok({"Id": "ctx-1", "Name": "a"}))

    script = tmp_path / "dropped.py"
    script.write_text(DROPPED)
    with serving(fine) as server:
        done = subprocess.run(
            [sys.executable, "-W", "error::ResourceWarning", str(script), server.url],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        assert len(server.requests) == 4
    assert (done.returncode, done.stderr) == (0, "")
