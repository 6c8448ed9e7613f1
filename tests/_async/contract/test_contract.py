"""The transport contract: every case runs over both transports of this flavour (aiohttp and
httpx here; urllib3 and httpx in the generated sync twin) against a real local server, and
asserts one outcome (result or exception, message, time bound) for all of them."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import httpx
import pytest

from agentbay import AgentBayError, AsyncAgentBay, ClearanceTimeoutError, Config, Context
from tests.helpers import API_KEY
from tests.hostile import HostileServer, Request, ok, reply, serving

BIG = 32 << 20


@pytest.fixture(params=["default", "httpx"])
def transport(request: pytest.FixtureRequest) -> str:
    """Which transport carries the bytes: the flavour's default, or a user's httpx client."""
    return str(request.param)


def connect(
    transport: str, server: HostileServer, timeout_ms: int = 1000, max_retries: int = 0
) -> AsyncAgentBay:
    """A client of ``server`` over ``transport`` (the httpx client would follow redirects)."""
    cfg = Config(endpoint=server.url, timeout_ms=timeout_ms, max_retries=max_retries)
    if transport == "httpx":
        return AsyncAgentBay(API_KEY, cfg, http_client=httpx.AsyncClient(follow_redirects=True))
    return AsyncAgentBay(API_KEY, cfg)


def presigned(storage: HostileServer) -> dict[str, object]:
    """A Get*Url answer pointing at ``storage``, with a signature in its query."""
    return ok({"Url": f"{storage.url}/blob?Signature=s3cr3t&Expires=9", "ExpireTime": 3600})


def urls_then(storage_handler: object) -> object:
    """A handler that answers RPCs with a presigned URL to itself and hands storage requests
    to ``storage_handler``."""

    def handle(conn: socket.socket, request: Request) -> bool:
        if request.method == "POST":
            request.body()
            url = f"http://{request.headers['host']}/blob?Signature=s3cr3t&Expires=9"
            return reply(conn, 200, ok({"Url": url, "ExpireTime": 3600}))
        return storage_handler(conn, request)  # type: ignore[operator, no-any-return]

    return handle


def trickle(conn: socket.socket, request: Request) -> bool:
    request.body()
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(100):
        time.sleep(0.3)
        conn.sendall(b"{")
    return False


def silent(conn: socket.socket, request: Request) -> bool:
    time.sleep(30)
    return False


def cut_mid_body(conn: socket.socket, request: Request) -> bool:
    request.body()
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"Success": ')
    return False


def garbage(conn: socket.socket, request: Request) -> bool:
    request.body()
    conn.sendall(b"NOT HTTP AT ALL\r\n\r\n")
    return False


async def test_a_trickling_reply_ends_at_the_timeout(transport: str) -> None:
    with serving(trickle) as server:
        async with connect(transport, server) as client:
            started = time.monotonic()
            result = await client.context.list()
            elapsed = time.monotonic() - started
    assert (result.success, result.error_message) == (False, "Request timed out after 1000 ms")
    assert 0.9 < elapsed < 1.6


async def test_a_server_that_never_answers_ends_at_the_timeout(transport: str) -> None:
    with serving(silent) as server:
        async with connect(transport, server) as client:
            started = time.monotonic()
            result = await client.context.get(name="a")
            elapsed = time.monotonic() - started
    assert result.error_message == "Request timed out after 1000 ms"
    assert 0.9 < elapsed < 1.6


async def test_a_reply_cut_mid_body_is_a_broken_connection(transport: str) -> None:
    with serving(cut_mid_body) as server:
        async with connect(transport, server) as client:
            result = await client.context.get(name="a")
    assert result.error_message == (
        "Network error: the connection closed before the reply was complete"
    )


async def test_bytes_that_are_not_http_are_a_protocol_error(transport: str) -> None:
    with serving(garbage) as server:
        async with connect(transport, server) as client:
            result = await client.context.get(name="a")
    assert result.error_message == "Network error: the reply is not valid HTTP"


@pytest.mark.parametrize("length", ["\u00b2", "-1", "12abc", "1, 2"])
async def test_a_content_length_that_is_not_one_is_a_protocol_error(
    transport: str, length: str
) -> None:
    def bad_length(conn: socket.socket, request: Request) -> bool:
        if request.method == "POST":
            request.body()
            url = f"http://{request.headers['host']}/blob?Signature=s3cr3t"
            return reply(conn, 200, ok({"Url": url}))
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\n\r\nabc".encode())
        return False

    with serving(bad_length) as server:
        async with connect(transport, server) as client:
            result = await client.context.download_file("ctx-1", "/a", Collector())
    assert result.error_message == "Network error: the reply is not valid HTTP"


async def test_a_half_read_connection_is_never_reused(transport: str) -> None:
    calls: list[int] = []

    def first_cut_then_fine(conn: socket.socket, request: Request) -> bool:
        request.body()
        calls.append(1)
        if len(calls) == 1:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 50000000\r\n\r\n" + b"x" * 1000)
            time.sleep(1.5)
            return False
        return reply(conn, 200, ok({"Id": "ctx-1", "Name": "a"}))

    with serving(first_cut_then_fine) as server:
        async with connect(transport, server) as client:
            first = await client.context.get(name="a")
            second = await client.context.get(name="a")
    assert first.error_message == "The reply body is over the 16 MiB limit"
    assert second.success and second.context_id == "ctx-1"


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_huge_reply_is_refused_at_the_body_limit(transport: str, chunked: bool) -> None:
    def huge(conn: socket.socket, request: Request) -> bool:
        request.body()
        if not chunked:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 104857600\r\n\r\n[")
            return False
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"100000\r\n" + b"[" * 0x100000 + b"\r\n"
        try:
            for _ in range(100):
                conn.sendall(chunk)
        except OSError:
            pass
        return False

    with serving(huge) as server:
        async with connect(transport, server, timeout_ms=5000) as client:
            result = await client.context.list()
    assert result.error_message == "The reply body is over the 16 MiB limit"


async def test_a_redirect_is_never_followed(transport: str) -> None:
    with serving(lambda conn, request: reply(conn, 200, ok())) as elsewhere:

        def redirect(conn: socket.socket, request: Request) -> bool:
            request.body()
            return reply(conn, 307, b"", {"Location": f"{elsewhere.url}/steal"})

        with serving(redirect) as server:
            async with connect(transport, server) as client:
                result = await client.context.get(name="a")
    assert not result.success and result.error_message.startswith("HTTP 307: ")
    assert elsewhere.requests == []


@pytest.mark.timeout(30)
async def test_retry_after_is_honoured(transport: str) -> None:
    def throttle_once(conn: socket.socket, request: Request) -> bool:
        request.body()
        if len(server.requests) == 1:
            body = {"Code": "Throttling", "Message": "slow down"}
            return reply(conn, 503, body, {"Retry-After": "1.5"})
        return reply(conn, 200, ok({"Id": "ctx-1", "Name": "a"}))

    with serving(throttle_once) as server:
        async with connect(transport, server, max_retries=1) as client:
            result = await client.context.get(name="a")
    first, second = server.requests
    assert result.success and 1.4 < second.arrived - first.arrived < 2.5


async def test_the_key_never_leaves_in_any_encoding(transport: str) -> None:
    def echo(conn: socket.socket, request: Request) -> bool:
        body = request.body().decode()
        return reply(conn, 400, {"Code": "Echo", "Message": f"{body} {API_KEY}"})

    with serving(echo) as server:
        async with connect(transport, server) as client:
            result = await client.context.get(name="a")
    assert result.error_message.startswith("[Echo] ")
    assert "sk-test" not in result.error_message and "<redacted>" in result.error_message


METHODS = [
    ("list", ()),
    ("get", ("a",)),
    ("create", ("a",)),
    ("update", (Context("ctx-1", "b"),)),
    ("delete", (Context("ctx-1", "b"),)),
    ("get_file_download_url", ("ctx-1", "/a")),
    ("get_file_upload_url", ("ctx-1", "/a")),
    ("delete_file", ("ctx-1", "/a")),
    ("list_files", ("ctx-1", "/")),
    ("clear_async", ("ctx-1",)),
    ("get_clear_status", ("ctx-1",)),
    ("clear", ("ctx-1", 1, 0.1)),
    ("upload_file", ("ctx-1", "/a", b"x")),
    ("download_file", ("ctx-1", "/a", "DEST")),
]


NUMBERS = {"Size": "\u00b2", "Count": "\u00b2", "TotalCount": "\u00b2", "ExpireTime": "\u00b2"}
HOSTILE_BODIES = {
    "depth-bomb": b"[" * 100_000,
    "non-ascii-digits": json.dumps(
        {"Success": True, "Data": {"Id": "c", "Url": "http://h/x", **NUMBERS}, **NUMBERS}
    ).encode(),
    "null-data": b'{"Success": true, "Data": null, "RequestId": null}',
    "truncated": b'{"Success": true, "Data": {"Id": "ctx-1", "Na',
}
# Which methods each body must fail (the others may succeed: they read nothing it spoils).
MUST_FAIL = {
    "depth-bomb": {m for m, _ in METHODS},
    "truncated": {m for m, _ in METHODS},
    "non-ascii-digits": {"list", "list_files", "get_file_download_url", "get_file_upload_url"},
    "null-data": {"get", "create", "get_file_download_url", "get_file_upload_url"},
}


@pytest.mark.parametrize("kind", HOSTILE_BODIES)
@pytest.mark.parametrize(("method", "args"), METHODS, ids=[m for m, _ in METHODS])
async def test_hostile_bodies_give_a_failed_result_or_the_documented_error(
    transport: str, method: str, args: tuple[object, ...], kind: str, tmp_path: Path
) -> None:
    def hostile(conn: socket.socket, request: Request) -> bool:
        request.body()
        return reply(conn, 200, HOSTILE_BODIES[kind])

    args = tuple(str(tmp_path / "out") if a == "DEST" else a for a in args)
    with serving(hostile) as server:
        async with connect(transport, server) as client:
            try:
                result = await getattr(client.context, method)(*args)
            except AgentBayError as exc:  # the API says these raise on failure
                assert method in ("clear_async", "clear", "update", "delete"), exc
                return
    if method in MUST_FAIL[kind]:
        assert not result.success and result.error_message


async def iterate(client: AsyncAgentBay, what: str) -> list[object]:
    if what == "contexts":
        return [c async for c in client.context.iter_contexts()]
    return [e async for e in client.context.iter_files("ctx-1", "/")]


@pytest.mark.parametrize("what", ["contexts", "files"])
async def test_an_iterator_stops_when_a_page_repeats(transport: str, what: str) -> None:
    def same_page(conn: socket.socket, request: Request) -> bool:
        request.body()
        entry = {"Id": "ctx-1", "Name": "a", "FilePath": "/a", "FileName": "a"}
        return reply(conn, 200, ok([entry] * 50, NextToken="again"))

    with serving(same_page) as server:
        async with connect(transport, server) as client:
            with pytest.raises(AgentBayError, match="repeated a page") as caught:
                await iterate(client, what)
    assert caught.value.code == "SDK.RepeatedPage"


async def test_clear_is_bounded_by_its_timeout_from_the_first_call(transport: str) -> None:
    with serving(silent) as server:
        async with connect(transport, server, timeout_ms=60_000, max_retries=3) as client:
            started = time.monotonic()
            with pytest.raises(ClearanceTimeoutError):
                await client.context.clear("ctx-1", timeout=1)
            elapsed = time.monotonic() - started
    assert elapsed < 1.6


async def test_a_malformed_presigned_url_is_a_failed_result(transport: str) -> None:
    bad_urls = ["http://[::1/blob?sig=secret", "http://127.0.0.1:99999/blob?sig=secret"]

    def bad_url(conn: socket.socket, request: Request) -> bool:
        request.body()
        url = bad_urls[(len(server.requests) - 1) % 2]
        return reply(conn, 200, ok({"Url": url, "ExpireTime": 3600}))

    with serving(bad_url) as server:
        async with connect(transport, server) as client:
            results = [
                await client.context.upload_file("ctx-1", "/a", b"x"),
                await client.context.upload_file("ctx-1", "/a", b"x"),
                await client.context.download_file("ctx-1", "/a", Collector()),
            ]
    for result in results:
        assert not result.success and result.error_message.startswith("Invalid URL ")
        assert "secret" not in result.error_message


class Collector:
    """A binary writer that keeps what it got."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, chunk: bytes) -> int:
        self.data += chunk
        return len(chunk)


