"""File transfers, the parts both flavours share: sources, destinations, progress, messages.

A source is opened (and checked) before anything is sent and read in :data:`CHUNK_SIZE`
chunks. A download to a path is written to a temporary file next to the destination and renamed
into place only by :meth:`TempFileSink.commit`; leaving :func:`open_destination` without
committing removes it. Nothing here touches the network.
"""

from __future__ import annotations

import contextlib
import http
import io
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from ._errors import AgentBayError
from ._models import FileUrlResult, OperationResult
from ._reply import printable
from ._transports.http import CHUNK_SIZE, Answer

SNIPPET_LENGTH = 200
HEAD_LENGTH = 1024
# A field of a JSON ({"Code": "x"}) or XML (<Code>x</Code>) error body of object storage.
_FIELD = r'"{name}"\s*:\s*"([^"]*)"|<{name}>([^<]*)</{name}>'

ProgressCallback = Callable[[int, int | None], object]


class LocalIOError(Exception):
    """Reading the source or writing the destination failed mid-transfer; ``str()`` says which
    file and why."""

    code = "SDK.LocalIOError"


class BinaryReader(Protocol):
    """What an upload reads from: any object with a binary ``read(size)``."""

    def read(self, size: int = -1, /) -> bytes: ...


class BinaryWriter(Protocol):
    """What a download writes to: any object with a binary ``write(data)``."""

    def write(self, data: bytes, /) -> object: ...


Source = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryReader
Destination = str | os.PathLike[str] | BinaryWriter


class Progress:
    """Reports ``(bytes_done, total)`` to an optional callback, starting with ``(0, total)``."""

    def __init__(self, callback: ProgressCallback | None, total: int | None) -> None:
        self._callback = callback
        self.total = total
        self.done = 0

    def start(self) -> None:
        """Report that nothing has moved yet."""
        if self._callback is not None:
            self._callback(0, self.total)

    def advance(self, count: int) -> None:
        """Report ``count`` more bytes moved."""
        self.done += count
        if self._callback is not None:
            self._callback(self.done, self.total)


class Receiving:
    """Receives a download into ``sink``, reporting progress once the size is known."""

    def __init__(self, sink: Sink, callback: ProgressCallback | None) -> None:
        self._sink = sink
        self.progress = Progress(callback, None)

    def begin(self, total: int | None) -> None:
        """The body starts: report ``(0, total)``."""
        self.progress.total = total
        self.progress.start()

    def write(self, chunk: bytes) -> None:
        """Write one chunk and report it."""
        self._sink.write(chunk)
        self.progress.advance(len(chunk))


def check_progress(callback: object) -> None:
    """Raise :class:`AgentBayError` unless ``callback`` is None or callable."""
    if callback is not None and not callable(callback):
        raise AgentBayError(f"progress must be callable, got {type(callback).__name__}")


def _remaining_size(reader: Any) -> int | None:
    """Bytes left from the current position of a seekable file object, else None."""
    try:
        if not reader.seekable():
            return None
        position: int = reader.tell()
        end: int = reader.seek(0, os.SEEK_END)
        reader.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return max(end - position, 0)


def _has_method(value: object, name: str) -> bool:
    return not isinstance(value, io.TextIOBase) and callable(getattr(value, name, None))


