"""File transfers that outlast transient failures: the retry loop of ``upload_file`` and
``download_file`` (one attempt is the channel's).

Each attempt asks for a fresh presigned URL. An attempt that fails transiently (a
``TransportError`` that is ``retryable``: refused, reset or cut connections, stalls; or storage
answering 408, 429, 500, 502, 503 or 504) is retried on the one retry schedule,
``_retry.Schedule`` (Retry-After honoured, at most ``Config.max_retries`` times), all within the
transfer's optional ``timeout``. An upload is retried only if its source can be read again
from its start; a download resumes from the bytes it already has with ``Range: bytes=N-`` (and
``If-Range``), and starts over when storage sends the whole file instead.

Unless ``Config.verify_crc`` is off, the bytes' CRC-64/XZ is computed as they stream (in the
worker thread that reads or writes them) and compared with the ``x-oss-hash-crc64ecma`` storage
answers with: a mismatch is a transient failure (an upload is sent again through a fresh URL; a
download drops what it wrote and starts over), ``SDK.ChecksumMismatch`` when every attempt
mismatches. A resumed download's CRC goes on from the bytes it kept, so it covers the whole
file. A response without the header is not an error: a DEBUG line on the ``agentbay`` logger
says the file was not verified.

A transfer is handed what it uses: the channel, and ``url_for(context_id, path)``, which asks
for a presigned URL (PUT for an upload, GET for a download); never the service.

Example::

    result = await upload(FileJob(channel, url_for, "ctx-1", "/a.txt", None), b"data", None)
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Protocol

import attrs

from .. import _crc64, _local, _results, _retry
from .._models import FileUrlResult, OperationResult
from .._redact import without_query_of
from .._transports.errors import Kind, TransportError
from .._transports.http import Response, content_length, content_range
from .._transports.timing import Deadline
from ._io import open_blocking, run_blocking, run_to_end, sleep

if TYPE_CHECKING:
    from ._channel import AsyncChannel


class UrlFor(Protocol):
    """``url_for(context_id, path)``: a presigned URL for the next attempt."""

    async def __call__(self, context_id: str, file_path: str, /) -> FileUrlResult: ...


NOT_REREADABLE = "not retried: the source cannot be read again from its start"
NOT_REWINDABLE = "not retried: the destination cannot be rewound"
logger = logging.getLogger("agentbay")


@attrs.frozen
class FileJob:
    """Which file a transfer moves, what it is handed to reach it (the channel and
    ``url_for``), and the optional bound of the whole transfer (seconds)."""

    channel: AsyncChannel
    url_for: UrlFor
    context_id: str
    file_path: str
    timeout: float | None


@attrs.frozen
class _Attempt:
    """How one attempt ended: its result, and whether another attempt may do better."""

    result: OperationResult
    retryable: bool = False
    retry_after: float | None = None
    # Whether the message may quote storage's text, which may echo the URL's query. A CRC-64
    # mismatch's does not (its one quote is cleaned): the file path stays, even where the URL's
    # query names it (the emulator's does).
    quotes_storage: bool = True


def _answered(url: FileUrlResult, response: Response, size: int) -> _Attempt:
    """How an attempt that storage answered ended."""
    result = _results.transfer_result(url, response, size)
    if result.success:
        return _Attempt(result)
    retry_after = _retry.parse_retry_after(response.retry_after)
    return _Attempt(result, _retry.is_retryable(response.status), retry_after)


def _done(url: FileUrlResult, size: int) -> OperationResult:
    return OperationResult(request_id=url.request_id, success=True, data=size)


def _timed_out(timeout: float) -> str:
    return f"Transfer timed out after {round(timeout * 1000)} ms"


class _Transfer:
    """One file transfer, attempt after attempt; a subclass says what an attempt is."""

    def __init__(self, job: FileJob) -> None:
        self._job = job
        self._channel = job.channel
        self._timeout = job.timeout

    async def fresh_url(self) -> FileUrlResult:
        """A presigned URL for the next attempt."""
        return await self._job.url_for(self._job.context_id, self._job.file_path)

    async def attempt(self, url: FileUrlResult, deadline: Deadline | None) -> _Attempt:
        """One attempt through ``url``, ending before ``deadline`` (None: no bound). Raises
        ``TransportError`` or ``LocalIOError``."""
        raise NotImplementedError

    async def prepare_retry(self) -> str | None:
        """Ready the next attempt, or say why there can be none."""
        return None

    async def run(self) -> OperationResult:
        """Attempt until success or a failure that may not be retried."""
        deadline = None if self._timeout is None else Deadline(total=self._timeout)
        schedule = _retry.Schedule(self._channel.config.max_retries, deadline)
        while True:
            url = await self.fresh_url()
            if not url.success:
                return _results.url_failure(url)
            try:
                if deadline is not None and deadline.remaining() <= 0:
                    raise TransportError(Kind.TIMEOUT, "Transfer timed out")
                ended = await self.attempt(url, deadline)
            except TransportError as exc:
                if exc.kind is Kind.TIMEOUT and deadline is not None and deadline.remaining() <= 0:
                    message = _timed_out(self._timeout or 0.0)
                    ended = _Attempt(_results.error_failure(url, message, exc.code))
                else:
                    failure = _results.error_failure(url, exc.message, exc.code)
                    ended = _Attempt(failure, exc.retryable)
            except _local.LocalIOError as exc:
                ended = _Attempt(_results.error_failure(url, str(exc), exc.code))
            result, quotes_storage = ended.result, ended.quotes_storage
            delay = schedule.next_delay(ended.retryable, ended.retry_after)
            if delay is None:
                break
            reason = await self.prepare_retry()
            if reason is not None:
                result.error_message += f" ({reason})"
                break
            await sleep(delay)
        if not result.success:
            if schedule.attempts > 1:
                result.error_message += f" (after {schedule.attempts} attempts)"
            safe = self._safe if quotes_storage else (lambda _, text: self._channel.safe(text))
            result.error_message = safe(url.url, result.error_message)
            result.message = safe(url.url, result.message)
            result.code = safe(url.url, result.code)  # storage may echo there too
        return result

    def _safe(self, url: str, text: str) -> str:
        """``text`` without the query of ``url`` (storage may echo it) or the API key."""
        return self._channel.safe(without_query_of(url, text))

    def _checked(
        self,
        url: FileUrlResult,
        size: int,
        crc: _crc64.Crc64 | None,
        answered: str | None,
        moved: str,
    ) -> _Attempt:
        """How an attempt whose bytes all went through ended: done, unless their CRC-64
        (``crc``, None when not checked) differs from storage's (``answered``, as sent)."""
        if crc is not None:
            verdict = _crc64.verdict(crc.value, answered)
            if verdict is _crc64.Verdict.MISMATCH:
                path = self._job.file_path
                shown = None if answered is None else self._safe(url.url, answered)
                failure = _results.checksum_failure(url, path, moved, crc.value, shown)
                return _Attempt(failure, retryable=True, quotes_storage=False)
            if verdict is _crc64.Verdict.UNVERIFIED:
                logger.debug(
                    "%s of %s not verified: storage answered without %s",
                    "Upload" if moved == "sent" else "Download",
                    self._job.file_path,
                    _crc64.HEADER,
                )
        return _Attempt(_done(url, size))


