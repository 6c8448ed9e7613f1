"""The sync default transport's urllib3 settings, as a user would notice them (docs/threads.md):
each host keeps ``max_connections`` connections, more concurrent calls never wait for one, the
endpoint keeps its own pool whatever other hosts a client talks to, and each request is framed
as its body needs."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from agentbay import AgentBay, Config
from tests._async.contract.test_contract import Collector
from tests.helpers import API_KEY
from tests.hostile import Handler, HostileServer, Request, ok, reply, serving


class Gathering:
    """Holds the requests of each of ``rounds`` until ``parties`` are in at once (later ones
    pass); ``broken`` tells that they never were (a client waited for a connection instead of
    opening one)."""

    def __init__(self, parties: int, rounds: int) -> None:
        self._barrier = threading.Barrier(parties, timeout=5)
        self._held = parties * rounds
        self._lock = threading.Lock()
        self.broken = False

    def wait(self) -> None:
        with self._lock:
            self._held -= 1
            if self._held < 0:
                return
        try:
            self._barrier.wait()
        except threading.BrokenBarrierError:
            self.broken = True


def gathered(gathering: Gathering, handler: Handler) -> Handler:
    def handle(conn: socket.socket, request: Request) -> bool:
        gathering.wait()
        return handler(conn, request)

    return handle


def answer(conn: socket.socket, request: Request) -> bool:
    request.body()
    return reply(conn, 200, ok({"Id": "ctx-1", "Name": "a"}))


def blob(conn: socket.socket, request: Request) -> bool:
    return reply(conn, 200, b"stored bytes")


def presigning(*storages: HostileServer) -> Handler:
    """Answers each call with a presigned URL of the next of ``storages``."""
    turn = iter(range(1 << 30))

    def handle(conn: socket.socket, request: Request) -> bool:
        request.body()
        storage = storages[next(turn) % len(storages)]
        return reply(conn, 200, ok({"Url": f"{storage.url}/blob?Signature=s", "ExpireTime": 9}))

    return handle


def at_once(count: int, call: Callable[[], bool]) -> list[bool]:
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: call(), range(count)))


def test_the_endpoint_keeps_max_connections_and_never_waits_past_them() -> None:
    gathering = Gathering(3, rounds=2)
    with serving(gathered(gathering, answer)) as server:
        with AgentBay(
            API_KEY, Config(endpoint=server.url, timeout_ms=10_000, max_connections=2)
        ) as client:
            for _ in range(2):
                assert at_once(3, lambda: client.context.get(name="a").success) == [True] * 3
        connections = len(server._conns)
    assert not gathering.broken
    assert connections == 3 + 1  # the second round: the two kept, and one more


def test_each_storage_host_keeps_max_connections_and_never_waits_past_them() -> None:
    gathering = Gathering(3, rounds=2)

    def download(client: AgentBay) -> bool:
        return client.context.download_file("ctx-1", "/a", Collector()).success

    with serving(gathered(gathering, blob)) as storage, serving(presigning(storage)) as endpoint:
        with AgentBay(
            API_KEY, Config(endpoint=endpoint.url, timeout_ms=10_000, max_connections=2)
        ) as client:
            for _ in range(2):
                assert at_once(3, lambda: download(client)) == [True] * 3
        connections = len(storage._conns)
    assert not gathering.broken
    assert connections == 3 + 1


def test_the_endpoint_keeps_its_connections_past_ten_other_hosts() -> None:
    """urllib3's PoolManager keeps pools for 10 hosts and drops the least recently used; the
    endpoint's own pool is not among them."""
    storages = [HostileServer(blob) for _ in range(10)]
    gathering = Gathering(10, rounds=1)
    try:
        with serving(gathered(gathering, presigning(*storages))) as endpoint:
            with AgentBay(API_KEY, Config(endpoint=endpoint.url, timeout_ms=10_000)) as client:
                downloads = at_once(
                    10, lambda: client.context.download_file("ctx-1", "/a", Collector()).success
                )
                assert client.context.get_file_download_url("ctx-1", "/a").success
            connections = len(endpoint._conns)
    finally:
        for storage in storages:
            storage.close()
    assert downloads == [True] * 10 and not gathering.broken
    assert connections == 10


class Unsized:
    """A source whose size is unknown (no seek, no len): sent as it is read."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, size: int = -1) -> bytes:
        chunk, self._data = self._data[:size], self._data[size:]
        return chunk


def test_each_request_is_framed_as_its_body_needs() -> None:
    def storage(conn: socket.socket, request: Request) -> bool:
        request.body()
        return reply(conn, 200, b"x")

    with (
        serving(storage) as store,
        serving(presigning(store)) as endpoint,
        AgentBay(API_KEY, Config(endpoint=endpoint.url, timeout_ms=10_000)) as client,
    ):
        assert client.context.upload_file("ctx-1", "/sized", b"12345").success
        assert client.context.upload_file("ctx-1", "/unsized", Unsized(b"12345")).success
        assert client.context.download_file("ctx-1", "/a", Collector()).success
    call = endpoint.requests[0]
    sized, unsized, download = store.requests
    framing = [
        (r.method, r.headers.get("content-length"), r.headers.get("transfer-encoding"))
        for r in (sized, unsized, download)
    ]
    assert call.headers["content-length"] != "" and "transfer-encoding" not in call.headers
    assert framing == [("PUT", "5", None), ("PUT", None, "chunked"), ("GET", None, None)]
