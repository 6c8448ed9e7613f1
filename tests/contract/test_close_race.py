"""A client closed while a transfer is being set up (its presigned URL on the way) sends
nothing to storage: the transfer fails saying the client is closed. With a user's httpx client,
which closing ours leaves open, the URL still arrives; the transfer must not go on."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path

import httpx
import pytest

from agentbay import AgentBay, AsyncAgentBay, Config
from tests.helpers import API_KEY
from tests.hostile import HostileServer, Request, ok, reply, serving


class SlowUrls:
    """Answers a Get*Url call only once the test says so; counts the storage requests."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.go_on = threading.Event()
        self.storage_requests = 0

    def __call__(self, conn: socket.socket, request: Request) -> bool:
        if request.method != "POST":
            self.storage_requests += 1
            return reply(conn, 200, b"x")
        request.body()
        self.asked.set()
        self.go_on.wait(5)
        url = f"http://{request.headers['host']}/blob?Signature=s"
        return reply(conn, 200, ok({"Url": url, "ExpireTime": 9}))


def expected(direction: str) -> str:
    return f"{direction.capitalize()} not sent: the client is closed"


@pytest.mark.parametrize("direction", ["upload", "download"])
async def test_an_async_client_closed_mid_setup(direction: str, tmp_path: Path) -> None:
    urls = SlowUrls()
    with serving(urls) as server:
        client = AsyncAgentBay(
            API_KEY, Config(endpoint=server.url, timeout_ms=5000), http_client=httpx.AsyncClient()
        )
        if direction == "upload":
            transfer = client.context.upload_file("ctx-1", "/a", b"x")
        else:
            transfer = client.context.download_file("ctx-1", "/a", str(tmp_path / "a"))
        task = asyncio.ensure_future(transfer)
        await asyncio.to_thread(urls.asked.wait, 5)
        await client.aclose()
        urls.go_on.set()
        result = await task
    assert result.error_message == expected(direction)
    assert urls.storage_requests == 0


def run_transfer(client: AgentBay, direction: str, destination: Path, out: list[object]) -> None:
    if direction == "upload":
        out.append(client.context.upload_file("ctx-1", "/a", b"x"))
    else:
        out.append(client.context.download_file("ctx-1", "/a", str(destination)))


@pytest.mark.parametrize("direction", ["upload", "download"])
def test_a_sync_client_closed_mid_setup(direction: str, tmp_path: Path) -> None:
    urls = SlowUrls()
    server: HostileServer
    with serving(urls) as server:
        client = AgentBay(
            API_KEY, Config(endpoint=server.url, timeout_ms=5000), http_client=httpx.Client()
        )
        out: list[object] = []
        worker = threading.Thread(
            target=run_transfer, args=(client, direction, tmp_path / "a", out)
        )
        worker.start()
        urls.asked.wait(5)
        client.close()
        urls.go_on.set()
        worker.join(5)
    (result,) = out
    assert result.error_message == expected(direction)  # type: ignore[attr-defined]
    assert urls.storage_requests == 0
