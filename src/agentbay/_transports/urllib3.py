"""The sync flavour's default transport, over urllib3.

urllib3 carries the bytes because, measured here, one pool shared by 50 threads keeps its pace
where httpx's ``Client`` reaches about 0.6 of it, and a sequential call costs less than a raw
httpx POST (docs/benchmarks.md). Calls to the endpoint go straight to its own connection pool
(urllib3 then skips parsing the URL and looking the pool up); presigned URLs go through a
PoolManager. Every socket operation gets the time the exchange has left for it.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable, Mapping

import urllib3
from urllib3.exceptions import (
    HeaderParsingError,
    HTTPError,
    InvalidHeader,
    LocationValueError,
    NewConnectionError,
    ProtocolError,
    SSLError,
)
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from .._config import Config
from ._sync.base import Body
from .errors import TransportError, broken, cannot_connect, invalid_url, malformed, timed_out
from .http import CHUNK_SIZE, LibraryResponse, tls_context


def _mapped(exc: Exception, url: str) -> TransportError:
    """The :class:`TransportError` of a urllib3 exception raised while requesting ``url`` (named
    by the errors of connecting)."""
    if isinstance(exc, LocationValueError):
        return invalid_url(url, "urllib3 cannot request it")
    if isinstance(exc, NewConnectionError):  # a subclass of its TimeoutError: first
        return cannot_connect(url)
    if isinstance(exc, SSLError):
        return cannot_connect(url, tls_error=str(exc))
    return _read_error(exc)


def _read_error(exc: Exception) -> TransportError:
    """The :class:`TransportError` of a urllib3 exception raised while reading a reply; TLS
    failing mid-body is a broken connection, as it is for the other transports."""
    if isinstance(exc, Urllib3Timeout):
        return timed_out()
    if isinstance(exc, (InvalidHeader, HeaderParsingError)):
        return malformed()
    if isinstance(exc, ProtocolError):
        cause = exc.args[1] if len(exc.args) > 1 else None
        if isinstance(cause, TimeoutError):  # a write timed out while sending the body
            return timed_out()
        if isinstance(cause, http.client.HTTPException) and not isinstance(
            cause, (ConnectionError, http.client.IncompleteRead)
        ):
            return malformed()
    return broken()


class Urllib3Transport:
    """Pooled HTTP over urllib3; safe to share between threads."""

    def __init__(self, config: Config) -> None:
        # Past ``size`` connections to a host, urllib3's pools (block=False) open more and close
        # them after use; TLS trusts the certifi bundle (and AGENTBAY_CA_BUNDLE) alone.
        size, context = config.max_connections, tls_context()
        self._pool = urllib3.PoolManager(maxsize=size, ssl_context=context)
        origin = urllib3.util.parse_url(config.base_url)
        self._origin = f"{origin.scheme}://{origin.netloc}/"
        tls = {"ssl_context": context} if origin.scheme == "https" else {}
        self._endpoint = urllib3.connection_from_url(self._origin, maxsize=size, **tls)

    def open(
        self, method: str, url: str, headers: Mapping[str, str], body: Body, timeout: float
    ) -> _Urllib3Response:
        """Send a request; return once the status and headers are in."""
        opener: Callable[..., urllib3.BaseHTTPResponse] = self._pool.urlopen
        target = url
        if url.startswith(self._origin):
            opener, target = self._endpoint.urlopen, url[len(self._origin) - 1 :]
        # A whole call of bytes is bounded from connecting on; a stream, each step alone.
        if isinstance(body, bytes):
            limit = urllib3.Timeout(total=timeout)
        else:
            limit = urllib3.Timeout(connect=timeout, read=timeout)
        try:
            response = opener(
                method,
                target,
                body=body,
                headers=headers,
                retries=False,  # no retry, and no redirect: urllib3 hands a 3xx back as it came
                preload_content=False,
                decode_content=False,
                timeout=limit,
            )
        except (HTTPError, ValueError) as exc:
            raise _mapped(exc, url) from None
        return _Urllib3Response(response, response.status, response.headers)

    def close(self) -> None:
        """Close the pooled connections."""
        self._pool.clear()
        self._endpoint.close()


class _Urllib3Response(LibraryResponse[urllib3.BaseHTTPResponse]):
    """A urllib3 reply read chunk by chunk, each read given its own socket timeout."""

    def read(self, timeout: float) -> bytes:
        """The next chunk of the body, ``b""`` at its end."""
        connection = self._response.connection
        sock = getattr(connection, "sock", None)
        if sock is not None:
            sock.settimeout(timeout)
        try:
            chunk = self._response.read1(CHUNK_SIZE)
        except (HTTPError, ValueError) as exc:
            raise _read_error(exc) from None
        return chunk

    def close(self) -> None:
        """Drop the connection unless the body was read to its end (then urllib3 has already
        put it back in its pool)."""
        self._response.close()
        self._response.release_conn()
