"""The async flavour's default transport, over aiohttp.

aiohttp carries the bytes because, measured here, it keeps 100 concurrent calls at raw
aiohttp's pace where httpx's pool falls to a tenth of it (docs/benchmarks.md). Time is not
aiohttp's business here: the exchange cancels what runs past its deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncGenerator, Mapping

import aiohttp
import yarl

from .._config import Config
from ._async.base import Body
from .errors import TransportError, broken, cannot_connect, invalid_url, malformed, timed_out
from .http import CHUNK_SIZE, LibraryResponse, tls_context

# Headers aiohttp would add on its own; a presigned PUT must go out with only what we set.
_NO_AUTO_HEADERS = ("Content-Type", "User-Agent", "Accept-Encoding", "Accept")
_NO_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=None, sock_read=None)


def _mapped(exc: Exception, url: str) -> TransportError:
    """The :class:`TransportError` of an aiohttp (or asyncio) exception raised while requesting
    ``url``."""
    if isinstance(exc, aiohttp.InvalidURL):
        return invalid_url(url, "aiohttp cannot request it")
    if isinstance(exc, aiohttp.ClientConnectorError):  # ClientSSLError is one too
        tls = isinstance(exc, aiohttp.ClientSSLError)
        return cannot_connect(url, tls_error=str(exc) if tls else None)
    if isinstance(exc, asyncio.TimeoutError):
        return timed_out()
    if isinstance(exc, aiohttp.ClientResponseError):
        return malformed()
    return broken()


def _abandon(session: aiohttp.ClientSession) -> None:
    """Release a session that cannot be awaited any more (its client was dropped, or its loop
    is gone): close its sockets without the "Unclosed client session" warning."""
    connector = session.connector
    session.detach()
    if connector is not None:
        with contextlib.suppress(Exception):
            connector._close()  # the synchronous part of close(), as aiohttp's own __del__ does


def _close_elsewhere(
    session: aiohttp.ClientSession, loop: asyncio.AbstractEventLoop | None
) -> None:
    """Close a session of another loop: on that loop (soon, without waiting) while it runs,
    else at once, as :func:`_abandon` can."""
    if loop is not None and loop.is_running():
        asyncio.run_coroutine_threadsafe(session.close(), loop)
    else:
        _abandon(session)


async def _closed_with_its_loop(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    """Started once on the session's loop, it waits there: when the loop shuts down its async
    generators (``asyncio.run`` does, before closing it), it closes the session on that loop,
    so that no socket is left for the garbage collector to warn about (``ResourceWarning``)."""
    try:
        yield
    finally:
        if not session.closed:
            await session.close()


class AiohttpTransport:
    """Pooled HTTP over one ``aiohttp.ClientSession``, made in the running loop on first use.

    A client dropped without ``aclose()``, or used from a second event loop, releases its old
    session quietly. aiohttp's own defaults stand where they fit: ``HTTP(S)_PROXY`` is not read
    and an idle connection is closed after 15 s.
    """

    def __init__(self, config: Config) -> None:
        self._limit = config.max_connections
        self._tls = tls_context()
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._finalizer: weakref.finalize[[aiohttp.ClientSession], AiohttpTransport] | None = None
        self._keeper: AsyncGenerator[None, None] | None = None

    async def _current_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is not None and self._loop is loop:
            return self._session
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=self._limit,
                ssl=self._tls,
            ),
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            skip_auto_headers=_NO_AUTO_HEADERS,
            read_bufsize=CHUNK_SIZE,
            timeout=_NO_TIMEOUT,
        )
        self._release_old()
        self._loop, self._session = loop, session
        self._finalizer = weakref.finalize(self, _abandon, session)
        self._keeper = _closed_with_its_loop(session)
        await self._keeper.__anext__()  # now the loop knows it, and closes it at its end
        return session

    def _release_old(self) -> None:
        """Let go of the session of another loop: closed there if that loop still runs."""
        if self._finalizer is None:
            return
        self._finalizer.detach()
        if self._session is not None:
            _close_elsewhere(self._session, self._loop)

    async def open(
        self, method: str, url: str, headers: Mapping[str, str], body: Body, timeout: float
    ) -> _AiohttpResponse:
        """Send a request; return once the status and headers are in."""
        try:
            target = yarl.URL(url, encoded=True)
        except (ValueError, TypeError) as exc:
            raise invalid_url(url, str(exc)) from None
        try:
            session = await self._current_session()
            response = await session.request(
                method,
                target,
                data=body,
                headers=headers,
                allow_redirects=False,
            )
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise _mapped(exc, url) from None
        return _AiohttpResponse(response, response.status, response.headers)

    async def aclose(self) -> None:
        """Close the session and its connections."""
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if self._session is not None:
            session, self._session = self._session, None
            if self._loop is asyncio.get_running_loop():
                await session.close()
            else:
                _close_elsewhere(session, self._loop)


class _AiohttpResponse(LibraryResponse[aiohttp.ClientResponse]):
    """An aiohttp reply read chunk by chunk."""

    async def read(self, timeout: float) -> bytes:
        """The next chunk of the body, ``b""`` at its end. A failure is a broken connection:
        no aiohttp timer runs (the exchange keeps time)."""
        try:
            chunk = await self._response.content.readany()
        except (aiohttp.ClientError, ValueError):
            raise broken() from None
        return chunk

    async def aclose(self) -> None:
        """Drop the connection unless the body was read to its end (then aiohttp has already
        put it back in its pool)."""
        self._response.close()
