"""An async client needs no closing: dropped unclosed, or used on a second event loop, it
releases its pool without a word on stderr (what aiohttp would print otherwise)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.hostile import Request, ok, reply, serving

UNCLOSED = """
import asyncio, sys
from agentbay import AsyncAgentBay, Config

client = AsyncAgentBay("k" * 12, Config(sys.argv[1], 2000, max_retries=0))

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