def never_reads(conn: socket.socket, request: Request) -> bool:
    time.sleep(30)
    return False


async def test_an_upload_nobody_reads_stalls_out(transport: str) -> None:
    with serving(urls_then(never_reads)) as server:
        async with connect(transport, server) as client:
            started = time.monotonic()
            result = await client.context.upload_file("ctx-1", "/big", b"x" * BIG)
            elapsed = time.monotonic() - started
    assert result.error_message == "Transfer stalled: nothing moved for 1000 ms"
    assert elapsed < 3


async def test_a_download_that_stalls_fails_and_leaves_no_file(
    transport: str, tmp_path: Path
) -> None:
    def stall_after_some(conn: socket.socket, request: Request) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n" + b"x" * 100)
        time.sleep(30)
        return False

    destination = tmp_path / "out.bin"
    with serving(urls_then(stall_after_some)) as server:
        async with connect(transport, server) as client:
            started = time.monotonic()
            result = await client.context.download_file("ctx-1", "/a", str(destination))
            elapsed = time.monotonic() - started
    assert result.error_message == "Transfer stalled: nothing moved for 1000 ms"
    assert elapsed < 2.5
    assert list(tmp_path.iterdir()) == []


async def test_a_transfer_total_timeout_bounds_a_slow_but_moving_download(
    transport: str, tmp_path: Path
) -> None:
    def drip(conn: socket.socket, request: Request) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n")
        for _ in range(100):
            time.sleep(0.2)
            conn.sendall(b"x")
        return False

    with serving(urls_then(drip)) as server:
        async with connect(transport, server) as client:
            started = time.monotonic()
            result = await client.context.download_file(
                "ctx-1", "/a", str(tmp_path / "x"), timeout=1.0
            )
            elapsed = time.monotonic() - started
    assert result.error_message == "Transfer timed out after 1000 ms"
    assert elapsed < 1.8


