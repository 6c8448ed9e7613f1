"""When the async default transport (aiohttp) lets its connections go: at ``aclose()`` before it
returns, at once when a client is dropped unclosed or moves off a loop that still runs, and
without an error or a warning when it is closed twice or from another loop."""

from __future__ import annotations

import asyncio
import gc
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
import pytest

from agentbay import AsyncAgentBay, Config
from agentbay._transports.http import CHUNK_SIZE
from tests._async.contract.test_contract import urls_then
from tests.helpers import API_KEY
from tests.hostile import HostileServer, Request, ok, reply, serving


class WatchedServer(HostileServer):
    """A :class:`HostileServer` that counts the connections its clients have closed."""

    def __init__(self) -> None:
        super().__init__(answer)
        self.ended = threading.Semaphore(0)

    def _serve(self, conn: socket.socket) -> None:
        super()._serve(conn)
        self.ended.release()


def answer(conn: socket.socket, request: Request) -> bool:
    request.body()
    return reply(conn, 200, ok({"Id": "ctx-1", "Name": "a"}))


@contextmanager
def watched() -> Iterator[WatchedServer]:
    server = WatchedServer()
    try:
        yield server
    finally:
        server.close()


def connect(server: HostileServer) -> AsyncAgentBay:
    return AsyncAgentBay(API_KEY, Config(endpoint=server.url, timeout_ms=2000, max_retries=0))


async def works(client: AsyncAgentBay) -> bool:
    return (await client.context.get(name="a")).success


def complaints(recwarn: pytest.WarningsRecorder, caplog: pytest.LogCaptureFixture) -> list[str]:
    """What aiohttp says of a session or connector nobody closed."""
    said = [str(w.message) for w in recwarn] + [r.getMessage() for r in caplog.records]
    return [text for text in said if "Unclosed" in text]


async def test_aclose_has_closed_the_connections_when_it_returns() -> None:
    with watched() as server:
        client = connect(server)
        assert await works(client)
        await client.aclose()
        # Waited for without giving the loop a turn: aclose() itself closed the socket.
        assert server.ended.acquire(timeout=2)


async def test_a_client_closed_twice_says_nothing_the_second_time() -> None:
    with watched() as server:
        async with connect(server) as client:
            assert await works(client)
            await client.aclose()
        assert server.ended.acquire(timeout=2)


def test_a_client_closed_from_another_loop_than_it_ran_on(
    recwarn: pytest.WarningsRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    with watched() as server:
        client = connect(server)
        assert asyncio.run(works(client))
        asyncio.run(client.aclose())
        del client
        gc.collect()
    assert complaints(recwarn, caplog) == []


async def test_a_client_dropped_unclosed_closes_its_connections_quietly(
    recwarn: pytest.WarningsRecorder,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    with watched() as server:
        client = connect(server)
        assert await works(client)
        del client
        gc.collect()
        assert await asyncio.to_thread(server.ended.acquire, True, 2)
    assert unraisable == []
    assert complaints(recwarn, caplog) == []


@contextmanager
def loop_in_a_thread() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running (idle) in a thread of its own."""
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever, daemon=True)
    runner.start()
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(loop.stop)
        runner.join(5)
        loop.close()


def test_a_client_moved_off_a_running_loop_closes_its_connections_there(
    recwarn: pytest.WarningsRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    async def on_this_loop(client: AsyncAgentBay, server: WatchedServer) -> bool:
        success = await works(client)
        # The first loop idles meanwhile: only a close sent to it ends its connection.
        ended = await asyncio.to_thread(server.ended.acquire, True, 2)
        await client.aclose()
        return success and ended

    with loop_in_a_thread() as first_loop, watched() as server:
        client = connect(server)
        on_first = asyncio.run_coroutine_threadsafe(works(client), first_loop)
        assert on_first.result(5)
        assert asyncio.run(on_this_loop(client, server))
    assert complaints(recwarn, caplog) == []


def test_a_client_closed_from_another_thread_closes_its_connections_on_their_loop(
    recwarn: pytest.WarningsRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    with loop_in_a_thread() as first_loop, watched() as server:
        client = connect(server)
        assert asyncio.run_coroutine_threadsafe(works(client), first_loop).result(5)
        asyncio.run(client.aclose())
        # The first loop idles: only a close sent to it ends its connection (else 15 s later).
        assert server.ended.acquire(timeout=3)
    assert complaints(recwarn, caplog) == []


async def test_a_session_whose_connector_fails_to_close_is_abandoned_quietly() -> None:
    import aiohttp

    from agentbay._transports import aiohttp as transport

    session = aiohttp.ClientSession()
    connector = session.connector
    assert connector is not None

    def torn_down() -> None:
        raise RuntimeError("the loop is gone")

    connector._close = torn_down  # type: ignore[method-assign]
    try:
        transport._abandon(session)  # runs in a finaliser: an exception there prints a traceback
        assert session.closed
    finally:
        del connector._close
        await connector.close()


# ------------------------------------------------------------ was test_aiohttp_settings.py


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
