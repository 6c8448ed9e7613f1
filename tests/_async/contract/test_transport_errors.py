"""What each transport tells a user when the connection cannot be made as asked: TLS spoken to
a plain-HTTP server, a presigned URL the HTTP library refuses, an endpoint with a path."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from agentbay import AsyncAgentBay, Config
from tests._async.contract.test_contract import connect
from tests.helpers import API_KEY
from tests.hostile import Request, ok, reply, serving


@pytest.fixture(params=["default", "httpx"])
def transport(request: pytest.FixtureRequest) -> str:
    """Which transport carries the bytes: the flavour's default, or a user's httpx client."""
    return str(request.param)


@contextmanager
def plain_http_server() -> Iterator[int]:
    """A server that answers every connection with a plain-HTTP 400, whatever it was sent."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()


def client_of(transport: str, endpoint: str) -> AsyncAgentBay:
    cfg = Config(endpoint=endpoint, timeout_ms=1000, max_retries=0)
    http_client = httpx.AsyncClient() if transport == "httpx" else None
    return AsyncAgentBay(API_KEY, cfg, http_client=http_client)


async def test_tls_to_a_plain_http_server_says_so(transport: str) -> None:
    with plain_http_server() as port:
        async with client_of(transport, f"https://127.0.0.1:{port}/api") as client:
            result = await client.context.get(name="a")
    assert result.error_message == (
        f"Network error: TLS handshake with 127.0.0.1:{port} failed "
        "(the server speaks plain HTTP: use an http:// endpoint)"
    )
    assert result.code == "SDK.TlsHandshakeFailed"


async def test_nobody_listening_names_the_host_not_the_path(transport: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    async with client_of(transport, f"http://user:pw@127.0.0.1:{port}/api/v1") as client:
        result = await client.context.get(name="a")
    assert result.error_message == f"Network error: cannot connect to 127.0.0.1:{port}"


REFUSED_BY = {
    "AiohttpTransport": "Invalid URL 'http://[::1]x/blob': ",
    "HttpxTransport": "Invalid URL 'http://[::1]x/blob': httpx cannot request it",
    "Urllib3Transport": "Invalid URL 'http://[::1]x/blob': urllib3 cannot request it",
}


async def test_a_presigned_url_the_library_refuses_is_an_invalid_url(transport: str) -> None:
    def bad_url(conn: socket.socket, request: Request) -> bool:
        request.body()
        return reply(conn, 200, ok({"Url": "http://[::1]x/blob?sig=secret", "ExpireTime": 9}))

    with serving(bad_url) as server:
        async with connect(transport, server) as client:
            name = type(client._channel._transport).__name__.removeprefix("Async")
            upload = await client.context.upload_file("ctx-1", "/a", b"x")
    assert upload.error_message.startswith(REFUSED_BY[name]), upload.error_message
    assert "secret" not in upload.error_message


async def test_an_endpoint_without_a_host_is_an_invalid_url(transport: str) -> None:
    async with client_of(transport, "http:///api") as client:
        name = type(client._channel._transport).__name__.removeprefix("Async")
        result = await client.context.get(name="a")
    library = {"AiohttpTransport": "aiohttp", "Urllib3Transport": "urllib3"}.get(name, "httpx")
    assert result.error_message == f"Invalid URL 'http:///api': {library} cannot request it"
    assert result.code == "SDK.InvalidUrl"


def chunked_then_cut(conn: socket.socket, request: Request) -> bool:
    request.body()
    conn.sendall(b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{"Success": true')
    return False


def hang_up(conn: socket.socket, request: Request) -> bool:
    request.body()
    return False


async def test_a_connection_lost_before_the_reply_ends_is_broken(transport: str) -> None:
    for handler in (chunked_then_cut, hang_up):
        with serving(handler) as server:
            async with connect(transport, server) as client:
                result = await client.context.get(name="a")
        assert result.error_message == (
            "Network error: the connection closed before the reply was complete"
        ), handler.__name__
        assert result.code == "SDK.ConnectionBroken"


async def test_a_connection_read_to_the_end_is_reused(transport: str) -> None:
    def answer(conn: socket.socket, request: Request) -> bool:
        request.body()
        return reply(conn, 200, ok({"Id": "ctx-1", "Name": "a"}))

    with serving(answer) as server:
        async with connect(transport, server) as client:
            for _ in range(3):
                assert (await client.context.get(name="a")).success
        connections = len(server._conns)
    assert (len(server.requests), connections) == (3, 1)


def garbage_chunk(conn: socket.socket, request: Request) -> bool:
    request.body()
    conn.sendall(b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"Suc\r\nzz\r\nxx\r\n')
    return False


async def test_garbage_where_a_chunk_size_goes(transport: str) -> None:
    """(http.client, under urllib3, tells it from a cut connection no better.)"""
    with serving(garbage_chunk) as server:
        async with connect(transport, server) as client:
            name = type(client._channel._transport).__name__
            result = await client.context.get(name="a")
    if name == "Urllib3Transport":
        assert result.code == "SDK.ConnectionBroken"
    else:
        assert result.error_message == "Network error: the reply is not valid HTTP"
        assert result.code == "SDK.ProtocolError"


def huge_chunked_then_fine(conn: socket.socket, request: Request) -> bool:
    request.body()
    if len(calls) == 0:
        calls.append(1)
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"100000\r\n" + b"[" * 0x100000 + b"\r\n"
        with contextlib.suppress(OSError):
            for _ in range(20):
                conn.sendall(chunk)
        time.sleep(1.0)
        return False
    return reply(conn, 200, ok({"Id": "ctx-1", "Name": "a"}))


calls: list[int] = []


async def test_a_connection_read_in_part_is_never_reused(transport: str) -> None:
    calls.clear()
    with serving(huge_chunked_then_fine) as server:
        async with connect(transport, server, timeout_ms=5000) as client:
            first = await client.context.get(name="a")
            second = await client.context.get(name="a")
    assert first.error_message == "The reply body is over the 16 MiB limit"
    assert second.success and second.context_id == "ctx-1"


def body_then_quiet(conn: socket.socket, request: Request) -> bool:
    request.body()
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"Success": ')
    time.sleep(30)
    return False


async def test_a_reply_that_stops_mid_body_ends_at_the_timeout(transport: str) -> None:
    with serving(body_then_quiet) as server:
        async with connect(transport, server) as client:
            started = time.monotonic()
            result = await client.context.get(name="a")
            elapsed = time.monotonic() - started
    assert result.error_message == "Request timed out after 1000 ms"
    assert elapsed < 1.6


def in_pieces(conn: socket.socket, request: Request) -> bool:
    request.body()
    body = b'{"RequestId": "r-2", "Success": true, "Data": {"Id": "ctx-2", "Name": "a"}}'
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:20])
    time.sleep(0.2)
    conn.sendall(body[20:])
    return True


def exactly_the_limit(conn: socket.socket, request: Request) -> bool:
    request.body()
    body = b'"' + b"x" * ((16 << 20) - 2) + b'"'
    return reply(conn, 200, body)


async def test_a_reply_is_read_whole_up_to_the_limit(transport: str) -> None:
    with serving(in_pieces) as server:
        async with connect(transport, server) as client:
            pieced = await client.context.get(name="a")
    assert pieced.success and pieced.context_id == "ctx-2"
    with serving(exactly_the_limit) as server:
        async with connect(transport, server, timeout_ms=5000) as client:
            at_limit = await client.context.get(name="a")
    assert at_limit.error_message == "HTTP 200: the response is not a JSON object"
