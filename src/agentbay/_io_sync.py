"""What only the sync flavour has: its sleep, how it enforces a deadline, its default transport.

(Code generated from the async source calls the same names as ``_io_async`` has.)
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING

from ._config import Config
from ._transports.timing import Deadline

if TYPE_CHECKING:
    from ._transports._sync.base import Transport


def sleep(seconds: float) -> None:
    """Sleep the calling thread."""
    time.sleep(seconds)


class enforce:
    """Nothing to arm: a thread cannot be cancelled, so the sync transports give each socket
    operation at most ``deadline.op_timeout()`` and the exchange checks the deadline between
    chunks."""

    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


def default_transport(config: Config) -> Transport:
    """The sync flavour's transport: urllib3 (chosen by measurement, docs/benchmarks.md)."""
    from ._transports.urllib3 import Urllib3Transport

    return Urllib3Transport(config)
