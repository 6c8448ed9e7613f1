"""What only the async flavour has: its sleep and its default carrier, aiohttp.

aiohttp carries the bytes because, measured here, it keeps 100 concurrent calls at raw
aiohttp's pace where httpx's pool falls to a tenth of it (docs/benchmarks.md). It is imported
when the first client is made, so ``import agentbay`` stays light.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING

from ._config import Config
from ._wire import CHUNK_SIZE, Answer, CarrierError, Receiver, content_length

if TYPE_CHECKING:
    import aiohttp

# Headers aiohttp would add on its own; a presigned PUT must go out with only what we set.
_NO_AUTO_HEADERS = ("Content-Type", "User-Agent", "Accept-Encoding", "Accept")


async def sleep(seconds: float) -> None:
    """Sleep without blocking the event loop."""
    await asyncio.sleep(seconds)


class AiohttpCarrier:
    """Pooled HTTP over one ``aiohttp.ClientSession``, made on first use in the running loop
    (and made again if a later call runs in another loop)."""

    def __init__(self, config: Config) -> None:
        import aiohttp
        import yarl

        self._aiohttp = aiohttp
        self._url = yarl.URL
        self._limit = config.max_connections
        self._call_limit = aiohttp.ClientTimeout(total=config.timeout_ms / 1000)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _current_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop:
            import ssl

            import certifi

            aiohttp = self._aiohttp
            self._loop = loop
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._limit,
                    keepalive_timeout=15,
                    ssl=ssl.create_default_context(cafile=certifi.where()),
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                skip_auto_headers=_NO_AUTO_HEADERS,
                trust_env=False,
                read_bufsize=CHUNK_SIZE,
            )
        return self._session

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

        ``timeout`` bounds a whole call of bytes, and each read of a streamed one.
        Raises :class:`CarrierError` when no HTTP answer came back in time.
        """
        aiohttp = self._aiohttp
        if receiver is not None or not isinstance(body, bytes):
            limit = aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout)
        elif timeout == self._call_limit.total:
            limit = self._call_limit  # the usual case: one object for every call
        else:
            limit = aiohttp.ClientTimeout(total=timeout)
        try:
            async with self._current_session().request(
                method,
                self._url(url, encoded=True),
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=limit,
            ) as response:
                if receiver is not None and 200 <= response.status < 300:
                    receiver.begin(content_length(response.headers.get("Content-Length")))
                    async for chunk in response.content.iter_chunked(CHUNK_SIZE):
                        receiver.write(chunk)
                    return Answer(response.status)
                content = await response.read()
                return Answer(response.status, content, response.headers.get("Retry-After"))
        except asyncio.TimeoutError:
            raise CarrierError(f"Request timed out after {timeout * 1000:.0f} ms") from None
        except aiohttp.ClientError as exc:
            raise CarrierError(f"Network error: {type(exc).__name__}: {exc}") from None

    async def aclose(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None
