"""File contents on disk, under names that never come from user input.

Each stored content is a file ``blobs/<2 hex>/<32 hex>`` named by a random UUID. A new content
is written to ``tmp/`` (same filesystem), fsynced, then moved into place with ``os.replace``,
so a crash or an aborted upload never leaves a partial content under a final name. A writer
computes the content's CRC-64/XZ (OSS's ``x-oss-hash-crc64ecma``) as the bytes go by.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from pathlib import Path
from typing import BinaryIO

from fastcrc import crc64 as _crc64  # the emulator computes it itself: it never imports the SDK

_BLOB_ID = re.compile(r"^[0-9a-f]{32}$")


class BlobStore:
    """Content files under one directory."""

    def __init__(self, root: Path) -> None:
        """Use (and create) ``root/blobs`` and ``root/tmp``."""
        self._blobs = root / "blobs"
        self._tmp = root / "tmp"
        self._blobs.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(parents=True, exist_ok=True)

    def path(self, blob_id: str) -> Path:
        """Where the content ``blob_id`` lives; refuses anything but a blob id."""
        if not _BLOB_ID.match(blob_id):
            raise ValueError(f"not a blob id: {blob_id!r}")
        return self._blobs / blob_id[:2] / blob_id

    def open(self, blob_id: str) -> BinaryIO:
        """Open a content for reading (raises FileNotFoundError)."""
        return open(self.path(blob_id), "rb")

    def new_writer(self) -> BlobWriter:
        """Start writing a new content."""
        return BlobWriter(self)

    def delete(self, blob_id: str) -> None:
        """Remove a content; a missing one is fine."""
        with contextlib.suppress(FileNotFoundError):
            self.path(blob_id).unlink()

    def sweep(self, keep: set[str]) -> None:
        """Remove leftovers of interrupted uploads and contents no record points to."""
        for leftover in self._tmp.iterdir():
            with contextlib.suppress(OSError):
                leftover.unlink()
        for shard in self._blobs.iterdir():
            if not shard.is_dir():
                continue
            for blob in shard.iterdir():
                if blob.name not in keep:
                    with contextlib.suppress(OSError):
                        blob.unlink()

    def drop_parts(self) -> None:
        """Remove every upload in progress (``tmp/*.part``): the store is closing."""
        for part in self._tmp.glob("*.part"):
            with contextlib.suppress(OSError):
                part.unlink()

    def _temp_file(self, blob_id: str) -> Path:
        return self._tmp / f"{blob_id}.part"


class BlobWriter:
    """A content being written to a temporary file."""

    def __init__(self, blobs: BlobStore) -> None:
        """Open a fresh temporary file."""
        self.blob_id = uuid.uuid4().hex
        self.size = 0
        self.crc64 = 0  # CRC-64/XZ of the bytes written so far (the empty content's is 0)
        self._blobs = blobs
        self._temp = blobs._temp_file(self.blob_id)
        self._file: BinaryIO | None = open(self._temp, "xb")  # noqa: SIM115
        self._done = False

    def write(self, chunk: bytes) -> None:
        """Append bytes."""
        if self._file is None:
            raise RuntimeError("the writer is closed")
        self._file.write(chunk)
        self.size += len(chunk)
        if chunk:
            self.crc64 = _crc64.xz(chunk, self.crc64)

    def finish(self) -> None:
        """Flush, fsync and move the content to its final name."""
        if self._file is None:
            raise RuntimeError("the writer is closed")
        file, self._file = self._file, None
        try:
            file.flush()
            os.fsync(file.fileno())
        finally:
            file.close()
        final = self._blobs.path(self.blob_id)
        final.parent.mkdir(exist_ok=True)
        os.replace(self._temp, final)
        _fsync_dir(final.parent)  # the rename itself survives a power cut
        self._done = True

    def discard(self) -> None:
        """Drop the temporary file (or the finished content); idempotent."""
        if self._file is not None:
            self._file.close()
            self._file = None
        with contextlib.suppress(FileNotFoundError):
            self._temp.unlink()
        if self._done:
            self._blobs.delete(self.blob_id)
            self._done = False


def crc64_of(reader: BinaryIO, chunk_size: int = 1 << 20) -> int:
    """The CRC-64/XZ of what ``reader`` holds from its position on (read to the end)."""
    value = 0
    while chunk := reader.read(chunk_size):
        value = _crc64.xz(chunk, value)
    return value


def _fsync_dir(folder: Path) -> None:
    """Make the entries of ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
