"""upload_file and download_file against the live emulator: contents, progress, failures."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from agentbay import AgentBayError, AsyncAgentBay, Config
from agentbay._async._io import sleep
from agentbay_emulator import running
from tests.helpers import OneWay

DATA = os.urandom(3 * 1024 * 1024 + 123)
BIG_MIB = 256
RSS_LIMIT_MB = 120


@pytest.fixture
async def context_id(agent_bay: AsyncAgentBay) -> str:
    return (await agent_bay.context.create("transfers")).context_id


class Recorder:
    """A progress callback that keeps every report."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int | None]] = []

    def __call__(self, done: int, total: int | None) -> None:
        self.calls.append((done, total))

    def check(self, size: int, total: int | None) -> None:
        """Monotonic, from 0 to ``size``, with the same ``total`` throughout."""
        done = [d for d, _ in self.calls]
        assert done == sorted(done)
        assert done[0] == 0 and done[-1] == size
        assert {t for _, t in self.calls} == {total}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tamper(monkeypatch: pytest.MonkeyPatch, agent_bay: AsyncAgentBay, name: str, url: str) -> None:
    """Make ``agent_bay.context.<name>`` hand out ``url`` (``{}`` is the real URL)."""
    original = getattr(agent_bay.context, name)

    async def tampered(*args: Any) -> Any:
        result = await original(*args)
        result.url = url.format(result.url)
        return result

    monkeypatch.setattr(agent_bay.context, name, tampered)


# --------------------------------------------------------------------------- round trips


async def test_path_to_path(agent_bay: AsyncAgentBay, context_id: str, tmp_path: Path) -> None:
    source, target = tmp_path / "source.bin", tmp_path / "target.bin"
    source.write_bytes(DATA)

    up = await agent_bay.context.upload_file(context_id, "/data/a.bin", source)
    down = await agent_bay.context.download_file(context_id, "/data/a.bin", str(target))

    assert (up.success, up.data, up.error_message) == (True, len(DATA), "")
    assert up.request_id and down.request_id
    assert (down.success, down.data) == (True, len(DATA))
    assert sha256(target.read_bytes()) == sha256(DATA)
    assert sorted(os.listdir(tmp_path)) == ["source.bin", "target.bin"]


async def test_bytes_to_file_object(agent_bay: AsyncAgentBay, context_id: str) -> None:
    assert (await agent_bay.context.upload_file(context_id, "/b.bin", DATA)).success
    sink = io.BytesIO()
    assert (await agent_bay.context.download_file(context_id, "/b.bin", sink)).success
    assert sha256(sink.getvalue()) == sha256(DATA)


async def test_file_object_is_read_from_its_position(
    agent_bay: AsyncAgentBay, context_id: str, tmp_path: Path
) -> None:
    source = io.BytesIO(b"skipped" + DATA)
    source.seek(len(b"skipped"))
    result = await agent_bay.context.upload_file(context_id, "/c.bin", source)
    assert (result.success, result.data) == (True, len(DATA))
    target = tmp_path / "c.bin"
    assert (await agent_bay.context.download_file(context_id, "/c.bin", target)).success
    assert sha256(target.read_bytes()) == sha256(DATA)


async def test_an_upload_replaces_the_file(agent_bay: AsyncAgentBay, context_id: str) -> None:
    await agent_bay.context.upload_file(context_id, "/d.txt", b"first version")
    await agent_bay.context.upload_file(context_id, "/d.txt", bytearray(b"second"))
    sink = io.BytesIO()
    await agent_bay.context.download_file(context_id, "/d.txt", sink)
    assert sink.getvalue() == b"second"


async def test_progress_of_a_known_size(
    agent_bay: AsyncAgentBay, context_id: str, tmp_path: Path
) -> None:
    up, down = Recorder(), Recorder()
    await agent_bay.context.upload_file(context_id, "/p.bin", DATA, progress=up)
    await agent_bay.context.download_file(context_id, "/p.bin", tmp_path / "p", progress=down)
    up.check(len(DATA), len(DATA))
    down.check(len(DATA), len(DATA))
    assert len(up.calls) >= 5  # (0, total), then after each 1 MiB chunk read from the source
    # a download reports each piece the transport hands over: more than one for 3 MiB, however
    # the pieces fall (aiohttp buffers at most about 2 MiB)
    assert len(down.calls) >= 3


