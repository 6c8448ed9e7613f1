"""Running the emulator in-process: uvicorn in a background thread on a free port."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import uvicorn

from .app import create_app
from .faults import FaultSpec
from .tls import ensure_certificates, names_for

STARTUP_TIMEOUT = 15.0
SHUTDOWN_TIMEOUT = 10.0
POLL_S = 0.002
"""How often a stopping server looks whether its connections have closed."""


class PromptServer(uvicorn.Server):
    """uvicorn's server, stopping as soon as :meth:`stop` is called.

    uvicorn looks at ``should_exit`` every 0.1 s, then always waits 0.1 s more for connections
    to close: 0.15-0.2 s per stop, which a fresh emulator per test pays every time. This one
    wakes at once and waits only while connections are open (up to the graceful timeout).
    ``on_stop`` runs first (the emulator's ``stop_transfers``: a transfer in flight is ended
    at once, its temporary part dropped, while RPC calls may finish).
    """

    def __init__(self, config: uvicorn.Config, on_stop: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._on_stop = on_stop

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start serving; remember the loop that :meth:`stop` wakes."""
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets)

    async def main_loop(self) -> None:
        """Tick as uvicorn does (date header, limits), waking at once on :meth:`stop`."""
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Stop listening, end the transfers in flight (``on_stop``), close idle connections,
        let busy ones finish, then the lifespan."""
        for server in self.servers:
            server.close()
        if self._on_stop is not None:
            self._on_stop()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        grace = self.config.timeout_graceful_shutdown
        deadline = time.monotonic() + (float("inf") if grace is None else grace)
        while self.server_state.connections or self.server_state.tasks:
            if time.monotonic() > deadline:
                for task in self.server_state.tasks:
                    task.cancel()
                if self.server_state.tasks:  # their clean-up (dropping parts) runs first
                    await asyncio.wait(list(self.server_state.tasks), timeout=SHUTDOWN_TIMEOUT)
                break
            await asyncio.sleep(POLL_S)
        await self.lifespan.shutdown()

    def stop(self) -> None:
        """Ask the server to stop, from any thread."""
        self.should_exit = True
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                self._loop.call_soon_threadsafe(self._wake.set)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets of that
    # protocol, and without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if os.name != "nt":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock


def endpoint_url(sock: socket.socket, scheme: str = "http") -> str:
    """``http://host:port`` (or ``https``) for a bound socket (a wildcard address is reached
    via loopback)."""
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


@contextlib.contextmanager
def running(
    data_dir: str | Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    url_ttl: int = 3600,
    clear_delay: float = 1.0,
    api_keys: Iterable[str] | None = None,
    faults: str | FaultSpec | None = None,
    tls: bool = False,
) -> Iterator[str]:
    """Run an emulator in a background thread; yield its endpoint URL, stop it on exit.

    ``data_dir`` None uses a temporary directory removed afterwards; otherwise the data
    persists there across runs. ``tls`` serves HTTPS (``https://127.0.0.1:PORT``) with a
    certificate of the data directory's authority, ``DATA_DIR/tls/ca.pem``. Example::

        with running() as endpoint:  # "http://127.0.0.1:54321"
            ...
    """
    temporary = data_dir is None
    root = (
        Path(tempfile.mkdtemp(prefix="agentbay-emulator-")) if data_dir is None else Path(data_dir)
    )
    sock: socket.socket | None = None
    try:
        app = create_app(
            root, url_ttl=url_ttl, clear_delay=clear_delay, api_keys=api_keys, faults=faults
        )
        sock = bind_socket(host, port)
        certificates = ensure_certificates(root, names_for(host)) if tls else None
        config = uvicorn.Config(
            app,
            lifespan="on",
            log_config=None,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=3,
            ssl_certfile=certificates.certificate if certificates else None,
            ssl_keyfile=certificates.key if certificates else None,
        )
        server = PromptServer(config, app.state.emulator.stop_transfers)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="agentbay-emulator", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError("the AgentBay emulator failed to start")
            time.sleep(0.005)
        try:
            yield endpoint_url(sock, "https" if tls else "http")
        finally:
            server.stop()
            thread.join(SHUTDOWN_TIMEOUT)
    finally:
        if sock is not None:
            sock.close()
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
