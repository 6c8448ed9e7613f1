"""upload_file and download_file retry transient failures, each attempt with a fresh URL, and a
download resumes where it broke off; against a scripted storage server, over both transports."""

from __future__ import annotations

import io
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from agentbay import AsyncAgentBay, Config
from tests.helpers import API_KEY, OneWay
from tests.hostile import HostileServer, Request, ok, reply, serving

DATA = bytes(range(256)) * 4096 * 3  # 3 MiB: three chunks
SIZE = len(DATA)
LAST_MODIFIED = "Thu, 29 May 2025 12:00:00 GMT"
Step = Callable[[socket.socket, Request], bool]


@pytest.fixture(params=["default", "httpx"])
def transport(request: pytest.FixtureRequest) -> str:
    """Which transport carries the bytes: the flavour's default, or a user's httpx client."""
    return str(request.param)


def connect(transport: str, server: HostileServer, max_retries: int = 3) -> AsyncAgentBay:
    cfg = Config(endpoint=server.url, timeout_ms=2000, max_retries=max_retries)
    http_client = httpx.AsyncClient() if transport == "httpx" else None
    return AsyncAgentBay(API_KEY, cfg, http_client=http_client)


ACCEPT = "accept"  # a step: store the upload and answer 200


class Storage:
    """Answers each URL request with a fresh URL (``?n=1``, ``?n=2``, ...) and the storage
    requests with ``steps`` in turn (the last one again and again)."""

    def __init__(self, *steps: Step | str) -> None:
        self.steps = steps
        self.urls = 0
        self.transfers: list[Request] = []
        self.stored = b""

    def __call__(self, conn: socket.socket, request: Request) -> bool:
        if request.method == "POST":
            request.body()
            self.urls += 1
            url = f"http://{request.headers['host']}/blob?n={self.urls}&Signature=s3cr3t"
            return reply(conn, 200, ok({"Url": url, "ExpireTime": 3600}))
        self.transfers.append(request)
        step = self.steps[min(len(self.transfers), len(self.steps)) - 1]
        if isinstance(step, str):
            self.stored = request.body()
            return reply(conn, 200)
        return step(conn, request)


def busy(retry_after: str | None = None) -> Step:
    def answer(conn: socket.socket, request: Request) -> bool:
        request.body()
        headers = {} if retry_after is None else {"Retry-After": retry_after}
        return reply(conn, 503, {"Code": "ServiceUnavailable", "Message": "busy"}, headers)

    return answer