async def test_a_stream_of_unknown_size(agent_bay: AsyncAgentBay, context_id: str) -> None:
    progress = Recorder()
    with io.BufferedReader(OneWay(DATA)) as source:
        result = await agent_bay.context.upload_file(
            context_id, "/pipe.bin", source, progress=progress
        )
    assert (result.success, result.data) == (True, len(DATA))
    progress.check(len(DATA), None)
    sink = io.BytesIO()
    await agent_bay.context.download_file(context_id, "/pipe.bin", sink)
    assert sha256(sink.getvalue()) == sha256(DATA)


async def test_an_empty_file(agent_bay: AsyncAgentBay, context_id: str, tmp_path: Path) -> None:
    up, down = Recorder(), Recorder()
    assert (await agent_bay.context.upload_file(context_id, "/e", b"", progress=up)).success
    target = tmp_path / "e"
    assert (await agent_bay.context.download_file(context_id, "/e", target, progress=down)).success
    assert target.read_bytes() == b""
    assert up.calls == down.calls == [(0, 0)]


# --------------------------------------------------------------------------- failures


def leave_a_destination(tmp_path: Path) -> Path:
    target = tmp_path / "kept.bin"
    target.write_bytes(b"old contents")
    return target


def assert_untouched(target: Path) -> None:
    assert target.read_bytes() == b"old contents"
    assert os.listdir(target.parent) == [target.name]


async def test_a_missing_file_is_a_404_that_leaves_the_destination_alone(
    agent_bay: AsyncAgentBay, context_id: str, tmp_path: Path
) -> None:
    target = leave_a_destination(tmp_path)
    result = await agent_bay.context.download_file(context_id, "/missing.bin", target)
    assert result.success is False
    assert result.error_message.startswith("Storage answered HTTP 404: [NoSuchKey] ")
    assert result.request_id
    assert_untouched(target)
    fresh = tmp_path / "fresh.bin"
    assert not (await agent_bay.context.download_file(context_id, "/missing", fresh)).success
    assert not fresh.exists()


async def test_a_refused_url_is_a_failed_result(agent_bay: AsyncAgentBay, tmp_path: Path) -> None:
    target = leave_a_destination(tmp_path)
    up = await agent_bay.context.upload_file("ctx-missing", "/a", b"data")
    down = await agent_bay.context.download_file("ctx-missing", "/a", target)
    for result in (up, down):
        assert result.success is False
        assert result.error_message.startswith("[InvalidContext.NotFound] ")
        assert result.request_id
    assert_untouched(target)


