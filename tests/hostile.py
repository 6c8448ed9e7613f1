"""A scriptable HTTP server on raw sockets, for what mocks cannot show: time, broken
connections, bodies nobody reads, hostile bytes. Flavour-neutral: both flavours' tests use it.

Each test gives a handler ``handler(conn, request) -> bool`` that writes whatever it likes on
the socket; it returns True to keep the connection for the next request.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import attrs

Handler = Callable[[socket.socket, "Request"], bool]


@attrs.define
class Request:
    """One request as it arrived; its body is read only when asked for."""

    method: str
    path: str
    headers: dict[str, str]
    reader: Any
    arrived: float

    def body(self) -> bytes:
        """Read the whole body (Content-Length or chunked)."""
        if "content-length" in self.headers:
            return bytes(self.reader.read(int(self.headers["content-length"])))
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while size := int(self.reader.readline().split(b";")[0], 16):
                parts.append(self.reader.read(size))
                self.reader.readline()
            self.reader.readline()
            return b"".join(parts)
        return b""


def reply(
    conn: socket.socket,
    status: int,
    body: bytes | dict[str, Any] = b"",
    headers: dict[str, str] | None = None,
) -> bool:
    """Send a complete reply; keep the connection."""
    payload = json.dumps(body).encode() if isinstance(body, dict) else body
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(payload)}"]
    head += [f"{name}: {value}" for name, value in (headers or {}).items()]
    conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload)
    return True


def ok(data: Any = None, **extra: Any) -> dict[str, Any]:
    """A successful body of the service."""
    return {"RequestId": "r-1", "Success": True, "Data": data, **extra}


class HostileServer:
    """Serves ``handler`` on 127.0.0.1; keeps every request it saw in ``requests``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            while not self._stop.is_set():
                line = reader.readline()
                if not line:
                    return
                method, path, _ = line.decode("latin-1").split(" ", 2)
                headers = {}
                while (header := reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = header.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                request = Request(method, path, headers, reader, time.monotonic())
                self.requests.append(request)
                if not self.handler(conn, request):
                    return
        except (OSError, ValueError):
            return
        finally:
            reader.close()
            conn.close()

    def close(self) -> None:
        """Stop serving and drop every connection."""
        self._stop.set()
        for conn in self._conns:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        self._listener.close()
        self._thread.join()


@contextmanager
def serving(handler: Handler) -> Iterator[HostileServer]:
    """A :class:`HostileServer` for the block."""
    server = HostileServer(handler)
    try:
        yield server
    finally:
        server.close()
