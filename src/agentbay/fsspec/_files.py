"""Files of :class:`AgentBayFileSystem`: reads are buffered ranged GETs on one presigned URL;
writes spool to a temporary file and go up in one PUT when the file is closed."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Awaitable, Callable
from typing import IO, Any

from fsspec.asyn import AbstractAsyncStreamedFile, sync
from fsspec.spec import AbstractBufferedFile

RangeRead = Callable[[str, "int | None", "int | None", list[str]], Awaitable[bytes]]
"""The filesystem's ranged read: ``(path, start, end, url cache) -> bytes``."""
Upload = Callable[[str, Any], Awaitable[None]]
"""The filesystem's whole-file upload: ``(path, bytes or a file) -> None``."""


class _Spool:
    """What a written file holds until it is uploaded: bytes in memory up to ``limit``, then a
    temporary file (so memory stays bounded whatever the size)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._memory = io.BytesIO()
        self._file: IO[bytes] | None = None

    def write(self, data: bytes | memoryview) -> None:
        if self._file is None and self._memory.tell() + len(data) > self._limit:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
            self._file.write(self._memory.getbuffer())
            self._memory = io.BytesIO()
        (self._file or self._memory).write(data)

    def source(self) -> Any:
        """What to upload: the bytes, or the temporary file rewound."""
        if self._file is None:
            return self._memory.getvalue()
        self._file.seek(0)
        return self._file

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._memory = io.BytesIO()


class _Wired:
    """What both file classes are handed by the filesystem: its ranged read and its upload
    (the URL cache and the spool of written bytes start empty)."""

    def __init__(
        self,
        fs: Any,
        path: str,
        mode: str = "rb",
        *,
        read: RangeRead,
        upload: Upload,
        **kwargs: Any,
    ) -> None:
        self._read, self._upload = read, upload
        self._url: list[str] = []
        self._spool: _Spool | None = None
        super().__init__(fs, path, mode, **kwargs)  # type: ignore[call-arg] # the fsspec file class


class AgentBayFile(_Wired, AbstractBufferedFile):  # type: ignore[misc]
    """A file of ``fs.open(path, "rb" | "wb" | "xb")``.

    Reading fetches ``block_size`` ranges (read-ahead cache) through one presigned URL, renewed
    when it expires. Writing keeps the bytes (in memory up to ``block_size``, then in a
    temporary file) and uploads them whole when the file is closed: ``close()`` raises if the
    upload fails, and the store then holds the previous version, or nothing.
    """

    def _fetch_range(self, start: int, end: int) -> bytes:
        data: bytes = sync(self.fs.loop, self._read, self.path, start, end, self._url)
        return data

    def _upload_chunk(self, final: bool = False) -> bool:
        if self._spool is None:
            self._spool = _Spool(self.blocksize)
        self._spool.write(self.buffer.getbuffer())
        if final and self.autocommit:
            self.commit()
        return True

    def commit(self) -> None:
        """Upload what was written, in one PUT (called on close, or by a transaction)."""
        spool, self._spool = self._spool, None
        if spool is None:
            spool = _Spool(0)
        try:
            sync(self.fs.loop, self._upload, self.path, spool.source())
        finally:
            spool.close()

    def discard(self) -> None:
        """Drop what was written (a transaction that failed)."""
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.autocommit:
                self.discard()


class AgentBayAsyncFile(_Wired, AbstractAsyncStreamedFile):  # type: ignore[misc]
    """A file of ``await fs.open_async(path, mode)``: each ``read`` is one ranged GET (no
    read-ahead); writes upload whole on ``close``."""

    async def _fetch_range(self, start: int, end: int) -> bytes:
        data: bytes = await self._read(self.path, start, end, self._url)
        return data

    async def _upload_chunk(self, final: bool = False) -> bool:
        if self._spool is None:
            self._spool = _Spool(self.blocksize)
        self._spool.write(self.buffer.getbuffer())
        if final:
            spool, self._spool = self._spool, None
            try:
                await self._upload(self.path, spool.source())
            finally:
                spool.close()
        return True

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            if self._spool is not None:
                self._spool.close()
                self._spool = None
