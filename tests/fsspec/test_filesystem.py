"""AgentBayFileSystem against the emulator: paths and contexts, reads and ranges, writes, the
listings cache, errors, concurrency, pickling, fork-safety, and the async flavour."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import fsspec
import pytest

from agentbay import AgentBay, AsyncAgentBay, Config
from agentbay.fsspec import AgentBayFileSystem


def test_import_agentbay_does_not_import_fsspec() -> None:
    code = "import sys, agentbay; print('fsspec' in sys.modules, 'agentbay.fsspec' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_registered_for_the_protocol(fs_options: dict[str, Any]) -> None:
    assert fsspec.get_filesystem_class("agentbay") is AgentBayFileSystem
    fs = fsspec.filesystem("agentbay", **fs_options)
    fs.mkdir("ctx")
    with fsspec.open("agentbay://ctx/a.csv", "w", **fs_options) as f:
        f.write("a,b\n1,2\n")
    with fsspec.open("agentbay://ctx/a.csv", "r", **fs_options) as f:
        assert f.read() == "a,b\n1,2\n"
    assert fsspec.core.url_to_fs("agentbay://ctx/a.csv", **fs_options)[1] == "ctx/a.csv"


def test_contexts_are_the_top_level(agentbay_fs: Any) -> None:
    fs = agentbay_fs
    assert fs.ls("", detail=False) == ["data"]
    assert fs.isdir("data") and fs.info("data")["type"] == "directory"
    with pytest.raises(FileExistsError):
        fs.mkdir("data")
    with pytest.raises(FileNotFoundError, match="No context named 'missing'"):
        fs.ls("missing")
    with pytest.raises(FileNotFoundError):
        fs.pipe("missing/a.txt", b"x")
    fs.makedirs("other/deep/folder", exist_ok=True)  # creates the context, nothing else
    assert fs.ls("", detail=False) == ["data", "other"]
    assert fs.ls("other") == []


def test_a_context_is_deleted_only_by_rmdir_when_empty(agentbay_fs: Any) -> None:
    fs = agentbay_fs
    fs.pipe({"data/a/1.txt": b"1", "data/b.txt": b"2"})
    with pytest.raises(OSError, match="not empty"):
        fs.rmdir("data")
    with pytest.raises(IsADirectoryError):
        fs.rm("data/a")  # a folder, without recursive=True
    with pytest.raises(IsADirectoryError):
        fs.rm_file("data/a")  # the service would delete everything below it
    assert fs.cat("data/a/1.txt") == b"1"
    with pytest.raises(ValueError, match="top level"):
        fs.rm("", recursive=True)
    fs.rm("data", recursive=True)
    assert fs.ls("", detail=False) == ["data"]  # emptied, not deleted
    assert fs.ls("data") == []
    fs.rmdir("data")
    assert fs.ls("") == []


def test_info_and_listing(agentbay_fs: Any) -> None:
    fs = agentbay_fs
    fs.pipe({"data/x/y/z.bin": b"12345", "data/x/w.txt": b"ab"})
    assert fs.ls("data/x", detail=False) == ["data/x/y", "data/x/w.txt"]
    info = fs.info("data/x/y/z.bin")
    assert (info["name"], info["size"], info["type"]) == ("data/x/y/z.bin", 5, "file")
    assert fs.info("data/x/y")["type"] == "directory"
    assert isinstance(fs.modified("data/x/w.txt"), datetime)
    assert fs.modified("data/x/w.txt").tzinfo is not None
    assert fs.ls("data/x/w.txt", detail=False) == ["data/x/w.txt"]
    with pytest.raises(IsADirectoryError):
        fs.open("data/x", "rb")
    assert isinstance(fs.modified("data"), datetime)  # a context: its listing's time
    assert fs.find("data") == ["data/x/w.txt", "data/x/y/z.bin"]
    assert fs.find("data", withdirs=True, maxdepth=2) == [
        "data",
        "data/x",
        "data/x/w.txt",
        "data/x/y",
    ]
    assert fs.glob("agentbay://data/**/*.bin") == ["data/x/y/z.bin"]
    assert fs.du("data") == 7
    with pytest.raises(FileNotFoundError):
        fs.info("data/x/nothing")
    assert not fs.exists("data/nothing/deeper")


def test_ranges(agentbay_fs: Any) -> None:
    fs = agentbay_fs
    fs.pipe("data/r.bin", bytes(range(100)))
    assert fs.cat_file("data/r.bin", 10, 20) == bytes(range(10, 20))
    assert fs.cat_file("data/r.bin", -5) == bytes(range(95, 100))  # a suffix
    assert fs.cat_file("data/r.bin", -10, -5) == bytes(range(90, 95))
    assert fs.cat_file("data/r.bin", 90, 500) == bytes(range(90, 100))
    assert fs.cat_file("data/r.bin", 100) == b""
    assert fs.cat_file("data/r.bin", 30, 30) == b""
    assert fs.cat_file("data/r.bin", 40, 30) == b""
    assert fs.cat_ranges(["data/r.bin", "data/r.bin"], [0, 50], [2, 52]) == [b"\0\1", b"23"]
    got = fs.cat_ranges(["data/r.bin", "data/nothing", "data/r.bin"], [-2, 0, 98], [None, 1, 120])
    assert got[0] == bytes([98, 99]) and got[2] == bytes([98, 99])
    assert isinstance(got[1], FileNotFoundError)  # a missing file fails its own range only
    fs.pipe("data/empty", b"")
    assert fs.cat_file("data/empty") == b""
    assert fs.cat_file("data/empty", 0, 10) == b""
    with fs.open("data/r.bin", "rb", block_size=16) as f:
        f.seek(-3, 2)
        assert f.read() == bytes([97, 98, 99])
        f.seek(5)
        assert f.read(3) == bytes([5, 6, 7])


def test_write_modes(agentbay_fs: Any, tmp_path: Path) -> None:
    fs = agentbay_fs
    fs.pipe_file("data/p", b"one")
    with pytest.raises(FileExistsError):
        fs.pipe_file("data/p", b"two", mode="create")
    with pytest.raises(FileExistsError):
        fs.open("data/p", "xb")
    with fs.open("data/new", "xb") as f:
        f.write(b"created")
    assert fs.cat("data/new") == b"created"
    with pytest.raises(NotImplementedError, match="Append"):
        fs.open("data/p", "ab")
    local = tmp_path / "local.txt"
    local.write_bytes(b"from disk")
    with pytest.raises(FileExistsError):
        fs.put_file(str(local), "data/p", mode="create")
    fs.put_file(str(local), "data/q", mode="create")
    fs.mv("data/q", "data/moved/q")  # a copy, then a delete: no server-side move
    assert fs.cat("data/moved/q") == b"from disk" and not fs.exists("data/q")
    # A write bigger than the block size spools to a temporary file and goes up once.
    with fs.open("data/big", "wb", block_size=5 * 2**20) as f:
        for _ in range(12):
            f.write(b"z" * 2**20)
        assert not fs.exists("data/big")  # nothing until close
    assert fs.size("data/big") == 12 * 2**20


def test_failed_upload_raises_on_close_and_leaves_nothing(fs_endpoint: str) -> None:
    from agentbay_emulator import running

    with running(clear_delay=0.1, faults="transfer_error=1.0") as endpoint:
        fs = AgentBayFileSystem(
            api_key="k",
            endpoint=endpoint,
            timeout_ms=10_000,
            max_retries=0,
            skip_instance_cache=True,
        )
        fs.mkdir("c")
        f = fs.open("c/a.txt", "wb")
        f.write(b"data")
        with pytest.raises(OSError, match="503") as caught:
            f.close()
        assert f.closed
        assert "sig=" not in str(caught.value)
        assert fs.ls("c") == []


@pytest.mark.timeout(60)
def test_reads_are_retried_through_cut_transfers() -> None:
    from agentbay_emulator import running

    data = bytes(range(256)) * 4096  # 1 MiB
    with running(clear_delay=0.1, faults="transfer_cut=0.5,seed=5") as endpoint:
        fs = AgentBayFileSystem(
            api_key="k",
            endpoint=endpoint,
            timeout_ms=10_000,
            max_retries=8,
            skip_instance_cache=True,
        )
        fs.mkdir("c")
        fs.pipe("c/d.bin", data)  # uploads are retried by the SDK
        for start in range(0, len(data), 200_000):
            assert fs.cat_file("c/d.bin", start, start + 1000) == data[start : start + 1000]
        assert fs.cat_file("c/d.bin", -10) == data[-10:]
    with running(clear_delay=0.1, faults="transfer_error=1.0") as endpoint:
        fs = AgentBayFileSystem(
            api_key="k",
            endpoint=endpoint,
            timeout_ms=10_000,
            max_retries=1,
            skip_instance_cache=True,
        )
        fs.mkdir("c")
        with pytest.raises(OSError, match=r"HTTP 503 \(after 2 attempts\)") as caught:
            fs.cat_file("c/d.bin", 0, 10)
        assert caught.value.code == "ServiceUnavailable"
        assert "sig=" not in str(caught.value)


def test_a_write_is_seen_by_the_next_listing(agentbay_fs: Any) -> None:
    fs = agentbay_fs
    assert fs.ls("data") == []  # cached, empty
    assert fs.find("data") == []
    fs.pipe("data/a/b/c.txt", b"1")
    assert fs.ls("data", detail=False) == ["data/a"]
    assert fs.ls("data/a/b", detail=False) == ["data/a/b/c.txt"]
    with fs.open("data/a/d.txt", "wb") as f:
        f.write(b"2")
    assert fs.find("data") == ["data/a/b/c.txt", "data/a/d.txt"]
    fs.rm("data/a/b/c.txt")
    assert fs.find("data") == ["data/a/d.txt"]


def test_outside_writes_are_seen_after_invalidate_cache(fs_options: dict[str, Any]) -> None:
    fs = AgentBayFileSystem(**fs_options)
    fs.mkdir("c")
    assert fs.ls("c") == []
    cfg = Config(endpoint=fs_options["endpoint"], timeout_ms=10_000)
    with AgentBay(api_key=fs_options["api_key"], cfg=cfg) as agent_bay:
        context_id = agent_bay.context.get(name="c").context_id
        assert agent_bay.context.upload_file(context_id, "/outside.txt", b"x").success
    assert fs.ls("c") == []  # the cached listing, until told
    fs.invalidate_cache("c")
    assert fs.ls("c", detail=False) == ["c/outside.txt"]
    uncached = AgentBayFileSystem(**fs_options, use_listings_cache=False)
    with AgentBay(api_key=fs_options["api_key"], cfg=cfg) as agent_bay:
        assert agent_bay.context.upload_file(context_id, "/second.txt", b"y").success
    assert uncached.ls("c", detail=False) == ["c/outside.txt", "c/second.txt"]
    assert fs.ls("c", detail=False, refresh=True) == ["c/outside.txt", "c/second.txt"]
    expiring = AgentBayFileSystem(**fs_options, listings_expiry_time=0.2)
    assert len(expiring.ls("c")) == 2
    with AgentBay(api_key=fs_options["api_key"], cfg=cfg) as agent_bay:
        assert agent_bay.context.upload_file(context_id, "/third.txt", b"z").success
    assert len(expiring.ls("c")) == 2  # cached
    time.sleep(0.3)
    assert len(expiring.ls("c")) == 3  # the cached listing expired


def test_errors_are_pythons_and_carry_no_secret(fs_endpoint: str) -> None:
    from agentbay_emulator import running

    with running(clear_delay=0.1, api_keys=["good-key"]) as endpoint:
        fs = AgentBayFileSystem(api_key="bad-secret-key", endpoint=endpoint, timeout_ms=10_000)
        with pytest.raises(PermissionError) as caught:
            fs.ls("")
        assert "bad-secret-key" not in str(caught.value)
        good = AgentBayFileSystem(api_key="good-key", endpoint=endpoint, timeout_ms=10_000)
        good.mkdir("c")
        with pytest.raises(FileNotFoundError) as missing:
            good.cat_file("c/nothing", 0, 10)
        assert "sig=" not in str(missing.value) and "good-key" not in str(missing.value)
        with pytest.raises(OSError) as bad:
            good.pipe("c/../x", b"1")
        assert bad.value.code == "InvalidParameter.FilePath"  # the service's code
        assert "[InvalidParameter.FilePath]" in str(bad.value)


@pytest.mark.timeout(30)
def test_batches_run_concurrently_from_threads(agentbay_fs: Any, tmp_path: Any) -> None:
    fs = agentbay_fs
    fs.pipe({f"data/many/{i:03}": str(i).encode() for i in range(60)}, batch_size=8)
    got = fs.cat("data/many/*")
    assert got == {f"data/many/{i:03}": str(i).encode() for i in range(60)}
    with ThreadPoolExecutor(4) as pool:
        found = list(pool.map(lambda i: fs.cat_file(f"data/many/{i:03}"), range(60)))
    assert found == [str(i).encode() for i in range(60)]
    fs.get("data/many/", str(tmp_path / "local") + "/", recursive=True)
    assert sorted(os.listdir(tmp_path / "local")) == [f"{i:03}" for i in range(60)]
    fs.rm([f"data/many/{i:03}" for i in range(30)])
    assert len(fs.ls("data/many")) == 30


def test_sign_gives_a_download_url(agentbay_fs: Any) -> None:
    agentbay_fs.pipe("data/s.txt", b"signed")
    with urllib.request.urlopen(agentbay_fs.sign("data/s.txt")) as answer:
        assert answer.read() == b"signed"


def test_pickles_with_a_client_as_key_and_config(fs_options: dict[str, Any]) -> None:
    cfg = Config(endpoint=fs_options["endpoint"], timeout_ms=10_000, max_retries=1)
    with AgentBay(api_key=fs_options["api_key"], cfg=cfg) as agent_bay:
        fs = AgentBayFileSystem(client=agent_bay)
        other = AgentBayFileSystem(client=AgentBay(api_key="another", cfg=cfg))
        assert fs is not other  # a client is never matched by its text in fsspec's cache
        fs.mkdir("c")
        fs.pipe("c/a", b"pickled")
        clone = pickle.loads(pickle.dumps(fs))
        assert clone.cat("c/a") == b"pickled"
        assert "client" not in clone.storage_options
        assert clone._config.max_retries == 1


def _child_reads(fs: Any, queue: Any) -> None:
    queue.put(fs.cat("c/a"))


@pytest.mark.timeout(60)
def test_works_in_another_process(fs_options: dict[str, Any]) -> None:
    fs = AgentBayFileSystem(**fs_options)
    fs.mkdir("c")
    fs.pipe("c/a", b"over there")
    spawn = multiprocessing.get_context("spawn")
    queue = spawn.Queue()
    child = spawn.Process(target=_child_reads, args=(fs, queue))
    child.start()
    assert queue.get(timeout=50) == b"over there"
    child.join(10)


def _forked(fs: Any, options: dict[str, Any], queue: Any) -> None:
    try:
        fs.cat("c/a")
    except RuntimeError as exc:
        queue.put(str(exc))
    queue.put(fsspec.filesystem("agentbay", **options).cat("c/a"))


@pytest.mark.timeout(60)
@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_fork_safety(fs_options: dict[str, Any]) -> None:
    fs = fsspec.filesystem("agentbay", **fs_options)
    fs.mkdir("c")
    fs.pipe("c/a", b"forked")
    fork = multiprocessing.get_context("fork")
    queue = fork.Queue()
    child = fork.Process(target=_forked, args=(fs, fs_options, queue))
    child.start()
    assert "fork-safe" in queue.get(timeout=50)  # the parent's instance refuses, clearly
    assert queue.get(timeout=50) == b"forked"  # a new one works
    child.join(10)


async def test_async_inside_a_running_loop(fs_options: dict[str, Any]) -> None:
    fs = AgentBayFileSystem(**fs_options, asynchronous=True)
    await fs._mkdir("c")
    await fs._pipe({"c/a.txt": b"aa", "c/b/c.txt": b"cc"})
    assert await fs._cat(await fs._find("c")) == {"c/a.txt": b"aa", "c/b/c.txt": b"cc"}
    assert await fs._cat_file("c/a.txt", -1) == b"a"
    assert await fs._find("c") == ["c/a.txt", "c/b/c.txt"]
    f = await fs.open_async("c/w.bin", "wb")
    await f.write(b"written ")
    await f.write(b"async")
    await f.close()
    async with await fs.open_async("c/w.bin", "rb") as f:
        assert await f.read(7) == b"written"
        assert await f.read() == b" async"
    await fs._rm("c", recursive=True)
    assert await fs._ls("c") == []
    await fs.aclose()


async def test_async_with_a_given_client(fs_options: dict[str, Any]) -> None:
    cfg = Config(endpoint=fs_options["endpoint"], timeout_ms=10_000)
    async with AsyncAgentBay(api_key=fs_options["api_key"], cfg=cfg) as agent_bay:
        await agent_bay.context.create("given")
        fs = AgentBayFileSystem(client=agent_bay, asynchronous=True)
        await fs._pipe_file("given/x", b"1")
        assert fs._client() is agent_bay
        assert (
            await agent_bay.context.list_files(
                (await agent_bay.context.get(name="given")).context_id, "/"
            )
        ).entries[0].file_name == "x"
    with pytest.raises(TypeError, match="client must be"):
        AgentBayFileSystem(client=object())
    assert asyncio.get_running_loop()


def test_async_across_event_loops(fs_options: dict[str, Any]) -> None:
    """A connection pool belongs to one loop: each new loop gets its own."""
    fs = AgentBayFileSystem(**fs_options, asynchronous=True, skip_instance_cache=True)
    asyncio.run(fs._mkdir("c"))
    asyncio.run(fs._pipe_file("c/a", b"12345"))
    for _ in range(3):
        assert asyncio.run(fs._cat_file("c/a", 1, 3)) == b"23"
        assert asyncio.run(fs._cat_file("c/a")) == b"12345"
