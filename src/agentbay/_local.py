"""The local side of a file transfer, shared by both flavours: sources, destinations, progress.

A source is opened (and checked) before anything is sent and read in :data:`CHUNK_SIZE`
chunks, and read again from its start when a transfer is retried. A download to a path is
written to a temporary file next to the destination and renamed into place only by
:meth:`TempFileDestination.commit`; :meth:`OpenedDestination.discard` removes it otherwise.
Everything here blocks on the disk (the async flavour calls it through ``run_blocking``);
nothing touches the network.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import stat
import threading
from collections.abc import Callable
from typing import Any, Protocol

from ._errors import AgentBayError
from ._reply import printable
from ._transports.http import CHUNK_SIZE

ProgressCallback = Callable[[int, int | None], object]
"""``progress(bytes_done, total)`` of ``upload_file`` and ``download_file`` (``total`` None when
unknown): ``lambda done, total: print(done, total)``."""


class LocalIOError(Exception):
    """Reading the source or writing the destination failed mid-transfer; ``str()`` says which
    file and why."""

    code = "SDK.LocalIOError"


class BinaryReader(Protocol):
    """What an upload reads from: any object with a binary ``read(size)`` (an open file in
    ``"rb"`` mode, ``io.BytesIO``, a pipe).

    Example: ``agent_bay.context.upload_file(ctx_id, "/a.bin", open("a.bin", "rb"))``.
    """

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes; ``b""`` at the end."""


class BinaryWriter(Protocol):
    """What a download writes to: any object with a binary ``write(data)`` (an open file in
    ``"wb"`` mode, ``io.BytesIO``).

    Example: ``agent_bay.context.download_file(ctx_id, "/a.bin", io.BytesIO())``.
    """

    def write(self, data: bytes, /) -> object:
        """Write all of ``data``."""


Source = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryReader
"""What ``upload_file`` reads: a path, bytes, or a :class:`BinaryReader` (an open file)."""
Destination = str | os.PathLike[str] | BinaryWriter
"""Where ``download_file`` writes: a path, or a :class:`BinaryWriter` (an open file)."""


class Progress:
    """Reports ``(bytes_done, total)`` to an optional callback, starting with ``(0, total)``."""

    def __init__(self, callback: ProgressCallback | None, total: int | None) -> None:
        self._callback = callback
        self.total = total
        self.done = 0

    def start(self, total: int | None) -> None:
        """(Re)start from nothing, ``total`` bytes to go: report ``(0, total)``."""
        self.done, self.total = 0, total
        if self._callback is not None:
            self._callback(0, total)

    def resume(self, total: int | None) -> None:
        """Go on from ``done`` bytes (a resumed download); report only a total that changed."""
        if total != self.total:
            self.total = total
            if self._callback is not None:
                self._callback(self.done, total)

    def advance(self, count: int) -> None:
        """Report ``count`` more bytes moved."""
        self.done += count
        if self._callback is not None:
            self._callback(self.done, self.total)


def check_progress(callback: object) -> None:
    """Raise :class:`AgentBayError` unless ``callback`` is None or callable."""
    if callback is not None and not callable(callback):
        raise AgentBayError(f"progress must be callable, got {type(callback).__name__}")


def _position(reader: Any) -> int | None:
    """The current position of a seekable file object, else None."""
    try:
        if not reader.seekable():
            return None
        position: int = reader.tell()
    except (AttributeError, OSError, ValueError):
        return None
    return position


def _remaining_size(reader: Any, position: int | None) -> int | None:
    """Bytes left from ``position`` of a seekable file object, else None."""
    if position is None:
        return None
    try:
        end: int = reader.seek(0, os.SEEK_END)
        reader.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return max(end - position, 0)


def _has_method(value: object, name: str) -> bool:
    return not isinstance(value, io.TextIOBase) and callable(getattr(value, name, None))


class OpenedSource:
    """An upload's source, open: read in chunks, and re-read from its start for a retry.

    Blocking (the async flavour calls it through ``run_blocking``). ``size`` is None when
    unknown (a pipe); ``label`` names the source in messages.
    """

    def __init__(
        self, reader: BinaryReader, size: int | None, label: str, owned: bool = False
    ) -> None:
        self._reader = reader
        self._start = _position(reader)
        self._owned = owned
        self._lock = threading.Lock()
        self.size = size if size is not None else _remaining_size(reader, self._start)
        self.label = label
        self.taken = 0

    def next_chunk(self) -> bytes:
        """The next chunk (at most :data:`CHUNK_SIZE` bytes, never past ``size``), ``b""`` at
        the end; raises :class:`LocalIOError` when reading fails or the file ends before
        ``size`` (it shrank since it was opened: sending less would claim a short upload whole)."""
        left = None if self.size is None else self.size - self.taken
        if left == 0:
            return b""
        with self._lock:
            chunk = read_chunk(
                self._reader, CHUNK_SIZE if left is None else min(CHUNK_SIZE, left), self.label
            )
        if not chunk and left is not None:  # the file was cut while it was being sent
            raise LocalIOError(
                f"Cannot read {self.label}: it changed size while being sent "
                f"({self.taken} of {self.size} bytes read)"
            )
        self.taken += len(chunk)
        return chunk

    def rewind(self) -> bool:
        """Go back to the start for another attempt; False when that cannot be done (a pipe
        already read from)."""
        if self.taken == 0:
            return True
        if self._start is None:
            return False
        try:
            with self._lock:
                self._reader.seek(self._start)  # type: ignore[attr-defined]
        except (OSError, ValueError):
            return False
        self.taken = 0
        return True

    def close(self) -> None:
        """Close the file this opened (a file object of the caller stays open)."""
        if self._owned:
            with self._lock:
                self._reader.close()  # type: ignore[attr-defined]


