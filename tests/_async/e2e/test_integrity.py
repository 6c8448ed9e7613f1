"""upload_file and download_file check the bytes' CRC-64/XZ against ``x-oss-hash-crc64ecma``:
a corrupted download never reaches the destination, a resumed one still covers the whole file,
an upload stored wrong is sent again and then fails with ``SDK.ChecksumMismatch``, an answer
without the header succeeds unverified, and checking adds no request header. Over both
transports of the flavour, against the emulator's corrupting faults and a scripted storage."""

from __future__ import annotations

import io
import logging
import random
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from agentbay import AgentBayError, AsyncAgentBay, Config
from agentbay._crc64 import crc64
from agentbay_emulator import running
from tests.helpers import API_KEY
from tests.hostile import HostileServer, Request, ok, reply, serving

HEADER = "x-oss-hash-crc64ecma"
DATA = random.Random(21).randbytes(4 << 20)  # 4 MiB: four chunks
SIZE = len(DATA)
CRC = str(crc64(DATA))
LAST_MODIFIED = "Thu, 29 May 2025 12:00:00 GMT"
Step = Callable[[socket.socket, Request], bool]


@pytest.fixture(params=["default", "httpx"])
def transport(request: pytest.FixtureRequest) -> str:
    """Which transport carries the bytes: the flavour's default, or a user's httpx client."""
    return str(request.param)


def connect(
    url: str, transport: str, *, max_retries: int = 3, verify: bool = True
) -> AsyncAgentBay:
    cfg = Config(endpoint=url, timeout_ms=5000, max_retries=max_retries, verify_crc=verify)
    http_client = httpx.AsyncClient() if transport == "httpx" else None
    return AsyncAgentBay(API_KEY, cfg, http_client=http_client)


async def _stored(client: AsyncAgentBay, path: str, data: bytes) -> str:
    context_id = (await client.context.get("integrity", create=True)).context_id
    assert (await client.context.upload_file(context_id, path, data)).success
    return context_id


async def _seeded(tmp_path: Path, transport: str = "default") -> str:
    """Store DATA as /f.bin in an emulator kept in ``tmp_path / "data"``, to be started again
    with faults; the context's id."""
    with running(tmp_path / "data") as url:
        async with connect(url, transport) as client:
            return await _stored(client, "/f.bin", DATA)


# --------------------------------------------------------------------------- the emulator


@pytest.mark.timeout(120)
async def test_every_corrupted_download_is_caught_and_the_destination_kept(
    transport: str, tmp_path: Path
) -> None:
    target = tmp_path / "out.bin"
    context_id = await _seeded(tmp_path, transport)
    with running(tmp_path / "data", faults="transfer_corrupt=1") as url:
        async with connect(url, transport, max_retries=0) as client:
            for attempt in range(100):
                target.write_bytes(b"the previous version")
                result = await client.context.download_file(context_id, "/f.bin", target)
                assert not result.success, attempt
                assert result.code == "SDK.ChecksumMismatch"
                assert "/f.bin: the bytes received give " in result.error_message
                assert f"storage answered {CRC} ({HEADER})" in result.error_message
                assert target.read_bytes() == b"the previous version"  # never touched
                assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out.bin"]


async def test_a_corrupted_download_into_a_file_object_is_dropped(tmp_path: Path) -> None:
    context_id = await _seeded(tmp_path)
    with running(tmp_path / "data", faults="transfer_corrupt=1") as url:
        async with connect(url, "default", max_retries=1) as client:
            sink = io.BytesIO()
            result = await client.context.download_file(context_id, "/f.bin", sink)
    assert result.code == "SDK.ChecksumMismatch"
    assert result.error_message.endswith("(after 2 attempts)")
    assert sink.getvalue() == b""  # what was written is dropped