async def test_a_storage_error_keeps_no_signature(transport: str) -> None:
    def echo_url(conn: socket.socket, request: Request) -> bool:
        request.body()
        body = f"<Error><Code>SignatureDoesNotMatch</Code><Message>bad {request.path}</Message>"
        return reply(conn, 403, body.encode())

    with serving(urls_then(echo_url)) as server:
        async with connect(transport, server) as client:
            result = await client.context.upload_file("ctx-1", "/a", b"x")
    assert result.error_message.startswith("Storage answered HTTP 403: [SignatureDoesNotMatch]")
    assert "s3cr3t" not in result.error_message


class FailingReader:
    """A file object whose second read fails, as a disk or network share can."""

    def __init__(self) -> None:
        self.reads = 0

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        if self.reads > 1:
            raise OSError(5, "Input/output error")
        return b"x" * size


def accept_upload(conn: socket.socket, request: Request) -> bool:
    request.body()
    return reply(conn, 200, b"")


async def test_a_local_read_error_mid_upload_is_one_clear_message(transport: str) -> None:
    with serving(urls_then(accept_upload)) as server:
        async with connect(transport, server) as client:
            result = await client.context.upload_file("ctx-1", "/a", FailingReader())
    assert result.error_message == "Cannot read the source: Input/output error"


