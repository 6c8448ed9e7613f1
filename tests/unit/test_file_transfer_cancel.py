"""A single-file transfer of the async flavour cancelled while its local file is still being
opened (in a worker thread) closes or discards what that opening yields, rather than leave a
file handle or a temporary file behind. (The sync flavour cannot be cancelled midway.)"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from agentbay import Config, _local
from agentbay._async import _file_transfer
from agentbay._async._channel import AsyncChannel
from agentbay._async._file_transfer import FileJob
from tests.helpers import API_KEY


class NeverCalled:
    async def open(self, *args: Any) -> Any:  # pragma: no cover - the transfer never gets here
        raise AssertionError("nothing may be sent")

    async def aclose(self) -> None:
        pass


async def no_url(context_id: str, file_path: str) -> Any:  # pragma: no cover - never reached
    raise AssertionError("no URL may be asked for")


def job() -> FileJob:
    cfg = Config(endpoint="https://agentbay.test", timeout_ms=5000)
    return FileJob(AsyncChannel(API_KEY, cfg, NeverCalled()), no_url, "ctx-1", "/a", None)


@pytest.mark.parametrize("direction", ["upload", "download"])
async def test_what_opens_after_a_cancel_is_released(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, direction: str
) -> None:
    local = tmp_path / "a.bin"
    local.write_bytes(b"data")
    opening, go_on, released = threading.Event(), threading.Event(), threading.Event()
    name = "open_source" if direction == "upload" else "open_destination"
    real_open = getattr(_local, name)

    def slow_open(target: Any) -> Any:
        opening.set()
        go_on.wait(5)
        opened = real_open(target)
        release = opened.close if direction == "upload" else opened.discard

        def recorded() -> None:
            release()
            released.set()

        opened.close = opened.discard = recorded
        return opened

    monkeypatch.setattr(_local, name, slow_open)
    move = _file_transfer.upload if direction == "upload" else _file_transfer.download
    task = asyncio.ensure_future(move(job(), local, None))
    while not opening.is_set():
        await asyncio.sleep(0.001)
    task.cancel()
    go_on.set()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert released.is_set()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.bin"]  # no .part left
