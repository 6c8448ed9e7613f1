"""Downloads take storage's bytes as they are stored, and only a 2xx answer is a download."""

from __future__ import annotations

import gzip
import socket
from pathlib import Path

import pytest

from tests._async.contract.test_contract import connect, urls_then
from tests.hostile import Request, reply, serving

STORED = b"plain bytes, stored as they are " * 64


@pytest.fixture(params=["default", "httpx"])
def transport(request: pytest.FixtureRequest) -> str:
    """Which transport carries the bytes: the flavour's default, or a user's httpx client."""
    return str(request.param)


def gzip_when_allowed(conn: socket.socket, request: Request) -> bool:
    """Storage that compresses whenever the client says it may (as a CDN in front may)."""
    if "gzip" in request.headers.get("accept-encoding", ""):
        return reply(conn, 200, gzip.compress(STORED), {"Content-Encoding": "gzip"})
    return reply(conn, 200, STORED)


async def test_a_download_asks_for_the_bytes_as_stored(transport: str, tmp_path: Path) -> None:
    destination = tmp_path / "out.bin"
    with serving(urls_then(gzip_when_allowed)) as server:
        async with connect(transport, server) as client:
            result = await client.context.download_file("ctx-1", "/a", str(destination))
    assert result.success and result.data == len(STORED)
    assert destination.read_bytes() == STORED
    assert server.requests[1].method == "GET"


def moved(conn: socket.socket, request: Request) -> bool:
    return reply(conn, 300, b"<Error><Code>Moved</Code><Message>elsewhere</Message></Error>")


async def test_a_300_answer_is_no_download(transport: str, tmp_path: Path) -> None:
    destination = tmp_path / "out.bin"
    with serving(urls_then(moved)) as server:
        async with connect(transport, server) as client:
            result = await client.context.download_file("ctx-1", "/a", str(destination))
    assert result.error_message == "Storage answered HTTP 300: [Moved] elsewhere"
    assert list(tmp_path.iterdir()) == []
