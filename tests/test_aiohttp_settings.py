"""The settings of the async default transport (aiohttp), as a user would notice them: the pool
holds at most ``max_connections``, cookies never go back, aiohttp's own time limits do not cut
a call, a slow destination gets a download in big steps, and a presigned URL aiohttp cannot
read is refused saying why."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import aiohttp
import pytest

from agentbay import AsyncAgentBay, Config
from agentbay._transports.http import CHUNK_SIZE
from tests._async.test_contract import urls_then
from tests.helpers import API_KEY
from tests.hostile import Request, ok, reply, serving


def answer(conn: socket.socket, request: Request) -> bool:
    request.body()
    return reply(conn, 200, ok({"Id": "ctx-1", "Name": "a"}))


class Gate:
    """Holds each request until two have been in at once (at most 5 s), then until a third
    joins or 0.3 s pass; keeps the peak."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._waiting = 0
        self.peak = 0

    def __call__(self, conn: socket.socket, request: Request) -> bool:
        request.body()
        with self._changed:
            self._waiting += 1
            self.peak = max(self.peak, self._waiting)
            self._changed.notify_all()
            self._changed.wait_for(lambda: self.peak >= 2, timeout=5)
            self._changed.wait_for(lambda: self._waiting >= 3, timeout=0.3)
            self._waiting -= 1
        return reply(conn, 200, ok({"Id": "ctx-1", "Name": "a"}))


async def test_the_pool_holds_at_most_max_connections() -> None:
    gate = Gate()
    with serving(gate) as server:
        config = Config(endpoint=server.url, timeout_ms=5000, max_retries=0, max_connections=2)
        async with AsyncAgentBay(API_KEY, config) as client:
            results = await asyncio.gather(*(client.context.get(name="a") for _ in range(3)))
    assert all(result.success for result in results)
    assert gate.peak == 2


def cookie_setter(conn: socket.socket, request: Request) -> bool:
    request.body()
    body = ok({"Id": "ctx-1", "Name": "a"})
    return reply(conn, 200, body, {"Set-Cookie": "session=s3cr3t; Path=/"})


async def test_a_cookie_the_server_sets_is_never_sent_back() -> None:
    with serving(cookie_setter) as server:
        # By name: aiohttp's cookie jar would ignore a cookie of an IP address anyway.
        endpoint = server.url.replace("127.0.0.1", "localhost")
        async with AsyncAgentBay(
            API_KEY, Config(endpoint=endpoint, timeout_ms=2000, max_retries=0)
        ) as client:
            for _ in range(2):
                assert (await client.context.get(name="a")).success
        assert [request.headers.get("cookie") for request in server.requests] == [None, None]


def slow_answer(conn: socket.socket, request: Request) -> bool:
    request.body()
    time.sleep(0.3)
    return reply(conn, 200, ok({"Id": "ctx-1", "Name": "a"}))


async def test_aiohttp_default_time_limits_never_cut_a_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # aiohttp bounds a call by 5 minutes unless told otherwise; shrunk here so as not to wait.
    monkeypatch.setattr(aiohttp.client, "DEFAULT_TIMEOUT", aiohttp.ClientTimeout(total=0.05))
    with serving(slow_answer) as server:
        async with AsyncAgentBay(
            API_KEY, Config(endpoint=server.url, timeout_ms=5000, max_retries=0)
        ) as client:
            result = await client.context.get(name="a")
    assert result.success, result.error_message


BIG = bytes(8 << 20)


def big_blob(conn: socket.socket, request: Request) -> bool:
    return reply(conn, 200, BIG)


class SlowWriter:
    """A destination slower than the network: each write takes 0.1 s."""

    def __init__(self) -> None:
        self.writes: list[int] = []

    def write(self, data: bytes) -> int:
        time.sleep(0.1)
        self.writes.append(len(data))
        return len(data)


async def test_a_slow_destination_gets_a_download_in_steps_over_a_chunk() -> None:
    # What has arrived meanwhile comes in one step: up to twice CHUNK_SIZE is read ahead, where
    # aiohttp's own 64 KiB buffer would hand it over in many more, smaller writes.
    writer = SlowWriter()
    with serving(urls_then(big_blob)) as server:
        async with AsyncAgentBay(
            API_KEY, Config(endpoint=server.url, timeout_ms=5000, max_retries=0)
        ) as client:
            result = await client.context.download_file("ctx-1", "/big", writer)
    assert result.success, result.error_message
    assert sum(writer.writes) == len(BIG)
    assert max(writer.writes) > CHUNK_SIZE


def unreadable_url(conn: socket.socket, request: Request) -> bool:
    request.body()
    return reply(conn, 200, ok({"Url": "http://[::1]x/blob?Signature=s", "ExpireTime": 9}))


async def test_a_presigned_url_aiohttp_cannot_read_is_refused_saying_why() -> None:
    with serving(unreadable_url) as server:
        async with AsyncAgentBay(
            API_KEY, Config(endpoint=server.url, timeout_ms=2000, max_retries=0)
        ) as client:
            result = await client.context.upload_file("ctx-1", "/a", b"x")
        assert [request.method for request in server.requests] == ["POST"]
    assert (result.success, result.code) == (False, "SDK.InvalidUrl")
    assert result.error_message.endswith(": Invalid IPv6 URL")
