"""A live emulator whose clock a test sets: the modification time of an uploaded file is the
emulator's clock at the moment the upload lands (``create_app(clock=...)``), so a test can
give the remote side of a folder transfer any time it needs."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from agentbay_emulator import create_app
from agentbay_emulator.server import PromptServer, bind_socket, endpoint_url

T0 = 1_750_000_000  # 2025-06-15 15:06:40 UTC: whole seconds, as the listing reports them


class SetClock:
    """The emulator's clock: it reads ``now`` until a test sets it again."""

    def __init__(self) -> None:
        self.now = float(T0)

    def __call__(self) -> float:
        return self.now


@contextlib.contextmanager
def clocked_emulator(data_dir: Path) -> Iterator[tuple[str, SetClock]]:
    """An emulator on 127.0.0.1 (a free port) whose clock is the yielded :class:`SetClock`.

    Example::

        with clocked_emulator(tmp_path) as (url, clock):
            clock.now = T0 - 60  # files uploaded now are a minute older than T0
    """
    clock = SetClock()
    app = create_app(data_dir, clear_delay=0.2, clock=clock)
    config = uvicorn.Config(
        app, lifespan="on", log_config=None, log_level="warning", access_log=False
    )
    server = PromptServer(config, app.state.emulator.stop_transfers)
    sock = bind_socket("127.0.0.1", 0)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    try:
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the clocked emulator failed to start")
            time.sleep(0.005)
        yield endpoint_url(sock), clock
    finally:
        server.stop()
        thread.join(10)
        sock.close()