class Upload(_Transfer):
    """An upload of an opened ``source``: every attempt reads it from its start.

    Example: ``result = await Upload(job, source, None).run()``
    """

    def __init__(
        self, job: FileJob, source: _local.OpenedSource, callback: _local.ProgressCallback | None
    ) -> None:
        super().__init__(job)
        self._source = source
        self._progress = _local.Progress(callback, source.size)
        self._headers = {} if source.size is None else {"content-length": str(source.size)}
        self._crc: _crc64.Crc64 | None = None  # of the bytes the current attempt sent

    async def attempt(self, url: FileUrlResult, deadline: Deadline | None) -> _Attempt:
        """PUT the source from its start; check the CRC-64 storage answers with."""
        self._crc = None
        response = await self._channel.upload(url.url, self._headers, self._chunks(), deadline)
        ended = _answered(url, response, self._source.taken)
        if not ended.result.success:
            return ended
        return self._checked(url, self._source.taken, self._crc, response.crc64, "sent")

    async def _chunks(self) -> AsyncIterator[bytes]:
        source = self._source
        self._progress.start(source.size)
        crc = self._crc = _crc64.Crc64() if self._channel.config.verify_crc else None
        while source.size is None or source.taken < source.size:
            chunk = await run_blocking(_next_chunk, source, crc)
            if not chunk:
                return
            yield chunk
            self._progress.advance(len(chunk))

    async def prepare_retry(self) -> str | None:
        """Go back to the source's start; a pipe cannot."""
        return None if await run_blocking(self._source.rewind) else NOT_REREADABLE


class Download(_Transfer):
    """A download into ``destination``, resumed from what it holds when an attempt breaks off.

    Example: ``result = await Download(job, opened, None).run()``
    """

    def __init__(
        self,
        job: FileJob,
        destination: _local.OpenedDestination,
        callback: _local.ProgressCallback | None,
    ) -> None:
        super().__init__(job)
        self._destination = destination
        progress = _local.Progress(callback, None)
        self._resumable = _Resumable(destination, progress, job.channel.config.verify_crc)

    async def attempt(self, url: FileUrlResult, deadline: Deadline | None) -> _Attempt:
        """GET the file, or the rest of it; commit the destination once every byte is in and
        their CRC-64 matches storage's. A mismatch drops what was written: the next attempt
        starts over."""
        resumable = self._resumable
        response = await self._channel.download(url.url, resumable.headers(), resumable, deadline)
        ended = resumable.ended(url, response)
        if ended.result.success:
            size = self._destination.written
            ended = self._checked(url, size, resumable.crc, resumable.answered, "received")
            if not ended.result.success:
                resumable.start_over()
                if not await run_blocking(self._destination.restart):
                    ended.result.error_message += f" ({NOT_REWINDABLE})"
                    return attrs.evolve(ended, retryable=False)
        if ended.result.success:
            await run_blocking(self._destination.commit)
        return ended