async def test_a_corrupted_download_is_retried_until_it_verifies(
    transport: str, tmp_path: Path
) -> None:
    target = tmp_path / "out.bin"
    context_id = await _seeded(tmp_path, transport)
    with running(tmp_path / "data", faults="transfer_corrupt=0.5,seed=3") as url:
        async with connect(url, transport, max_retries=10) as client:
            for _ in range(4):
                result = await client.context.download_file(context_id, "/f.bin", target)
                assert (result.success, result.data) == (True, SIZE)
                assert target.read_bytes() == DATA


async def test_an_upload_stored_wrong_is_sent_again_then_fails_with_its_code(
    transport: str,
) -> None:
    with running(faults="put_corrupt=1") as url:
        async with connect(url, transport, max_retries=2) as client:
            context_id = (await client.context.get("integrity", create=True)).context_id
            result = await client.context.upload_file(context_id, "/up.bin", DATA)
        async with connect(url, transport, verify=False) as client:
            stored = io.BytesIO()
            assert (await client.context.download_file(context_id, "/up.bin", stored)).success
    assert not result.success
    assert (result.code, result.http_status_code) == ("SDK.ChecksumMismatch", 0)
    assert result.error_message == (
        f"CRC-64 mismatch on /up.bin: the bytes sent give {CRC}, storage answered "
        f"{crc64(stored.getvalue())} ({HEADER}) (after 3 attempts)"
    )
    assert stored.getvalue() != DATA and len(stored.getvalue()) == SIZE


async def test_an_upload_stored_wrong_now_and_then_ends_stored_right(transport: str) -> None:
    with running(faults="put_corrupt=0.5,seed=4") as url:
        async with connect(url, transport, max_retries=10) as client:
            context_id = (await client.context.get("integrity", create=True)).context_id
            for name in ("/a", "/b", "/c", "/d"):
                assert (await client.context.upload_file(context_id, name, DATA)).success
                back = io.BytesIO()
                assert (await client.context.download_file(context_id, name, back)).success
                assert back.getvalue() == DATA


