"""One HTTP exchange over any async transport, with the SDK's time rules and body limits; the
channel's, beside it (the transports below know nothing of it).

Written once for every transport (the sync flavour's is generated from this file), so that
what a timeout means, how much of a reply is read and how a stream is fed cannot drift apart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Protocol

from .. import _retry
from .._crc64 import HEADER as CRC64_HEADER
from .._transports._async.base import AsyncHTTPResponse, AsyncTransport
from .._transports.errors import Kind, TransportError, malformed, too_large
from .._transports.http import BODY_LIMIT, HEAD_LIMIT, Response, check_url, content_length
from .._transports.timing import Deadline
from . import _io


class BodyDestination(Protocol):
    """Where the body of a successful streamed download goes."""

    async def begin(self, status: int, header: Callable[[str], str | None]) -> None:
        """A 2xx response's body starts; ``header(name)`` reads its headers. Raising refuses
        the body."""

    async def write(self, chunk: bytes) -> None:
        """The next chunk of the body."""


async def fetch(
    transport: AsyncTransport,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    deadline: Deadline,
) -> Response:
    """Send a request and read its whole reply, at most :data:`BODY_LIMIT` bytes, within
    ``deadline``. Raises ``TransportError``."""
    try:
        async with _io.enforce(deadline):
            response = await transport.open(method, url, headers, body, deadline.op_timeout())
            try:
                if (_declared_length(response) or 0) > BODY_LIMIT:
                    raise too_large(BODY_LIMIT)
                content, complete = await _read_upto(response, deadline, BODY_LIMIT)
                if not complete:
                    raise too_large(BODY_LIMIT)
            finally:
                await response.aclose()
    except TransportError as exc:
        raise _relabelled(exc, deadline) from None
    return Response(response.status, content, _retry.retry_after_header(response.header))


async def send_stream(
    transport: AsyncTransport,
    method: str,
    url: str,
    headers: Mapping[str, str],
    chunks: AsyncIterator[bytes],
    deadline: Deadline,
) -> Response:
    """Stream ``chunks`` as a request body (an upload); the response keeps at most
    :data:`HEAD_LIMIT` bytes of its body. An exception raised while producing a chunk (a local
    read error, a progress callback) propagates unchanged. Raises ``TransportError``."""
    check_url(url)
    paced = _Paced(chunks, deadline)
    try:
        async with _io.enforce(deadline):
            response = await transport.open(
                method, url, headers, paced.chunks(), deadline.op_timeout()
            )
            try:
                head, _ = await _read_upto(response, deadline, HEAD_LIMIT)
            finally:
                await response.aclose()
    except Exception as exc:
        if paced.failure is not None:
            raise paced.failure from None
        if isinstance(exc, TransportError):
            raise _relabelled(exc, deadline) from None
        raise
    return Response(
        response.status,
        head,
        _retry.retry_after_header(response.header),
        crc64=response.header(CRC64_HEADER),
    )


async def receive_stream(
    transport: AsyncTransport,
    url: str,
    headers: Mapping[str, str],
    destination: BodyDestination,
    deadline: Deadline,
) -> Response:
    """GET ``url`` and stream a 2xx body to ``destination`` (a download); any other response
    keeps at most :data:`HEAD_LIMIT` bytes of its body, and its Content-Range. An exception
    raised by ``destination`` propagates unchanged. Raises ``TransportError``."""
    check_url(url)
    try:
        async with _io.enforce(deadline):
            response = await transport.open("GET", url, headers, None, deadline.op_timeout())
            try:
                if not 200 <= response.status < 300:
                    head, _ = await _read_upto(response, deadline, HEAD_LIMIT)
                    retry_after = _retry.retry_after_header(response.header)
                    return Response(
                        response.status,
                        head,
                        retry_after,
                        response.header("content-range"),
                        response.header(CRC64_HEADER),
                    )
                _declared_length(response)  # a Content-Length that is not one: malformed
                await destination.begin(response.status, response.header)
                while chunk := await response.read(deadline.op_timeout()):
                    deadline.progressed()
                    await destination.write(chunk)
                    deadline.check()
            finally:
                await response.aclose()
    except TransportError as exc:
        raise _relabelled(exc, deadline) from None
    return Response(response.status)


def _declared_length(response: AsyncHTTPResponse) -> int | None:
    """The reply's Content-Length; a value that is not one is a malformed reply (some
    libraries would read to the end of the connection instead, others refuse it)."""
    value = response.header("content-length")
    length = content_length(value)
    if value is not None and length is None:
        raise malformed()
    return length


async def _read_upto(
    response: AsyncHTTPResponse, deadline: Deadline, limit: int
) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of the body, and whether that was all of it."""
    _declared_length(response)
    parts: list[bytes] = []
    size = 0
    while chunk := await response.read(deadline.op_timeout()):
        deadline.progressed()
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(parts)[:limit], False
        deadline.check()
    return (parts[0] if len(parts) == 1 else b"".join(parts)), True


class _Paced:
    """Feeds a request body, restarting the stall budget as each chunk is taken and keeping
    whatever the source raised (the transport may wrap or swallow it)."""

    def __init__(self, chunks: AsyncIterator[bytes], deadline: Deadline) -> None:
        self._chunks = chunks
        self._deadline = deadline
        self.failure: BaseException | None = None

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._chunks:
                self._deadline.check()
                yield chunk
                self._deadline.progressed()
        except Exception as exc:
            self.failure = exc
            raise


def _relabelled(exc: TransportError, deadline: Deadline) -> TransportError:
    """A library's timeout, told as the deadline's own error (which budget ran out)."""
    return deadline.error() if exc.kind is Kind.TIMEOUT else exc