class _Resumable:
    """Receives one download into ``destination`` across its attempts: asks for the rest with a
    Range request, and starts over when storage sends the whole file again."""

    def __init__(
        self, destination: _local.OpenedDestination, progress: _local.Progress, verify: bool
    ) -> None:
        self._destination = destination
        self._progress = progress
        self._verify = verify
        self.crc: _crc64.Crc64 | None = None  # of the bytes written (None: not checked)
        self.answered: str | None = None  # the file's x-oss-hash-crc64ecma, as storage sent it
        self._validator: str | None = None  # the ETag or Last-Modified of the whole file
        self._total: int | None = None
        self._resume = True
        self._asked = 0  # the offset the current attempt asked for

    def headers(self) -> dict[str, str]:
        """The headers of the next attempt: a Range from what the destination has, if anything."""
        headers = {"accept-encoding": "identity"}
        self._asked = self._destination.written if self._resume else 0
        self._resume = True
        if self._asked:
            headers["range"] = f"bytes={self._asked}-"
            if self._validator:
                headers["if-range"] = self._validator
        return headers

    async def begin(self, status: int, header: Callable[[str], str | None]) -> None:
        """A 206 goes on from what the destination has; anything else starts over."""
        if status == 206:
            first, last, total = content_range(header("content-range"))
            if (
                not self._asked
                or first != self._asked
                or total is None
                or last != total - 1
                or (self._total is not None and total != self._total)
            ):
                self._resume = False
                raise TransportError(
                    Kind.PROTOCOL, "Storage answered 206 with an unexpected Content-Range"
                )
            self._total = total
            self._progress.resume(total)
            self.answered = header(_crc64.HEADER)  # the whole file's; the CRC goes on
            return
        if not await run_blocking(self._destination.restart):
            raise _local.LocalIOError(
                "Cannot start the download over: the destination cannot be rewound"
            )
        self._total = content_length(header("content-length"))
        etag = header("etag")
        self._validator = etag if etag and not etag.startswith("W/") else header("last-modified")
        self.crc = _crc64.Crc64() if self._verify else None
        self.answered = header(_crc64.HEADER)
        self._progress.start(self._total)

    async def write(self, chunk: bytes) -> None:
        """Write one chunk and add it to the CRC (off the event loop); report it."""
        await run_blocking(_write_chunk, self._destination, self.crc, chunk)
        self._progress.advance(len(chunk))

    def start_over(self) -> None:
        """The next attempt asks for the whole file (what was written is not to be trusted)."""
        self._resume = False

    def ended(self, url: FileUrlResult, response: Response) -> _Attempt:
        """How the attempt that got ``response`` ended."""
        written = self._destination.written
        if 200 <= response.status < 300:
            if self._total is not None and written != self._total:
                message = f"The download ended after {written} of {self._total} bytes"
                return _Attempt(_results.error_failure(url, message, Kind.BROKEN.value), True)
            return _Attempt(_done(url, written))
        if response.status == 416 and self._asked:
            total = content_range(response.content_range)[2]
            if total == written:  # every byte had arrived already
                if response.crc64 is not None:
                    self.answered = response.crc64
                self._progress.resume(total)
                return _Attempt(_done(url, written))
            self._resume = False
            return _Attempt(_answered(url, response, written).result, retryable=True)
        return _answered(url, response, written)


def _next_chunk(source: _local.OpenedSource, crc: _crc64.Crc64 | None) -> bytes:
    """The source's next chunk, added to ``crc`` (blocking: in the reading thread)."""
    chunk = source.next_chunk()
    if crc is not None:
        crc.update(chunk)
    return chunk


def _write_chunk(
    destination: _local.OpenedDestination, crc: _crc64.Crc64 | None, chunk: bytes
) -> None:
    """Write ``chunk``, then add it to ``crc`` (blocking: in the writing thread)."""
    destination.write(chunk)
    if crc is not None:
        crc.update(chunk)


async def upload(
    job: FileJob, source: _local.Source, progress: _local.ProgressCallback | None
) -> OperationResult:
    """Open ``source`` (raising :class:`~agentbay.AgentBayError` before sending when it cannot
    be read) and upload it (see ``upload_file``); arguments already checked."""
    opened = await open_blocking(_local.open_source, lambda opened: opened.close(), source)
    try:
        return await Upload(job, opened, progress).run()
    finally:
        await run_to_end(opened.close)


async def download(
    job: FileJob, destination: _local.Destination, progress: _local.ProgressCallback | None
) -> OperationResult:
    """Open ``destination`` (raising :class:`~agentbay.AgentBayError` before sending when it
    cannot be written) and download into it (see ``download_file``); arguments already
    checked."""
    opened = await open_blocking(
        _local.open_destination, lambda opened: opened.discard(), destination
    )
    try:
        return await Download(job, opened, progress).run()
    finally:
        await run_to_end(opened.discard)
