"""A carrier over an ``httpx.AsyncClient`` the user passed in (proxies, TLS, mocking)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import httpx

from .._errors import AgentBayError
from .._wire import CHUNK_SIZE, Answer, CarrierError, Receiver, content_length


class AsyncHttpxCarrier:
    """Sends requests through the user's ``httpx.AsyncClient``, which its owner closes."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        if not isinstance(client, httpx.AsyncClient):
            raise AgentBayError(
                f"http_client must be an httpx.AsyncClient, got {type(client).__name__}"
            )
        self.client = client

    async def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        timeout: float,
        body: bytes | AsyncIterator[bytes] | None = None,
        receiver: Receiver | None = None,
    ) -> Answer:
        """Send one request; stream a 2xx body to ``receiver`` when given.

        Raises :class:`CarrierError` when no HTTP answer came back in time.
        """
        try:
            async with self.client.stream(
                method, url, content=body, headers=headers, timeout=timeout
            ) as response:
                if receiver is not None and response.is_success:
                    receiver.begin(content_length(response.headers.get("content-length")))
                    async for chunk in response.aiter_bytes(CHUNK_SIZE):
                        receiver.write(chunk)
                    return Answer(response.status_code)
                content = await response.aread()
                return Answer(response.status_code, content, response.headers.get("retry-after"))
        except httpx.TimeoutException:
            raise CarrierError(f"Request timed out after {timeout * 1000:.0f} ms") from None
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise CarrierError(f"Network error: {type(exc).__name__}: {exc}") from None

    async def aclose(self) -> None:
        """Nothing to close: the client belongs to whoever passed it in."""