async def test_storage_403_on_a_tampered_download_url(
    agent_bay: AsyncAgentBay, context_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await agent_bay.context.upload_file(context_id, "/t.bin", DATA)
    target = leave_a_destination(tmp_path)
    tamper(monkeypatch, agent_bay, "get_file_download_url", "{}0")
    result = await agent_bay.context.download_file(context_id, "/t.bin", target)
    assert result.success is False
    assert result.error_message == (
        "Storage answered HTTP 403: [SignatureDoesNotMatch] The request signature does not match."
    )
    assert_untouched(target)


@pytest.fixture
def short_lived_urls() -> Generator[str, None, None]:
    """An emulator whose presigned URLs expire after a second."""
    with running(url_ttl=1) as url:
        yield url


@pytest.mark.timeout(60)
async def test_storage_403_on_an_expired_upload_url(
    short_lived_urls: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = Config(endpoint=short_lived_urls, timeout_ms=10_000)
    async with AsyncAgentBay(api_key="sk-expiry-test", cfg=cfg) as agent_bay:
        context_id = (await agent_bay.context.create("expiry")).context_id
        signed = await agent_bay.context.get_file_upload_url(context_id, "/late.bin")
        await sleep(2.1)

        async def expired(*args: Any) -> Any:
            return signed

        monkeypatch.setattr(agent_bay.context, "get_file_upload_url", expired)
        result = await agent_bay.context.upload_file(context_id, "/late.bin", DATA)
        assert result.success is False
        assert result.error_message == (
            "Storage answered HTTP 403: [AccessDenied] Request has expired."
        )
        assert [e async for e in agent_bay.context.iter_files(context_id, "/")] == []


async def test_unreachable_storage_is_a_failed_result(
    agent_bay: AsyncAgentBay, context_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await agent_bay.context.upload_file(context_id, "/n.bin", b"data")
    target = leave_a_destination(tmp_path)
    tamper(monkeypatch, agent_bay, "get_file_download_url", "http://127.0.0.1:1/nowhere")
    tamper(monkeypatch, agent_bay, "get_file_upload_url", "http://127.0.0.1:1/nowhere")
    down = await agent_bay.context.download_file(context_id, "/n.bin", target)
    up = await agent_bay.context.upload_file(context_id, "/n.bin", b"data")
    for result in (up, down):
        assert result.success is False
        assert result.error_message.startswith("Network error: ")
    assert_untouched(target)


async def test_a_download_cut_short_removes_its_temporary_file(
    agent_bay: AsyncAgentBay, context_id: str, tmp_path: Path
) -> None:
    await agent_bay.context.upload_file(context_id, "/cut.bin", DATA)
    target = leave_a_destination(tmp_path)

    def interrupt(done: int, total: int | None) -> None:
        if done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await agent_bay.context.download_file(context_id, "/cut.bin", target, progress=interrupt)
    assert_untouched(target)


@pytest.mark.parametrize(
    ("context_id", "file_path", "source", "message"),
    [
        ("", "/a", b"x", "context_id must not be empty"),
        ("ctx-1", "", b"x", "file_path must not be empty"),
        ("ctx-1", None, b"x", "file_path must be a string"),
        ("ctx-1", "/a", 42, "source must be a path, bytes or a binary file object, got int"),
        ("ctx-1", "/a", io.StringIO("text"), "source must be .* got StringIO"),
        ("ctx-1", "/a", "/no/such/file", "Cannot read /no/such/file: No such file"),
    ],
)
async def test_bad_uploads_are_refused_before_sending(
    agent_bay: AsyncAgentBay, context_id: Any, file_path: Any, source: Any, message: str
) -> None:
    with pytest.raises(AgentBayError, match=message):
        await agent_bay.context.upload_file(context_id, file_path, source)


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        (42, "destination must be a path or a binary file object, got int"),
        (io.StringIO(), "destination must be .* got StringIO"),
        ("/no/such/folder/file", "Cannot write /no/such/folder/file: No such file"),
        (".", "Cannot write .: it is a directory"),
    ],
)
async def test_bad_downloads_are_refused_before_sending(
    agent_bay: AsyncAgentBay, destination: Any, message: str
) -> None:
    with pytest.raises(AgentBayError, match=message):
        await agent_bay.context.download_file("ctx-1", "/a", destination)


async def test_a_progress_that_is_not_callable_is_refused(agent_bay: AsyncAgentBay) -> None:
    progress: Any = "bar"
    with pytest.raises(AgentBayError, match="progress must be callable, got str"):
        await agent_bay.context.upload_file("ctx-1", "/a", b"x", progress=progress)
    with pytest.raises(AgentBayError, match="progress must be callable, got str"):
        await agent_bay.context.download_file("ctx-1", "/a", io.BytesIO(), progress=progress)


# --------------------------------------------------------------------------- memory

MEMORY_SCRIPT = """
import asyncio, sys
from agentbay import AsyncAgentBay, Config

async def main(url, source, target):
    cfg = Config(endpoint=url, timeout_ms=60_000)
    async with AsyncAgentBay(api_key="sk-memory-test", cfg=cfg) as client:
        context_id = (await client.context.create("memory")).context_id
        up = await client.context.upload_file(context_id, "/big.bin", source)
        down = await client.context.download_file(context_id, "/big.bin", target)
        assert up.success and down.success, (up, down)

outcome = main(*sys.argv[1:])
if asyncio.iscoroutine(outcome):
    asyncio.run(outcome)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forked pytest process.
with open("/proc/self/status") as status:
    print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""


def write_big_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "wb") as file:
        for _ in range(BIG_MIB):
            chunk = os.urandom(1 << 20)
            digest.update(chunk)
            file.write(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@pytest.mark.timeout(300)
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads Linux's VmHWM")
def test_a_256_mib_round_trip_keeps_memory_flat(emulator_url: str, tmp_path: Path) -> None:
    source, target = tmp_path / "big.bin", tmp_path / "back.bin"
    expected = write_big_file(source)
    run = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, emulator_url, str(source), str(target)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    peak_mb = int(run.stdout.split()[-1]) / 1024  # VmHWM is in KiB
    assert peak_mb < RSS_LIMIT_MB
    assert file_sha256(target) == expected
