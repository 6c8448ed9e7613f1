"""A transfer whose server goes quiet ends at the stall budget (the client's timeout) or at its
total timeout, whichever comes first, at every step: before the answer's headers, and in a
read that starts just before the total runs out."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tests._async.contract.test_contract import connect, urls_then
from tests.hostile import Request, serving


@pytest.fixture(params=["default", "httpx"])
def transport(request: pytest.FixtureRequest) -> str:
    """Which transport carries the bytes: the flavour's default, or a user's httpx client."""
    return str(request.param)


def take_body_then_say_nothing(conn: socket.socket, request: Request) -> bool:
    request.body()
    time.sleep(30)
    return False


def say_nothing(conn: socket.socket, request: Request) -> bool:
    time.sleep(30)
    return False


async def test_an_upload_taken_but_never_answered_stalls_out(transport: str) -> None:
    with serving(urls_then(take_body_then_say_nothing)) as server:
        async with connect(transport, server) as client:
            started = time.monotonic()
            result = await client.context.upload_file("ctx-1", "/a", b"x" * 1000)
            elapsed = time.monotonic() - started
    assert result.error_message == "Transfer stalled: nothing moved for 1000 ms"
    assert elapsed < 2.5


async def test_a_download_never_answered_stalls_out(transport: str, tmp_path: Path) -> None:
    with serving(urls_then(say_nothing)) as server:
        async with connect(transport, server) as client:
            started = time.monotonic()
            result = await client.context.download_file("ctx-1", "/a", str(tmp_path / "a"))
            elapsed = time.monotonic() - started
    assert result.error_message == "Transfer stalled: nothing moved for 1000 ms"
    assert elapsed < 2.5


def one_byte_late_then_quiet(conn: socket.socket, request: Request) -> bool:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nx")
    time.sleep(0.7)
    conn.sendall(b"x")
    time.sleep(30)
    return False


@pytest.mark.timeout(30)
async def test_a_read_near_the_end_of_the_total_ends_at_the_total(
    transport: str, tmp_path: Path
) -> None:
    """(A user's sync ``httpx.Client`` fixes a response's read timeout when its body starts, so
    there the total may run late by up to one stall budget, the client's timeout.)"""
    with serving(urls_then(one_byte_late_then_quiet)) as server:
        async with connect(transport, server, timeout_ms=5000) as client:
            started = time.monotonic()
            result = await client.context.download_file(
                "ctx-1", "/a", str(tmp_path / "a"), timeout=1.0
            )
            elapsed = time.monotonic() - started
    assert result.error_message == "Transfer timed out after 1000 ms"
    late = type(client._channel._transport).__name__ == "HttpxTransport"
    assert elapsed < (1.0 + 5.0 if late else 1.5)


def read_slowly(conn: socket.socket, request: Request) -> bool:
    """Storage that takes an upload at about 2.5 MiB/s: moving, never stalled."""
    left = int(request.headers.get("content-length", "0"))
    while left > 0:
        piece = request.reader.read(min(left, 256 << 10))
        if not piece:
            return False
        left -= len(piece)
        time.sleep(0.1)
    return False


async def test_an_upload_total_timeout_bounds_a_slow_but_moving_upload(transport: str) -> None:
    with serving(urls_then(read_slowly)) as server:
        async with connect(transport, server, timeout_ms=5000) as client:
            started = time.monotonic()
            result = await client.context.upload_file("ctx-1", "/a", b"u" * (32 << 20), timeout=1.0)
            elapsed = time.monotonic() - started
    assert result.error_message == "Transfer timed out after 1000 ms"
    assert elapsed < 2.0
