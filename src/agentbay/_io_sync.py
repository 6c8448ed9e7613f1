"""What only the async flavour has: its sleep and its HTTP carrier."""

from __future__ import annotations

import time

import httpx

from ._config import Config
from ._wire import Reply, decode_reply, failure


def sleep(seconds: float) -> None:
    """Sleep the calling thread."""
    time.sleep(seconds)


class SyncTransport:
    """Sends one form POST and returns the decoded :class:`Reply`; never raises for I/O errors.

    Uses ``http_client`` when given (and leaves closing it to its owner), else a pooled client
    of its own sized by ``config.max_connections``.
    """

    def __init__(self, config: Config, http_client: httpx.Client | None = None) -> None:
        self._timeout = httpx.Timeout(config.timeout_ms / 1000)
        self._owned = http_client is None
        self.http_client = http_client or httpx.Client(
            timeout=self._timeout,
            limits=httpx.Limits(
                max_connections=config.max_connections,
                max_keepalive_connections=config.max_connections,
            ),
        )

    def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> Reply:
        """POST ``body`` to ``url`` within ``timeout`` s; a timeout or network error becomes a
        failed Reply."""
        try:
            response = self.http_client.post(url, content=body, headers=headers, timeout=timeout)
        except httpx.TimeoutException:
            return failure(f"Request timed out after {timeout * 1000:.0f} ms", retryable=True)
        except httpx.TransportError as exc:
            return failure(f"Network error: {type(exc).__name__}: {exc}", retryable=True)
        return decode_reply(
            response.status_code, response.content, response.headers.get("retry-after")
        )

    def close(self) -> None:
        """Close the pooled client if this transport created it."""
        if self._owned:
            self.http_client.close()
