"""What only the async flavour has: its sleep, how it enforces a deadline, its default transport.

(The sync flavour's counterpart is ``_io_sync``; code generated from the async source calls
the same names there.)
"""

from __future__ import annotations

import asyncio
import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING

from ._config import Config
from ._transports.timing import Deadline

if sys.version_info >= (3, 11):
    from asyncio import Timeout, timeout_at

    def _move(scope: Timeout, when: float) -> None:
        scope.reschedule(when)

else:  # pragma: no cover - Python 3.10
    from async_timeout import Timeout, timeout_at

    def _move(scope: Timeout, when: float) -> None:
        scope.update(when)


if TYPE_CHECKING:
    from ._transports._async.base import AsyncTransport


async def sleep(seconds: float) -> None:
    """Sleep without blocking the event loop."""
    await asyncio.sleep(seconds)


class enforce:
    """Cancel the block when ``deadline`` expires (rescheduled as it progresses) and raise the
    deadline's ``TransportError`` instead of ``TimeoutError``."""

    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline
        self._loop = asyncio.get_running_loop()
        self._scope = timeout_at(self._when())

    def _when(self) -> float:
        return self._loop.time() + (self._deadline.expires_at() - time.monotonic())

    def _reschedule(self) -> None:
        _move(self._scope, self._when())

    async def __aenter__(self) -> None:
        await self._scope.__aenter__()
        self._deadline.on_change = self._reschedule

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._deadline.on_change = None
        try:
            await self._scope.__aexit__(exc_type, exc, tb)
        except asyncio.TimeoutError:
            raise self._deadline.error() from None


def default_transport(config: Config) -> AsyncTransport:
    """The async flavour's transport: aiohttp (chosen by measurement, docs/benchmarks.md)."""
    from ._transports.aiohttp import AiohttpTransport

    return AiohttpTransport(config)
