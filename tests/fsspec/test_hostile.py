"""A storage that misbehaves: the filesystem reads only what it asked for, and fails clearly."""

from __future__ import annotations

import socket

import pytest

from agentbay.fsspec import AgentBayFileSystem
from tests.hostile import Handler, HostileServer, Request, ok, reply, serving


def _service(server: list[HostileServer], blob: bytes = b"") -> Handler:
    """Answers GetContext and GetContextFileDownloadUrl; GET /blob streams ``blob`` without
    end (a storage that ignores ``Range``, claiming a 1 TiB file)."""

    def handle(conn: socket.socket, request: Request) -> bool:
        if request.method == "POST":
            request.body()
            if "GetContextFileDownloadUrl" in request.path:
                url = server[0].url + "/blob?sig=SECRET-SIGNATURE"
                return reply(conn, 200, ok({"Url": url, "ExpireTime": 3600}))
            return reply(conn, 200, ok({"Id": "ctx-1", "Name": "c"}))
        if not blob:
            return reply(conn, 500, b"<Error><Code>Boom</Code></Error>")
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1099511627776\r\n\r\n")
        while True:
            conn.sendall(blob)

    return handle


@pytest.mark.timeout(20)
def test_a_storage_ignoring_the_range_is_read_only_as_far_as_needed() -> None:
    holder: list[HostileServer] = []
    with serving(_service(holder, bytes(range(256)) * 256)) as server:
        holder.append(server)
        fs = AgentBayFileSystem(
            api_key="k", endpoint=server.url, timeout_ms=5_000, skip_instance_cache=True
        )
        # A 200 with the whole (endless) file: the bytes up to the range's end are read, the
        # rest never (else this would run until the timeout).
        assert fs.cat_file("c/a.bin", 1000, 1010) == bytes(range(232, 242))


@pytest.mark.timeout(20)
def test_storage_errors_carry_the_code_not_the_signature() -> None:
    holder: list[HostileServer] = []
    with serving(_service(holder)) as server:
        holder.append(server)
        fs = AgentBayFileSystem(
            api_key="secret-key",
            endpoint=server.url,
            timeout_ms=5_000,
            max_retries=1,
            skip_instance_cache=True,
        )
        with pytest.raises(OSError) as caught:
            fs.cat_file("c/a.bin", 0, 10)
        assert caught.value.code == "Boom"
        text = str(caught.value)
        assert "HTTP 500 (after 2 attempts)" in text
        assert "SECRET-SIGNATURE" not in text and "secret-key" not in text
        gets = [r for r in server.requests if r.method == "GET"]
        assert len(gets) == 2 and all(r.headers["range"] == "bytes=0-9" for r in gets)