def open_source(source: Source) -> OpenedSource:
    """Open ``source`` for reading. Blocking.

    Raises :class:`AgentBayError` for a source of the wrong type or a file that cannot be read.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return OpenedSource(io.BytesIO(source), memoryview(source).nbytes, "the source")
    if isinstance(source, (str, os.PathLike)):
        path = printable(os.fspath(source))
        try:
            file = open(source, "rb")  # noqa: SIM115 - closed by OpenedSource.close
            status = os.fstat(file.fileno())
        except OSError as exc:
            raise AgentBayError(f"Cannot read {path}: {exc.strerror or exc}") from None
        if not stat.S_ISREG(status.st_mode):
            return OpenedSource(_Unseekable(file), None, path, owned=True)
        return OpenedSource(file, status.st_size, path, owned=True)
    if _has_method(source, "read"):
        return OpenedSource(source, None, "the source")
    raise AgentBayError(
        f"source must be a path, bytes or a binary file object, got {type(source).__name__}"
    )


class _Unseekable:
    """A file that is not a regular file (a FIFO, a character device): read once, in order."""

    def __init__(self, file: io.BufferedReader) -> None:
        self._file = file

    def read(self, size: int = -1, /) -> bytes:
        return self._file.read(size)

    def close(self) -> None:
        self._file.close()


class OpenedDestination:
    """A download's destination, open: where downloaded chunks go; here, a file object written
    as is. Blocking, and safe to
    call from the threads of the async flavour (one call at a time)."""

    def __init__(self, writer: BinaryWriter, label: str = "the destination") -> None:
        self._writer = writer
        self._label = label
        self._start = _position(writer)
        self._lock = threading.Lock()
        self.written = 0

    def write(self, chunk: bytes) -> None:
        """Write one chunk; raises :class:`LocalIOError` when that fails."""
        with self._lock:
            try:
                self._writer.write(chunk)
            except (OSError, ValueError) as exc:
                raise self._error(exc) from None
            self.written += len(chunk)

    def _error(self, exc: Exception) -> LocalIOError:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        return LocalIOError(f"Cannot write {self._label}: {reason}")

    def restart(self) -> bool:
        """Drop what was written, for a download that starts over; False when the file object
        cannot go back (it is not seekable)."""
        if self.written == 0:
            return True
        if self._start is None:
            return False
        with self._lock:
            try:
                self._writer.seek(self._start)  # type: ignore[attr-defined]
                self._writer.truncate()  # type: ignore[attr-defined]
            except (AttributeError, OSError, ValueError):
                return False
            self.written = 0
        return True

    def commit(self) -> None:
        """Mark the download complete (a file object needs nothing more)."""

    def discard(self) -> None:
        """Undo an incomplete download (a file object keeps what was written)."""


class TempFileDestination(OpenedDestination):
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
        with self._lock:
            try:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()
                os.replace(self.temp_path, self._path)
            except OSError as exc:
                raise self._error(exc) from None
            self._committed = True

    def discard(self) -> None:
        """Close and remove the temporary file unless it was committed."""
        with self._lock:
            if not self._committed:
                self._file.close()
                with contextlib.suppress(OSError):
                    os.unlink(self.temp_path)


def open_destination(destination: Destination) -> OpenedDestination:
    """A :class:`OpenedDestination` for ``destination``; call its ``discard()`` when done. Blocking.

    Raises :class:`AgentBayError` for a destination of the wrong type or a folder that cannot be
    written.
    """
    if isinstance(destination, (str, os.PathLike)):
        return TempFileDestination(os.fspath(destination))
    if _has_method(destination, "write"):
        return OpenedDestination(destination)
    raise AgentBayError(
        f"destination must be a path or a binary file object, got {type(destination).__name__}"
    )


def read_chunk(reader: BinaryReader, size: int, label: str) -> bytes:
    """Up to ``size`` bytes of ``reader``; raises :class:`LocalIOError` when reading fails."""
    try:
        return reader.read(size)
    except (OSError, ValueError) as exc:  # ValueError: a file closed under our feet
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise LocalIOError(f"Cannot read {label}: {reason}") from None