async def test_folder_transfers_are_checked_file_by_file(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.bin").write_bytes(DATA[:5000])
    (tree / "sub" / "b.bin").write_bytes(DATA[5000:9000])
    with running(tmp_path / "data", faults="put_corrupt=1") as url:
        async with connect(url, "default", max_retries=0) as client:
            context_id = (await client.context.get("integrity", create=True)).context_id
            up = await client.context.upload_folder(context_id, tree, "/t")
    assert sorted(up.failed) == ["/t/a.bin", "/t/sub/b.bin"]
    assert all("CRC-64 mismatch on /t/" in why for why in up.failed.values())
    with running(tmp_path / "data") as url:  # stored wrong: put them right
        async with connect(url, "default") as client:
            again = await client.context.upload_folder(context_id, tree, "/t", only_changed=False)
            assert again.success and len(again.transferred) == 2
    with running(tmp_path / "data", faults="transfer_corrupt=1") as url:
        async with connect(url, "default", max_retries=0) as client:
            down = await client.context.download_folder(context_id, "/t/", tmp_path / "copy")
    assert sorted(down.failed) == ["/t/a.bin", "/t/sub/b.bin"]
    assert [p for p in (tmp_path / "copy").rglob("*") if p.is_file()] == []


async def test_with_checking_off_nothing_is_checked(tmp_path: Path) -> None:
    context_id = await _seeded(tmp_path)
    with running(tmp_path / "data", faults="transfer_corrupt=1,put_corrupt=1") as url:
        async with connect(url, "default", max_retries=0, verify=False) as client:
            sink = io.BytesIO()
            assert (await client.context.download_file(context_id, "/f.bin", sink)).success
            assert sink.getvalue() != DATA and len(sink.getvalue()) == SIZE  # as the user asked
            assert (await client.context.upload_file(context_id, "/g", b"123456789")).success
    with pytest.raises(AgentBayError, match="verify_crc must be a bool"):
        Config(endpoint="http://127.0.0.1:1", timeout_ms=1000, verify_crc=1)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- scripted storage


class Storage:
    """Answers each URL request with a fresh URL (``?n=1``, ``?n=2``, ...) and the storage
    requests with ``steps`` in turn (the last one again and again)."""

    def __init__(self, *steps: Step) -> None:
        self.steps = steps
        self.urls = 0
        self.transfers: list[Request] = []

    def __call__(self, conn: socket.socket, request: Request) -> bool:
        if request.method == "POST":
            request.body()
            self.urls += 1
            url = f"http://{request.headers['host']}/blob?n={self.urls}&Signature=s3cr3t"
            return reply(conn, 200, ok({"Url": url, "ExpireTime": 3600}))
        self.transfers.append(request)
        step = self.steps[min(len(self.transfers), len(self.steps)) - 1]
        return step(conn, request)


def connect_to(server: HostileServer, transport: str, verify: bool = True) -> AsyncAgentBay:
    return connect(server.url, transport, verify=verify)


def stored(crc: str | None = CRC) -> Step:
    """Take an upload and answer 200, with ``crc`` as the header unless None."""

    def answer(conn: socket.socket, request: Request) -> bool:
        request.body()
        return reply(conn, 200, b"", {} if crc is None else {HEADER: crc})

    return answer


def whole_file(cut_at: float | None = None, crc: str | None = CRC, data: bytes = DATA) -> Step:
    """200 and the whole file; if ``cut_at``, only that fraction of it, then the connection
    closes (a moment later: a client may drop what it had not read when the close arrives)."""

    def answer(conn: socket.socket, request: Request) -> bool:
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {SIZE}\r\nLast-Modified: {LAST_MODIFIED}\r\n"
        head += "" if crc is None else f"{HEADER}: {crc}\r\n"
        body = data if cut_at is None else data[: int(SIZE * cut_at)]
        conn.sendall(head.encode() + b"\r\n" + body)
        if cut_at is not None:
            time.sleep(0.2)
        return cut_at is None

    return answer


def the_rest(data: bytes = DATA) -> Step:
    """206 and the range asked for (``bytes=N-``), with the whole file's CRC."""

    def answer(conn: socket.socket, request: Request) -> bool:
        first = int(re.fullmatch(r"bytes=(\d+)-", request.headers["range"]).group(1))  # type: ignore[union-attr]
        head = (
            f"HTTP/1.1 206 Partial Content\r\nContent-Length: {SIZE - first}\r\n"
            f"Content-Range: bytes {first}-{SIZE - 1}/{SIZE}\r\n{HEADER}: {CRC}\r\n\r\n"
        )
        conn.sendall(head.encode() + data[first:])
        return True

    return answer


def flipped(data: bytes, offset: int) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= 0xFF
    return bytes(changed)


@pytest.mark.parametrize("cut_at", [0.3, 0.6, 0.9])
async def test_a_resumed_download_still_verifies_the_whole_file(
    transport: str, cut_at: float, tmp_path: Path
) -> None:
    storage = Storage(whole_file(cut_at), the_rest())
    target = tmp_path / "out.bin"
    with serving(storage) as server:
        async with connect_to(server, transport) as client:
            result = await client.context.download_file("ctx-1", "/a", target)
    assert (result.success, result.data) == (True, SIZE)
    assert target.read_bytes() == DATA
    first, second = storage.transfers
    assert "range" not in first.headers
    assert 0 < int(second.headers["range"][6:-1]) <= SIZE * cut_at  # resumed, and it verified


@pytest.mark.parametrize("bad_part", ["kept", "resumed"])
async def test_a_resumed_download_with_a_bad_byte_starts_over(
    transport: str, bad_part: str, tmp_path: Path
) -> None:
    """A byte of the first part (kept from the broken attempt) or of the rest is wrong: the
    CRC of the whole file says so, and the next attempt asks for the whole file."""
    bad = flipped(DATA, 1000 if bad_part == "kept" else SIZE - 1000)
    storage = Storage(whole_file(0.6, data=bad), the_rest(bad), whole_file())
    target = tmp_path / "out.bin"
    with serving(storage) as server:
        async with connect_to(server, transport) as client:
            result = await client.context.download_file("ctx-1", "/a", target)
    assert result.success and target.read_bytes() == DATA
    assert [("range" in t.headers) for t in storage.transfers] == [False, True, False]


@pytest.mark.parametrize("value", ["", "-1", "1e5", str(1 << 64), "\u0663", "1, 2", "0x1f"])
async def test_an_unreadable_header_is_a_mismatch(transport: str, value: str) -> None:
    storage = Storage(whole_file(crc=value))
    with serving(storage) as server:
        async with connect(server.url, transport, max_retries=1) as client:
            result = await client.context.download_file("ctx-1", "/a", io.BytesIO())
    assert result.code == "SDK.ChecksumMismatch"
    assert "storage answered the unreadable " in result.error_message
    assert len(storage.transfers) == 2


async def test_answers_without_the_header_succeed_unverified(
    transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    storage = Storage(stored(None), whole_file(crc=None))
    sink = io.BytesIO()
    with serving(storage) as server, caplog.at_level(logging.DEBUG, logger="agentbay"):
        async with connect_to(server, transport) as client:
            up = await client.context.upload_file("ctx-1", "/a", DATA)
            down = await client.context.download_file("ctx-1", "/a", sink)
    assert (up.success, up.data, down.success, down.data) == (True, SIZE, True, SIZE)
    assert sink.getvalue() == DATA
    lines = [r.getMessage() for r in caplog.records if "not verified" in r.getMessage()]
    assert lines == [
        f"Upload of /a not verified: storage answered without {HEADER}",
        f"Download of /a not verified: storage answered without {HEADER}",
    ]


async def test_verified_transfers_log_nothing_about_it(
    transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    storage = Storage(stored(), whole_file())
    with serving(storage) as server, caplog.at_level(logging.DEBUG, logger="agentbay"):
        async with connect_to(server, transport) as client:
            assert (await client.context.upload_file("ctx-1", "/a", DATA)).success
            assert (await client.context.download_file("ctx-1", "/a", io.BytesIO())).success
    assert not [r for r in caplog.records if "verified" in r.getMessage()]


async def test_an_upload_sends_the_same_headers_with_checking_on_and_off(transport: str) -> None:
    sent = []
    for verify in (True, False):
        storage = Storage(stored(), whole_file())
        with serving(storage) as server:
            async with connect_to(server, transport, verify) as client:
                assert (await client.context.upload_file("ctx-1", "/a", DATA)).success
                assert (await client.context.download_file("ctx-1", "/a", io.BytesIO())).success
        for request in storage.transfers:
            request.headers.pop("host")  # the port differs from server to server
        sent.append([(t.method, list(t.headers.items())) for t in storage.transfers])
    assert sent[0] == sent[1]
    assert not any(HEADER in dict(h) or "content-md5" in dict(h) for _, h in sent[0])


async def test_a_mismatching_upload_tries_a_fresh_url_each_time(transport: str) -> None:
    storage = Storage(stored("12345"), stored(CRC))
    with serving(storage) as server:
        async with connect_to(server, transport) as client:
            result = await client.context.upload_file("ctx-1", "/a", DATA)
    assert result.success
    assert [t.path.split("?n=")[1][0] for t in storage.transfers] == ["1", "2"]


async def test_a_pipe_whose_upload_mismatches_is_not_sent_again() -> None:
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self._data = io.BytesIO(DATA)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            return self._data.readinto(buffer)

    storage = Storage(stored("12345"))
    with serving(storage) as server:
        async with connect_to(server, "default") as client:
            result = await client.context.upload_file("ctx-1", "/a", io.BufferedReader(Pipe()))
    assert result.code == "SDK.ChecksumMismatch"
    assert result.error_message.endswith(
        "(not retried: the source cannot be read again from its start)"
    )
    assert len(storage.transfers) == 1
