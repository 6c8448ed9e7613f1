"""The async transport protocol: what every async transport implements, and mypy checks.

(The sync flavour's ``Transport`` is generated from this file.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Protocol

Body = bytes | AsyncIterator[bytes] | None


class AsyncHTTPResponse(Protocol):
    """A reply whose status and headers are in and whose body is read chunk by chunk."""

    @property
    def status(self) -> int:
        """The HTTP status."""

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (case-insensitive), None when absent."""

    async def read(self, timeout: float) -> bytes:
        """The next chunk of the body (at most ``CHUNK_SIZE`` bytes), ``b""`` at its end.

        ``timeout`` bounds this one read. Raises ``TransportError``.
        """

    async def aclose(self) -> None:
        """Release the connection: back to the pool only when the body was read to its end."""


class AsyncTransport(Protocol):
    """Sends requests over one HTTP library, never following redirects.

    Example::

        response = await transport.open("GET", url, {}, None, timeout=5.0)
        try:
            chunk = await response.read(timeout=5.0)
        finally:
            await response.aclose()
    """

    async def open(
        self, method: str, url: str, headers: Mapping[str, str], body: Body, timeout: float
    ) -> AsyncHTTPResponse:
        """Send a request and return once its reply's status and headers are in.

        ``timeout`` bounds each network operation (connecting, each write, the wait for the
        headers). Raises ``TransportError``; an exception raised by ``body`` propagates.
        """

    async def aclose(self) -> None:
        """Release the connections this transport owns."""
