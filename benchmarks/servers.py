"""The fixed-latency RPC server of the benchmarks, run as a separate process.

It must never compete with the client for the GIL, so it runs in a process of its own::

    python -m benchmarks.servers --latency-ms 20 --extra-latency-ms 0

Every listening port answers every request with :data:`RPC_BODY`, a successful GetContext
reply the SDK parses, after sleeping that port's latency. It is an ``asyncio.Protocol``
HTTP/1.1 keep-alive server on uvloop when that is installed (about 25 us of CPU per call,
against about 55 us on the stdlib loop and 80-190 us for aiohttp.web or uvicorn, measured in
phase 1: the cheaper the server, the less it pads every row alike and flatters the ratios).

Request bodies must have a ``Content-Length`` (every client measured sends one for a form);
a chunked request is answered 411 and the connection closed.

When ready the process prints one line ``READY {"<latency_ms>": <port>, ..., "loop": ...}``;
:func:`running_server` starts it on free ports and waits for that line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import cast

RPC_BODY: bytes = json.dumps(
    {
        "RequestId": "B3D5A7C2-1F0E-4D5B-9C8A-7E6F5D4C3B2A",
        "Success": True,
        "Code": "",
        "Message": "",
        "HttpStatusCode": 200,
        "Data": {
            "Id": "ctx-1",
            "Name": "n",
            "CreateTime": "2025-05-29T12:00:00Z",
            "LastUsedTime": "2025-05-29T12:00:00Z",
            "State": "available",
            "OsType": None,
        },
    },
    separators=(",", ":"),
).encode()

_MAX_HEAD = 64 * 1024


def _response(status: str, body: bytes, keep_alive: bool) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\n"
        "Content-Type: application/json;charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


_RPC_KEEP = _response("200 OK", RPC_BODY, True)
_RPC_CLOSE = _response("200 OK", RPC_BODY, False)
_NO_LENGTH = _response("411 Length Required", b"{}", False)


class RpcProtocol(asyncio.Protocol):
    """One connection: reads a request (head and Content-Length body), sleeps, answers."""

    def __init__(self, latency_s: float) -> None:
        self._latency = latency_s
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._body_left = -1  # -1: reading a head; >= 0: body bytes still to come
        self._keep_alive = True
        self._busy = False  # a request is being answered (requests are not pipelined)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses: cast, don't assert.
        self._transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def data_received(self, data: bytes) -> None:
        self._buf += data
        self._process()

    def _process(self) -> None:
        while not self._busy and self._transport is not None:
            if self._body_left < 0:
                end = self._buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(self._buf) > _MAX_HEAD:
                        self._transport.close()
                    return
                head = bytes(self._buf[:end])
                del self._buf[: end + 4]
                if not self._parse_head(head):
                    self._transport.write(_NO_LENGTH)
                    self._transport.close()
                    return
            take = min(len(self._buf), self._body_left)
            del self._buf[:take]
            self._body_left -= take
            if self._body_left:
                return
            self._body_left = -1
            self._busy = True
            if self._latency > 0:
                self._loop.call_later(self._latency, self._answer)
            else:
                self._answer()

    def _parse_head(self, head: bytes) -> bool:
        """Read keep-alive and the body's length; False for a body without a length."""
        lines = head.split(b"\r\n")
        keep_alive = lines[0].endswith(b"HTTP/1.1")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            key = name.strip().lower()
            if key == b"content-length":
                length = int(value)
            elif key == b"transfer-encoding":
                return False
            elif key == b"connection":
                keep_alive = value.strip().lower() != b"close"
        self._keep_alive = keep_alive
        self._body_left = length
        return True

    def _answer(self) -> None:
        self._busy = False
        if self._transport is None:
            return
        if self._keep_alive:
            self._transport.write(_RPC_KEEP)
            self._process()
        else:
            self._transport.write(_RPC_CLOSE)
            self._transport.close()


def _key(latency_ms: float) -> str:
    return f"{float(latency_ms):g}"


async def _serve(host: str, latencies_ms: Sequence[float]) -> None:
    loop = asyncio.get_running_loop()
    info: dict[str, object] = {}
    for latency_ms in latencies_ms:
        factory = functools.partial(RpcProtocol, latency_ms / 1000.0)
        server = await loop.create_server(factory, host, 0, backlog=4096)
        info[_key(latency_ms)] = server.sockets[0].getsockname()[1]
    info["loop"] = type(loop).__module__.split(".")[0]
    sys.stdout.write("READY " + json.dumps(info) + "\n")
    sys.stdout.flush()
    await asyncio.Event().wait()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fixed-latency RPC server of the benchmarks.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument(
        "--extra-latency-ms",
        type=float,
        action="append",
        default=[],
        help="also listen on a free port with this latency (repeatable)",
    )
    args = parser.parse_args(argv)
    serve = _serve(args.host, [args.latency_ms, *args.extra_latency_ms])
    with contextlib.suppress(KeyboardInterrupt):
        try:
            import uvloop
        except ImportError:
            asyncio.run(serve)
        else:
            uvloop.run(serve)


@dataclass
class ServerHandle:
    """A running server process; ``url(latency_ms)`` is the base URL of one of its ports."""

    proc: subprocess.Popen[bytes]
    host: str
    ports: dict[str, int] = field(default_factory=dict)
    loop: str = ""

    def url(self, latency_ms: float) -> str:
        return f"http://{self.host}:{self.ports[_key(latency_ms)]}"

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def wait_ready(proc: subprocess.Popen[bytes], prefix: bytes, timeout: float) -> bytes:
    """The first line ``proc`` prints, which must start with ``prefix``; raise otherwise."""
    lines: queue.Queue[bytes] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=timeout)
    except queue.Empty:
        raise RuntimeError(f"{proc.args!r} did not start in {timeout} s") from None
    if not line.startswith(prefix):
        raise RuntimeError(f"{proc.args!r} failed to start: {line!r}")
    return line


@contextlib.contextmanager
def running_server(
    latencies_ms: Sequence[float] = (20.0, 0.0), *, host: str = "127.0.0.1"
) -> Iterator[ServerHandle]:
    """Run the server in a subprocess on free ports, one per latency; stop it on exit."""
    cmd = [sys.executable, "-m", "benchmarks.servers", "--host", host]
    cmd += ["--latency-ms", str(latencies_ms[0])]
    for latency in latencies_ms[1:]:
        cmd += ["--extra-latency-ms", str(latency)]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, cwd=root)
    handle = ServerHandle(proc=proc, host=host)
    try:
        info = json.loads(wait_ready(proc, b"READY ", 30.0)[6:])
        handle.loop = str(info.pop("loop"))
        handle.ports = {str(k): int(v) for k, v in info.items()}
        yield handle
    finally:
        handle.close()


if __name__ == "__main__":
    main()