def hang_up_mid_upload(conn: socket.socket, request: Request) -> bool:
    request.reader.read(int(request.headers["content-length"]) // 2)
    return False


def whole_file(*, cut: bool = False) -> Step:
    """200 and the whole file; if ``cut``, only its first half, then the connection closes
    (a moment later: a client may drop what it had not read yet when the close arrives)."""

    def answer(conn: socket.socket, request: Request) -> bool:
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {SIZE}\r\nLast-Modified: {LAST_MODIFIED}\r\n"
        conn.sendall(head.encode() + b"\r\n" + (DATA[: SIZE // 2] if cut else DATA))
        if cut:
            time.sleep(0.2)
        return not cut

    return answer


def the_rest(conn: socket.socket, request: Request) -> bool:
    """206 and the range asked for (``bytes=N-``)."""
    first = int(re.fullmatch(r"bytes=(\d+)-", request.headers["range"]).group(1))  # type: ignore[union-attr]
    head = (
        f"HTTP/1.1 206 Partial Content\r\nContent-Length: {SIZE - first}\r\n"
        f"Content-Range: bytes {first}-{SIZE - 1}/{SIZE}\r\n\r\n"
    )
    conn.sendall(head.encode() + DATA[first:])
    return True


def wrong_range(conn: socket.socket, request: Request) -> bool:
    head = f"HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\nContent-Range: bytes 0-9/{SIZE}"
    conn.sendall(head.encode() + b"\r\n\r\n" + DATA[:10])
    return True


def every_byte_but_the_end(conn: socket.socket, request: Request) -> bool:
    """A chunked body with every byte, whose closing chunk never comes."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    conn.sendall(f"{SIZE:x}\r\n".encode() + DATA + b"\r\n")
    time.sleep(0.2)
    return False


def nothing_left(conn: socket.socket, request: Request) -> bool:
    return reply(conn, 416, {"Code": "InvalidRange"}, {"Content-Range": f"bytes */{SIZE}"})


class Recorder:
    """A progress callback that keeps every report."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int | None]] = []

    def __call__(self, done: int, total: int | None) -> None:
        self.calls.append((done, total))

    @property
    def done(self) -> list[int]:
        return [done for done, _ in self.calls]


def url_numbers(storage: Storage) -> list[str]:
    return [re.search(r"n=(\d+)", r.path).group(1) for r in storage.transfers]  # type: ignore[union-attr]


# --------------------------------------------------------------------------- uploads


async def test_an_upload_is_retried_with_a_fresh_url_each_time(transport: str) -> None:
    storage = Storage(busy(), hang_up_mid_upload, ACCEPT)
    progress = Recorder()
    with serving(storage) as server:
        async with connect(transport, server) as client:
            result = await client.context.upload_file("ctx-1", "/a", DATA, progress=progress)
    assert (result.success, result.data) == (True, SIZE)
    assert url_numbers(storage) == ["1", "2", "3"]
    assert storage.stored == DATA
    assert progress.done.count(0) == 3  # every attempt reports its restart
    assert max(progress.done) == SIZE and progress.calls[-1] == (SIZE, SIZE)


@pytest.mark.timeout(30)
async def test_retry_after_is_honoured_between_attempts(transport: str) -> None:
    storage = Storage(busy(retry_after="0.6"), ACCEPT)
    with serving(storage) as server:
        async with connect(transport, server) as client:
            started = time.monotonic()
            result = await client.context.upload_file("ctx-1", "/a", b"x")
            elapsed = time.monotonic() - started
    assert result.success
    assert 0.6 <= elapsed < 2


@pytest.mark.timeout(30)
async def test_retry_after_is_honoured_before_a_download_is_tried_again(transport: str) -> None:
    storage = Storage(busy(retry_after="0.6"), whole_file())
    sink = io.BytesIO()
    with serving(storage) as server:
        async with connect(transport, server) as client:
            started = time.monotonic()
            result = await client.context.download_file("ctx-1", "/a", sink)
            elapsed = time.monotonic() - started
    assert result.success and sink.getvalue() == DATA
    assert 0.6 <= elapsed < 3


async def test_a_file_object_is_read_again_from_its_own_start(tmp_path: Path) -> None:
    storage = Storage(busy(), ACCEPT)
    source = io.BytesIO(b"skipped" + DATA)
    source.seek(len(b"skipped"))
    with serving(storage) as server:
        async with connect("default", server) as client:
            result = await client.context.upload_file("ctx-1", "/a", source)
    assert (result.success, storage.stored) == (True, DATA)


async def test_a_pipe_is_not_retried() -> None:
    storage = Storage(busy(), ACCEPT)
    with serving(storage) as server:
        async with connect("default", server) as client:
            result = await client.context.upload_file(
                "ctx-1", "/a", io.BufferedReader(OneWay(DATA))
            )
    assert not result.success
    assert result.error_message == (
        "Storage answered HTTP 503: [ServiceUnavailable] busy"
        " (not retried: the source cannot be read again from its start)"
    )
    assert len(storage.transfers) == 1


async def test_retries_stop_after_max_retries() -> None:
    storage = Storage(busy())
    with serving(storage) as server:
        async with connect("default", server, max_retries=2) as client:
            result = await client.context.upload_file("ctx-1", "/a", b"x")
    assert result.error_message == (
        "Storage answered HTTP 503: [ServiceUnavailable] busy (after 3 attempts)"
    )
    assert (result.code, result.http_status_code) == ("ServiceUnavailable", 503)
    assert len(storage.transfers) == 3


async def test_the_timeout_bounds_every_attempt_and_wait_together() -> None:
    storage = Storage(busy(retry_after="0.4"))
    with serving(storage) as server:
        async with connect("default", server, max_retries=10) as client:
            started = time.monotonic()
            result = await client.context.upload_file("ctx-1", "/a", b"x", timeout=1.0)
            elapsed = time.monotonic() - started
    assert not result.success
    assert elapsed < 1.3
    assert 2 <= len(storage.transfers) <= 3
    assert result.error_message.endswith(f"(after {len(storage.transfers)} attempts)")


# --------------------------------------------------------------------------- downloads


async def test_a_broken_download_resumes_with_a_range_request(
    transport: str, tmp_path: Path
) -> None:
    storage = Storage(whole_file(cut=True), the_rest)
    progress = Recorder()
    target = tmp_path / "out.bin"
    with serving(storage) as server:
        async with connect(transport, server) as client:
            result = await client.context.download_file(
                "ctx-1", "/a", str(target), progress=progress
            )
    assert (result.success, result.data) == (True, SIZE)
    assert target.read_bytes() == DATA
    assert list(tmp_path.iterdir()) == [target]
    first, second = storage.transfers
    assert "range" not in first.headers
    resumed_at = int(second.headers["range"].removeprefix("bytes=").removesuffix("-"))
    assert 0 < resumed_at <= SIZE // 2
    assert second.headers["if-range"] == LAST_MODIFIED
    assert url_numbers(storage) == ["1", "2"]
    assert progress.done == sorted(progress.done)  # nothing counted twice
    assert progress.calls[0] == (0, SIZE) and progress.calls[-1] == (SIZE, SIZE)


async def test_a_download_into_a_file_object_resumes_too() -> None:
    storage = Storage(whole_file(cut=True), the_rest)
    sink = io.BytesIO()
    with serving(storage) as server:
        async with connect("default", server) as client:
            result = await client.context.download_file("ctx-1", "/a", sink)
    assert result.success and sink.getvalue() == DATA


async def test_a_download_starts_over_when_storage_sends_the_whole_file(
    transport: str, tmp_path: Path
) -> None:
    storage = Storage(whole_file(cut=True), whole_file())
    progress = Recorder()
    target = tmp_path / "out.bin"
    with serving(storage) as server:
        async with connect(transport, server) as client:
            result = await client.context.download_file("ctx-1", "/a", target, progress=progress)
    assert (result.success, result.data) == (True, SIZE)
    assert target.read_bytes() == DATA
    assert "range" in storage.transfers[1].headers
    assert progress.done.count(0) == 2  # the restart is reported
    assert max(progress.done) == SIZE and progress.calls[-1] == (SIZE, SIZE)


async def test_a_range_that_does_not_match_is_dropped_and_the_next_attempt_starts_over(
    tmp_path: Path,
) -> None:
    storage = Storage(whole_file(cut=True), wrong_range, whole_file())
    target = tmp_path / "out.bin"
    with serving(storage) as server:
        async with connect("default", server) as client:
            result = await client.context.download_file("ctx-1", "/a", target)
    assert result.success and target.read_bytes() == DATA
    assert "range" in storage.transfers[1].headers
    assert "range" not in storage.transfers[2].headers


async def test_a_download_that_had_every_byte_is_complete_at_416(
    transport: str, tmp_path: Path
) -> None:
    storage = Storage(every_byte_but_the_end, nothing_left)
    target = tmp_path / "out.bin"
    with serving(storage) as server:
        async with connect(transport, server) as client:
            result = await client.context.download_file("ctx-1", "/a", target)
    assert (result.success, result.data) == (True, SIZE)
    assert target.read_bytes() == DATA
    assert storage.transfers[1].headers["range"] == f"bytes={SIZE}-"


async def test_a_download_that_keeps_breaking_leaves_no_file(tmp_path: Path) -> None:
    storage = Storage(whole_file(cut=True))
    with serving(storage) as server:
        async with connect("default", server, max_retries=1) as client:
            result = await client.context.download_file("ctx-1", "/a", tmp_path / "out.bin")
    assert not result.success
    assert result.error_message.endswith("(after 2 attempts)")
    assert "s3cr3t" not in result.error_message
    assert list(tmp_path.iterdir()) == []
