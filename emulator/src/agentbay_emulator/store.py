"""The storage interface the emulator's app is written against.

The app sees accounts, contexts and files through :class:`Store` only; how metadata and
contents are kept (SQLite and plain files, see :mod:`agentbay_emulator.sqlite_store`) is not
its business. Every method is blocking and thread-safe: the app calls them from worker threads.
Paths handed to a store are already normalised (see :mod:`agentbay_emulator.paths`).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol

import attrs


class StoreError(Exception):
    """Base of the errors a store raises."""


class ContextNotFoundError(StoreError):
    """No context with that id (or name) in that account."""


class NameTakenError(StoreError):
    """Another context of the same account already has that name."""


@attrs.frozen
class ContextRecord:
    """A context as stored. Times are POSIX seconds; ``seq`` orders contexts by creation."""

    id: str
    account: str
    name: str
    seq: int
    created: float
    last_used: float
    clear_until: float


@attrs.frozen
class FileRecord:
    """A file of a context as stored: ``path`` is normalised, ``size`` in bytes, ``crc64`` the
    CRC-64/XZ of its contents (None where a store does not know it)."""

    context_id: str
    path: str
    file_id: str
    size: int
    created: float
    modified: float
    crc64: int | None = None


FOLDER, FILE = 0, 1
"""The kinds of a listing entry; a folder listing shows its folders first, then its files."""


@attrs.frozen
class Entry:
    """A direct child of a folder: a file, or a folder implied by the files below it.

    ``key`` is the entry's place in its listing, ``(kind, name)``; a folder's ``created`` and
    ``modified`` are the earliest and the latest of the files below it, its ``size`` 0.
    """

    kind: int
    name: str
    path: str
    file_id: str
    size: int
    created: float
    modified: float

    @property
    def key(self) -> tuple[int, str]:
        """The entry's position in the listing order: folders first, then by name."""
        return (self.kind, self.name)


@attrs.frozen
class Listing:
    """One page of a folder's direct children, and how many children it has in all."""

    entries: list[Entry]
    count: int


class Upload(Protocol):
    """An upload in progress: nothing is visible until :meth:`commit`."""

    def write(self, chunk: bytes) -> None:
        """Append a chunk to the pending contents."""

    def commit(self, now: float) -> FileRecord:
        """Make the contents durable and visible; raises ContextNotFoundError if it is gone."""

    def abort(self) -> None:
        """Drop the pending contents (safe to call more than once, and after commit)."""


class Store(Protocol):
    """Contexts and their files, isolated per account."""

    def create_context(self, account: str, name: str, now: float) -> ContextRecord:
        """Create a context; raises NameTakenError when the account already has that name."""

    def get_context(self, account: str, context_id: str) -> ContextRecord | None:
        """The context with that id in that account, if any."""

    def find_context(self, account: str, name: str) -> ContextRecord | None:
        """The context with that name in that account, if any."""

    def list_contexts(self, account: str, after_seq: int | None, limit: int) -> list[ContextRecord]:
        """Up to ``limit`` contexts in creation order, those created after ``after_seq``."""

    def count_contexts(self, account: str) -> int:
        """How many contexts the account has."""

    def rename_context(self, account: str, context_id: str, name: str) -> ContextRecord:
        """Rename; raises ContextNotFoundError or NameTakenError."""

    def delete_context(self, account: str, context_id: str) -> None:
        """Delete a context and its files; raises ContextNotFoundError."""

    def clear_context(
        self, account: str, context_id: str, now: float, clear_until: float
    ) -> ContextRecord:
        """Delete all files of a context and mark it clearing until ``clear_until``."""

    def list_children(
        self,
        account: str,
        context_id: str,
        folder: str,
        *,
        after: tuple[int, str] | None = None,
        offset: int = 0,
        limit: int,
    ) -> Listing:
        """Up to ``limit`` direct children of ``folder`` (``/`` or ``/a/b/``) in listing order:
        those past the key ``after``, else from position ``offset``; raises ContextNotFoundError.
        """

    def delete_files(self, account: str, context_id: str, path: str, now: float) -> int:
        """Delete the file at ``path``, or else every file below it as a folder; the count."""

    def open_file(
        self, account: str, context_id: str, path: str
    ) -> tuple[FileRecord, BinaryIO] | None:
        """The record and an open binary reader of a file, or None; the caller closes it."""

    def begin_upload(self, account: str, context_id: str, path: str) -> Upload:
        """Start writing a file's new contents (replacing any old ones on commit)."""

    def close(self) -> None:
        """Release the store's resources."""


def open_store(data_dir: Path) -> Store:
    """The default store: SQLite metadata and content files under ``data_dir``."""
    from .sqlite_store import SqliteStore

    return SqliteStore(data_dir)