@contextlib.contextmanager
def open_source(source: Source) -> Iterator[tuple[BinaryReader, int | None, str]]:
    """Yield a reader of ``source``, its size (None when unknown) and a label for messages;
    close what it opened.

    Raises :class:`AgentBayError` for a source of the wrong type or a file that cannot be read.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(source), memoryview(source).nbytes, "the source"
    elif isinstance(source, (str, os.PathLike)):
        path = printable(os.fspath(source))
        try:
            file = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise AgentBayError(f"Cannot read {path}: {exc.strerror or exc}") from None
        with file:
            status = os.fstat(file.fileno())
            yield file, status.st_size if stat.S_ISREG(status.st_mode) else None, path
    elif _has_method(source, "read"):
        yield source, _remaining_size(source), "the source"
    else:
        raise AgentBayError(
            f"source must be a path, bytes or a binary file object, got {type(source).__name__}"
        )


class Sink:
    """Where downloaded chunks go: here, a file object written as is."""

    def __init__(self, writer: BinaryWriter, label: str = "the destination") -> None:
        self._writer = writer
        self._label = label

    def write(self, chunk: bytes) -> None:
        """Write one chunk; raises :class:`LocalIOError` when that fails."""
        try:
            self._writer.write(chunk)
        except OSError as exc:
            raise LocalIOError(f"Cannot write {self._label}: {exc.strerror or exc}") from None

    def commit(self) -> None:
        """Mark the download complete (a file object needs nothing more)."""

    def discard(self) -> None:
        """Undo an incomplete download (a file object keeps what was written)."""


class TempFileSink(Sink):
    """Writes to a temporary file next to ``path``, renamed onto ``path`` by :meth:`commit`."""

    def __init__(self, path: str) -> None:
        if os.path.isdir(path):
            raise AgentBayError(f"Cannot write {path}: it is a directory")
        folder, name = os.path.split(os.path.abspath(path))
        self._path = path
        self.temp_path = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.part")
        try:
            self._file = open(self.temp_path, "xb")  # noqa: SIM115 - closed by commit/discard
        except OSError as exc:
            raise AgentBayError(f"Cannot write {path}: {exc.strerror or exc}") from None
        self._committed = False
        super().__init__(self._file, printable(path))

    def commit(self) -> None:
        """Close the temporary file and rename it onto the destination; raises
        :class:`LocalIOError` when that fails."""
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self.temp_path, self._path)
        except OSError as exc:
            raise LocalIOError(f"Cannot write {self._label}: {exc.strerror or exc}") from None
        self._committed = True

    def discard(self) -> None:
        """Close and remove the temporary file unless it was committed."""
        if not self._committed:
            self._file.close()
            with contextlib.suppress(OSError):
                os.unlink(self.temp_path)


@contextlib.contextmanager
def open_destination(destination: Destination) -> Iterator[Sink]:
    """Yield a :class:`Sink` for ``destination``; whatever was not committed is discarded.

    Raises :class:`AgentBayError` for a destination of the wrong type or a folder that cannot be
    written.
    """
    if isinstance(destination, (str, os.PathLike)):
        sink: Sink = TempFileSink(os.fspath(destination))
    elif _has_method(destination, "write"):
        sink = Sink(destination)
    else:
        raise AgentBayError(
            f"destination must be a path or a binary file object, got {type(destination).__name__}"
        )
    try:
        yield sink
    finally:
        sink.discard()


def url_failure(url: FileUrlResult) -> OperationResult:
    """The failed result of a transfer whose presigned URL could not be had."""
    return OperationResult(
        request_id=url.request_id, success=False, error_message=url.error_message
    )


def _field(name: str, text: str) -> str:
    match = re.search(_FIELD.format(name=name), text)
    return (match.group(1) or match.group(2) or "") if match else ""


def _describe(head: bytes) -> str:
    """``[Code] Message`` from a JSON or XML error body, else its first characters."""
    text = " ".join(head.decode("utf-8", "replace").split())
    code, message = _field("Code", text), _field("Message", text)
    return f"[{code}] {message}" if code and message else text[:SNIPPET_LENGTH]


def storage_failure(url: FileUrlResult, status: int, head: bytes) -> OperationResult:
    """The failed result of a transfer that storage answered with an HTTP error status."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    reason = _describe(head[:HEAD_LENGTH]) or phrase or "no details"
    return OperationResult(
        request_id=url.request_id,
        success=False,
        error_message=f"Storage answered HTTP {status}: {reason}",
    )


def error_failure(url: FileUrlResult, message: str) -> OperationResult:
    """The failed result of a transfer cut short by the network or by local I/O."""
    return OperationResult(request_id=url.request_id, success=False, error_message=message)


def transfer_result(url: FileUrlResult, answer: Answer, size: int) -> OperationResult:
    """The result of a transfer storage answered: on success ``data`` is the bytes moved."""
    if not 200 <= answer.status < 300:
        return storage_failure(url, answer.status, answer.body)
    return OperationResult(request_id=url.request_id, success=True, data=size)


def read_chunk(reader: BinaryReader, size: int, label: str) -> bytes:
    """Up to ``size`` bytes of ``reader``; raises :class:`LocalIOError` when reading fails."""
    try:
        return reader.read(size)
    except (OSError, ValueError) as exc:  # ValueError: a file closed under our feet
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise LocalIOError(f"Cannot read {label}: {reason}") from None


def read_chunks(reader: BinaryReader, total: int | None, label: str) -> Iterator[bytes]:
    """Chunks of ``reader`` up to its end, or up to ``total`` bytes when that is known."""
    left = total
    while left is None or left > 0:
        chunk = read_chunk(reader, CHUNK_SIZE if left is None else min(CHUNK_SIZE, left), label)
        if not chunk:
            return
        if left is not None:
            left -= len(chunk)
        yield chunk
