"""One sync AgentBay shared by many threads against a live emulator (docs/threads.md).

32 threads drive one client with the default carrier (urllib3) through a context's life at
once, every result is checked against what that thread did, and after ``close()`` no socket
to the emulator and no other file descriptor is left open. Linux only: it reads /proc.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agentbay import AgentBay, Config, ContextListParams
from agentbay_emulator import running

THREADS = 32
ROUNDS = 3  # contexts per thread, one after another

pytestmark = pytest.mark.skipif(
    not os.path.isdir("/proc/self/fd") or not os.path.exists("/proc/net/tcp"),
    reason="counts file descriptors and sockets through /proc",
)


def _open_fds() -> set[str]:
    """The targets of this process's open file descriptors (``socket:[inode]``, paths...)."""
    targets = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            targets.add(f"{fd}->{os.readlink(f'/proc/self/fd/{fd}')}")
        except OSError:  # the descriptor listdir itself used, or one closed meanwhile
            continue
    return targets


def _client_sockets(port: int) -> set[str]:
    """Inodes of this process's TCP sockets whose remote end is ``port`` (client side)."""
    remote_inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                if int(fields[2].rsplit(":", 1)[1], 16) == port:
                    remote_inodes.add(fields[9])
    ours = set()
    for target in _open_fds():
        inode = target.partition("socket:[")[2].rstrip("]")
        if inode in remote_inodes:
            ours.add(inode)
    return ours


def _settle(predicate: object, timeout: float = 10.0) -> bool:
    """Poll ``predicate()`` until it is true or ``timeout`` seconds pass."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """An emulator of this test's own, so that every socket to its port is this test's."""
    with running(tmp_path / "data") as url:
        yield url, int(url.rsplit(":", 1)[1])


def _lifecycle(agent_bay: AgentBay, worker: int, barrier: threading.Barrier) -> int:
    """One thread's work: create, get, list, upload, download and delete ROUNDS contexts.

    Returns how many contexts it went through; raises AssertionError on any wrong result.
    """
    barrier.wait()  # every thread starts at once
    context = agent_bay.context
    for round_ in range(ROUNDS):
        name = f"thread-{worker}-{round_}-{uuid.uuid4().hex[:8]}"
        created = context.create(name)
        assert created.success, created
        assert created.context is not None and created.context.name == name
        context_id = created.context_id

        by_name = context.get(name=name)
        assert by_name.success and by_name.context_id == context_id, by_name
        by_id = context.get(context_id=context_id)
        assert by_id.success and by_id.context is not None, by_id
        assert by_id.context.name == name

        page = context.list(ContextListParams(max_results=100))
        assert page.success, page
        assert context_id in {c.id for c in page.contexts}

        url = context.get_file_upload_url(context_id, f"/w{worker}/r{round_}.bin")
        assert url.success and url.url.startswith("http"), url
        payload = f"{worker}:{round_}:".encode() + os.urandom(32 * 1024 + worker)
        uploaded = context.upload_file(context_id, f"/w{worker}/r{round_}.bin", payload)
        assert uploaded.success and uploaded.data == len(payload), uploaded
        sink = io.BytesIO()
        downloaded = context.download_file(context_id, f"/w{worker}/r{round_}.bin", sink)
        assert downloaded.success and downloaded.data == len(payload), downloaded
        assert hashlib.sha256(sink.getvalue()).digest() == hashlib.sha256(payload).digest()

        assert created.context is not None
        deleted = context.delete(created.context)
        assert deleted.success, deleted
        gone = context.get(context_id=context_id)
        assert not gone.success and "NotFound" in gone.error_message, gone
    return ROUNDS


@pytest.mark.timeout(60)
def test_one_client_many_threads_then_no_leak(emulator: tuple[str, int]) -> None:
    url, port = emulator
    # Warm the emulator up with a client of its own (its database opens its journal files on
    # the first write), so that what this process holds open is steady before the count.
    with AgentBay("warm-up", Config(endpoint=url, timeout_ms=30_000)) as warm:
        made = warm.context.create("warm-up")
        assert made.success and made.context is not None
        assert warm.context.upload_file(made.context_id, "/x", b"x").success
        assert warm.context.delete(made.context).success
    assert _settle(lambda: not _client_sockets(port))
    fds_before = _open_fds()

    agent_bay = AgentBay(f"threads-{uuid.uuid4().hex}", Config(endpoint=url, timeout_ms=30_000))
    barrier = threading.Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        done = list(pool.map(lambda w: _lifecycle(agent_bay, w, barrier), range(THREADS)))
    assert done == [ROUNDS] * THREADS

    # The pool reused its connections: at most one per thread, none per call.
    in_pool = _client_sockets(port)
    assert 0 < len(in_pool) <= THREADS
    final = agent_bay.context.list(ContextListParams(max_results=100))
    assert final.success and final.contexts == []

    agent_bay.close()
    assert _client_sockets(port) == set()
    # The emulator (in this process) closes its ends of the connections as it sees them go.
    assert _settle(lambda: _open_fds() <= fds_before), sorted(_open_fds() - fds_before)


def test_close_shuts_the_connections_of_every_thread(emulator: tuple[str, int]) -> None:
    """close() shuts every pooled connection at once, whichever thread opened it."""
    url, port = emulator
    agent_bay = AgentBay("close-key", Config(endpoint=url, timeout_ms=30_000))
    barrier = threading.Barrier(8)

    def call(_: int) -> bool:
        barrier.wait()
        return agent_bay.context.list().success

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(call, range(8)))
    assert _client_sockets(port)
    agent_bay.close()
    assert _client_sockets(port) == set()


def test_more_threads_than_max_connections(
    emulator: tuple[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    """Past Config.max_connections, calls still run at once on extra connections, which are
    closed after use (urllib3 logs a warning); the pool keeps at most max_connections."""
    url, port = emulator
    agent_bay = AgentBay("small-pool", Config(endpoint=url, timeout_ms=30_000, max_connections=4))
    barrier = threading.Barrier(12)

    def call(_: int) -> bool:
        barrier.wait()
        return all(agent_bay.context.list().success for _ in range(5))

    with ThreadPoolExecutor(12) as pool:
        assert all(pool.map(call, range(12)))
    assert 0 < len(_client_sockets(port)) <= 4
    assert any("Connection pool is full" in r.getMessage() for r in caplog.records)
    agent_bay.close()
    assert _client_sockets(port) == set()