class SlowReader:
    """A slow disk: every read takes 0.2 s, each well within the stall budget."""

    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, size: int = -1) -> bytes:
        time.sleep(0.2)
        chunk = b"y" * min(size, self.left)
        self.left -= len(chunk)
        return chunk


async def test_a_slow_local_file_is_not_a_stall(transport: str) -> None:
    with serving(urls_then(accept_upload)) as server:
        async with connect(transport, server) as client:
            result = await client.context.upload_file("ctx-1", "/a", SlowReader(5 << 20))
    assert result.success and result.data == 5 << 20


@pytest.mark.parametrize("direction", ["upload", "download"])
async def test_an_exception_from_progress_propagates(
    transport: str, direction: str, tmp_path: Path
) -> None:
    def storage(conn: socket.socket, request: Request) -> bool:
        if request.method == "PUT":
            request.body()
            return reply(conn, 200, b"")
        return reply(conn, 200, b"z" * (3 << 20))

    def stop(done: int, total: int | None) -> None:
        if done > 0:
            raise KeyError("stop here")

    destination = tmp_path / "out.bin"
    with serving(urls_then(storage)) as server:
        async with connect(transport, server) as client:
            with pytest.raises(KeyError, match="stop here"):
                if direction == "upload":
                    await client.context.upload_file("ctx-1", "/a", b"q" * (3 << 20), progress=stop)
                else:
                    await client.context.download_file(
                        "ctx-1", "/a", str(destination), progress=stop
                    )
    assert list(tmp_path.iterdir()) == []


async def test_lone_surrogates_are_refused_before_sending(transport: str) -> None:
    with serving(accept_upload) as server:
        async with connect(transport, server) as client:
            with pytest.raises(AgentBayError, match="lone surrogate"):
                await client.context.get(name="a\udcffb")
            with pytest.raises(AgentBayError, match="lone surrogate"):
                await client.context.upload_file("ctx-1", "/a\udcff", b"x")
    assert server.requests == []
