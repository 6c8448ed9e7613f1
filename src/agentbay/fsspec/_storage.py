"""Ranged GETs on presigned download URLs, and the mapping of failures to Python's errors.

The SDK's public API streams whole files (``download_file``); reading a byte range is a GET with
a ``Range`` header on the URL of ``get_file_download_url``. That one request is made here, over
an aiohttp session per event loop (aiohttp is a core dependency), without touching the SDK's
private transport. The session is released quietly when the filesystem is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import random
import ssl
import weakref
from typing import NoReturn

import aiohttp
import certifi
import yarl

from .. import AgentBayError

ERROR_BODY_LIMIT = 64 * 1024
"""The most of an error answer's body that is read (its code is near the start)."""
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
NOT_FOUND_CODES = frozenset(
    {"InvalidContext.NotFound", "InvalidFile.NotFound", "NoSuchKey", "NoSuchBucket"}
)
DENIED_CODES = frozenset(
    {"Unauthorized", "InvalidApiKey", "AccessDenied", "SignatureDoesNotMatch", "Forbidden"}
)


def raise_failure(
    what: str, path: str, code: str | None, status: int, message: str = ""
) -> NoReturn:
    """Raise the Python error for a failure the service or storage reported about ``path``:
    FileNotFoundError, PermissionError, else OSError carrying the service's code."""
    detail = f"{what} {path}: {message or 'failed'}"
    if code and code not in detail:
        detail += f" [{code}]"
    if (code or "") in NOT_FOUND_CODES or status == 404:
        raise FileNotFoundError(errno.ENOENT, detail, path)
    if (code or "") in DENIED_CODES or status in (401, 403):
        raise PermissionError(errno.EACCES, detail, path)
    number = errno.EINVAL if status == 400 else errno.EIO
    error = OSError(number, detail, path)
    error.code = code  # type: ignore[attr-defined]
    raise error


def raise_sdk_error(what: str, path: str, exc: AgentBayError) -> NoReturn:
    """Raise the Python error for an :class:`AgentBayError` (whose message the SDK redacted)."""
    raise_failure(what, path, exc.code, exc.http_status_code, exc.message)


def backoff(attempt: int) -> float:
    """Full jitter up to ``min(8 s, 0.1 s x 2^attempt)``, as the SDK's retries."""
    return random.uniform(0, min(8.0, 0.1 * 2**attempt))


class RangeAnswer:
    """What storage answered a ranged GET: the status, the body, and the total size when a
    ``Content-Range`` told it."""

    __slots__ = ("body", "status", "total")

    def __init__(self, status: int, body: bytes, total: int | None) -> None:
        self.status = status
        self.body = body
        self.total = total


def _total(content_range: str | None) -> int | None:
    """The size after the ``/`` of ``Content-Range: bytes a-b/SIZE`` (None when unknown)."""
    if not content_range or "/" not in content_range:
        return None
    size = content_range.rsplit("/", 1)[1].strip()
    return int(size) if size.isdigit() else None


def _abandon(session: aiohttp.ClientSession) -> None:
    """Close a session that can no longer be awaited, without aiohttp's unclosed warning."""
    connector = session.connector
    session.detach()
    if connector is not None:
        with contextlib.suppress(Exception):
            connector._close()  # the synchronous part of close(), as aiohttp's __del__ does


class RangeReader:
    """One aiohttp session per event loop for ranged GETs; each attempt bounded by
    ``timeout_s`` per network step (connecting, every read)."""

    def __init__(self, timeout_s: float, max_connections: int) -> None:
        self._timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=timeout_s, sock_read=timeout_s
        )
        self._limit = max_connections
        self._sessions: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, aiohttp.ClientSession
        ] = weakref.WeakKeyDictionary()
        # Each session with its loop, released when the filesystem goes or its loop has closed.
        self._held: list[
            tuple[asyncio.AbstractEventLoop, weakref.finalize[[aiohttp.ClientSession], RangeReader]]
        ] = []

    def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            for held_loop, finalizer in self._held:
                if held_loop.is_closed():  # asyncio.run after asyncio.run: let go at once
                    finalizer()
            self._held = [(held, f) for held, f in self._held if f.alive]
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._limit,
                    ssl=ssl.create_default_context(cafile=certifi.where()),
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                skip_auto_headers=("Content-Type", "User-Agent", "Accept-Encoding", "Accept"),
                timeout=self._timeout,
            )
            self._sessions[loop] = session
            self._held.append((loop, weakref.finalize(self, _abandon, session)))
        return session

    async def get(self, url: str, byte_range: str, limit: int | None) -> RangeAnswer:
        """GET ``url`` with ``Range: <byte_range>``, reading at most ``limit`` bytes of a
        success (all of it when None) and :data:`ERROR_BODY_LIMIT` of a failure, so a storage
        that ignores the range or sends more than asked cannot fill memory. Network failures
        raise aiohttp's exceptions or :class:`asyncio.TimeoutError` (whose text may hold the
        URL: callers must not show it)."""
        target = yarl.URL(url, encoded=True)
        headers = {"Range": byte_range}
        async with self._session().get(target, headers=headers, allow_redirects=False) as answer:
            if answer.status not in (200, 206):
                limit = ERROR_BODY_LIMIT
            length = answer.content_length
            if limit is None or (length is not None and length <= limit):
                body = await answer.read()
            else:  # more than wanted, or of unknown length: read up to the limit only
                parts: list[bytes] = []
                got = 0
                while got < limit:
                    chunk = await answer.content.read(min(limit - got, 1 << 20))
                    if not chunk:
                        break
                    parts.append(chunk)
                    got += len(chunk)
                body = b"".join(parts)
            return RangeAnswer(answer.status, body, _total(answer.headers.get("Content-Range")))

    async def aclose(self) -> None:
        """Close the session of the running loop (others are released when dropped)."""
        with contextlib.suppress(RuntimeError):
            session = self._sessions.pop(asyncio.get_running_loop(), None)
            if session is not None:
                await session.close()
