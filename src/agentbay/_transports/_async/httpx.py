"""A transport over an ``httpx.AsyncClient`` the user passed in (proxies, TLS, mocking).

The client's own settings stay in force, except that no request is ever redirected: a redirect
would carry the form body, API key included, to another host.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Mapping

import httpx

from ..._errors import AgentBayError
from ..errors import TransportError, broken, cannot_connect, invalid_url, malformed, timed_out
from ..http import LibraryResponse
from .base import Body


def _mapped(exc: Exception, url: str) -> TransportError:
    """The :class:`TransportError` of an httpx exception raised while requesting ``url`` (named
    by the errors of connecting)."""
    if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        return invalid_url(url, "httpx cannot request it")
    if isinstance(exc, httpx.ConnectError):
        text = str(exc)  # "[SSL: WRONG_VERSION_NUMBER] ..."
        return cannot_connect(url, tls_error=text if "[SSL" in text else None)
    return _read_error(exc)


def _read_error(exc: Exception) -> TransportError:
    """The :class:`TransportError` of an httpx exception raised while reading a reply (or a
    bare ``ssl.SSLError``, which httpcore's async backends let through when TLS fails after
    the handshake: a broken connection)."""
    if isinstance(exc, httpx.TimeoutException):
        return timed_out()
    if isinstance(exc, httpx.RemoteProtocolError):
        closed = any(word in str(exc).lower() for word in ("closed", "disconnected"))
        return broken() if closed else malformed()
    if isinstance(exc, (httpx.LocalProtocolError, httpx.DecodingError)):
        return malformed()
    return broken()


class AsyncHttpxTransport:
    """Sends requests through the user's ``httpx.AsyncClient``, which its owner closes."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        if not isinstance(client, httpx.AsyncClient):
            raise AgentBayError(
                f"http_client must be an httpx.AsyncClient, got {type(client).__name__}"
            )
        self.client = client

    async def open(
        self, method: str, url: str, headers: Mapping[str, str], body: Body, timeout: float
    ) -> _HttpxResponse:
        """Send a request; return once the status and headers are in."""
        try:
            request = self.client.build_request(
                method, url, content=body, headers=headers, timeout=timeout
            )
            response = await self.client.send(request, stream=True, follow_redirects=False)
        except (httpx.HTTPError, httpx.InvalidURL, ssl.SSLError, ValueError) as exc:
            raise _mapped(exc, url) from None
        return _HttpxResponse(response)

    async def aclose(self) -> None:
        """Nothing to close: the client belongs to whoever passed it in."""


class _HttpxResponse(LibraryResponse[httpx.Response]):
    """An httpx reply read chunk by chunk, as the bytes arrive."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response, response.status_code, response.headers)
        self._chunks: AsyncIterator[bytes] = response.aiter_raw()

    async def read(self, timeout: float) -> bytes:
        """The next chunk of the body, ``b""`` at its end (httpx applies the request's
        timeouts to each read)."""
        try:
            while True:
                chunk = await self._chunks.__anext__()
                if chunk:  # an empty chunk would read as the end
                    return chunk
        except StopAsyncIteration:
            return b""
        except (httpx.HTTPError, ssl.SSLError, ValueError) as exc:
            raise _read_error(exc) from None

    async def aclose(self) -> None:
        """httpx keeps the connection only when the body was read to its end."""
        await self._response.aclose()
