"""The exchange's limits on a reply, as a user meets them over every transport of the flavour:
a declared Content-Length past the body cap (and one too long to be a number), and the head of
a long storage error page that arrives in pieces."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from agentbay import AsyncAgentBay, Config
from tests._async.contract.test_contract import Collector, urls_then
from tests.helpers import API_KEY
from tests.hostile import Handler, HostileServer, Request, serving


@pytest.fixture(params=["default", "httpx"])
async def http_client(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient | None]:
    """Which transport carries the bytes: the flavour's default (None), or a user's httpx
    client, closed after the test."""
    if request.param == "default":
        yield None
        return
    async with httpx.AsyncClient() as client:
        yield client


def connect(http_client: httpx.AsyncClient | None, server: HostileServer) -> AsyncAgentBay:
    """A client of ``server`` over ``http_client`` (None: the default transport), no retries."""
    return AsyncAgentBay(
        API_KEY,
        Config(endpoint=server.url, timeout_ms=2000, max_retries=0),
        http_client=http_client,
    )


def declaring(length: str) -> Handler:
    """A handler whose reply declares ``length`` bytes and sends a few."""

    def handle(conn: socket.socket, request: Request) -> bool:
        request.body()
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\n\r\n{{}}".encode())
        time.sleep(0.2)
        return False

    return handle


@pytest.mark.parametrize(
    ("length", "error"),
    [
        ("1" + "0" * 17, "The reply body is over the 16 MiB limit"),
        ("1" + "0" * 18, "Network error: the reply is not valid HTTP"),
    ],
    ids=["18-digits", "19-digits"],
)
async def test_a_content_length_of_many_digits(
    http_client: httpx.AsyncClient | None, length: str, error: str
) -> None:
    with serving(declaring(length)) as server:
        async with connect(http_client, server) as client:
            result = await client.context.get(name="a")
    assert result.error_message == error


def long_error_page(conn: socket.socket, request: Request) -> bool:
    """A 403 whose page is longer than the SDK keeps, its first bytes sent on their own."""
    first = b"<Error><Code>AccessDenied</Code><Message>Access "
    rest = b"denied</Message></Error>" + b" " * (80 << 10)
    conn.sendall(b"HTTP/1.1 403 X\r\nContent-Length: %d\r\n\r\n" % (len(first) + len(rest)) + first)
    time.sleep(0.3)
    with contextlib.suppress(OSError):
        conn.sendall(rest)
    return False


async def test_a_long_error_page_in_pieces_is_read_as_sent(
    http_client: httpx.AsyncClient | None,
) -> None:
    with serving(urls_then(long_error_page)) as server:
        async with connect(http_client, server) as client:
            result = await client.context.download_file("ctx-1", "/a", Collector())
    assert result.error_message == "Storage answered HTTP 403: [AccessDenied] Access denied"
