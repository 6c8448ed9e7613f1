"""The default :class:`~agentbay.emulator.store.Store`: SQLite metadata, contents as files.

Layout of the data directory::

    meta.sqlite3   contexts and files (WAL mode; each file's CRC-64/XZ as decimal text)
    blobs/         file contents under random names (see blobs.py)
    tmp/           uploads in progress

One connection serves every thread, each call holding a lock for a few short statements;
slow work (writing, fsyncing and deleting contents) happens outside the lock.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import sqlite3
import string
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import attrs

from .blobs import BlobStore, BlobWriter, crc64_of
from .store import ContextNotFoundError, ContextRecord, FileRecord, NameTakenError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS contexts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    created REAL NOT NULL,
    last_used REAL NOT NULL,
    clear_until REAL NOT NULL DEFAULT 0,
    UNIQUE (account, name)
);
CREATE TABLE IF NOT EXISTS files (
    context_id TEXT NOT NULL REFERENCES contexts (id),
    path TEXT NOT NULL,
    file_id TEXT NOT NULL,
    blob TEXT NOT NULL,
    size INTEGER NOT NULL,
    created REAL NOT NULL,
    modified REAL NOT NULL,
    crc64 TEXT,
    PRIMARY KEY (context_id, path)
);
"""

_CONTEXT_COLUMNS = "id, account, name, seq, created, last_used, clear_until"
_FILE_COLUMNS = "context_id, path, file_id, size, created, modified, crc64"
_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_context_id() -> str:
    """``ctx-`` and 16 random lowercase letters and digits."""
    return "ctx-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))


def _context(row: tuple[Any, ...]) -> ContextRecord:
    return ContextRecord(*row)


def _file(row: tuple[Any, ...]) -> FileRecord:
    # crc64 is decimal text: SQLite's INTEGER is signed 64-bit. NULL in a data directory of a
    # version before it, until open_file computes it once.
    context_id, path, file_id, size, created, modified, *rest = row
    crc64 = int(rest[0]) if rest and rest[0] is not None else None
    return FileRecord(context_id, path, file_id, size, created, modified, crc64)


def _below(folder: str) -> tuple[str, str]:
    """Bounds of the paths under ``folder`` (ending in '/'): lower <= path < upper."""
    return folder, folder[:-1] + chr(ord("/") + 1)


def _claim(data_dir: Path) -> int:
    """Lock ``data_dir`` for this process (the kernel frees it if the process dies)."""
    handle = os.open(data_dir / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(handle)
        raise RuntimeError(f"{data_dir} is in use by another emulator") from None
    return handle


class SqliteStore:
    """Contexts and files in a data directory; safe to share between threads."""

    def __init__(self, data_dir: Path) -> None:
        """Open (creating if needed) the store in ``data_dir``."""
        data_dir.mkdir(parents=True, exist_ok=True)
        self._owner = _claim(data_dir)
        self._blobs = BlobStore(data_dir)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            data_dir / "meta.sqlite3", isolation_level=None, check_same_thread=False, timeout=30
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(files)")}
        if "crc64" not in columns:  # a data directory of a version before the column
            self._db.execute("ALTER TABLE files ADD COLUMN crc64 TEXT")
        keep = {row[0] for row in self._db.execute("SELECT blob FROM files")}
        self._blobs.sweep(keep)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    @staticmethod
    def _owned(db: sqlite3.Connection, account: str, context_id: str) -> ContextRecord:
        row = db.execute(
            f"SELECT {_CONTEXT_COLUMNS} FROM contexts WHERE id = ? AND account = ?",
            (context_id, account),
        ).fetchone()
        if row is None:
            raise ContextNotFoundError(context_id)
        return _context(row)

    # Contexts

    def create_context(self, account: str, name: str, now: float) -> ContextRecord:
        """Create a context; raises NameTakenError when the account already has that name."""
        with self._transaction() as db:
            while True:
                context_id = new_context_id()
                try:
                    db.execute(
                        "INSERT INTO contexts (id, account, name, created, last_used)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (context_id, account, name, now, now),
                    )
                except sqlite3.IntegrityError as exc:
                    if db.execute("SELECT 1 FROM contexts WHERE id = ?", (context_id,)).fetchone():
                        continue  # an id collision: draw again
                    raise NameTakenError(name) from exc
                return self._owned(db, account, context_id)

    def get_context(self, account: str, context_id: str) -> ContextRecord | None:
        """The context with that id in that account, if any."""
        rows = self._query(
            f"SELECT {_CONTEXT_COLUMNS} FROM contexts WHERE id = ? AND account = ?",
            context_id,
            account,
        )
        return _context(rows[0]) if rows else None

    def find_context(self, account: str, name: str) -> ContextRecord | None:
        """The context with that name in that account, if any."""
        rows = self._query(
            f"SELECT {_CONTEXT_COLUMNS} FROM contexts WHERE account = ? AND name = ?",
            account,
            name,
        )
        return _context(rows[0]) if rows else None

    def list_contexts(self, account: str, after_seq: int | None, limit: int) -> list[ContextRecord]:
        """Up to ``limit`` contexts in creation order, those created after ``after_seq``."""
        rows = self._query(
            f"SELECT {_CONTEXT_COLUMNS} FROM contexts WHERE account = ? AND seq > ?"
            " ORDER BY seq LIMIT ?",
            account,
            after_seq if after_seq is not None else -1,
            limit,
        )
        return [_context(row) for row in rows]

    def count_contexts(self, account: str) -> int:
        """How many contexts the account has."""
        return int(self._query("SELECT COUNT(*) FROM contexts WHERE account = ?", account)[0][0])

    def rename_context(self, account: str, context_id: str, name: str) -> ContextRecord:
        """Rename; raises ContextNotFoundError or NameTakenError."""
        with self._transaction() as db:
            self._owned(db, account, context_id)
            try:
                db.execute("UPDATE contexts SET name = ? WHERE id = ?", (name, context_id))
            except sqlite3.IntegrityError as exc:
                raise NameTakenError(name) from exc
            return self._owned(db, account, context_id)

    def delete_context(self, account: str, context_id: str) -> None:
        """Delete a context and its files; raises ContextNotFoundError."""
        with self._transaction() as db:
            self._owned(db, account, context_id)
            blobs = [
                row[0]
                for row in db.execute("SELECT blob FROM files WHERE context_id = ?", (context_id,))
            ]
            db.execute("DELETE FROM files WHERE context_id = ?", (context_id,))
            db.execute("DELETE FROM contexts WHERE id = ?", (context_id,))
        self._delete_blobs(blobs)

    def clear_context(
        self, account: str, context_id: str, now: float, clear_until: float
    ) -> ContextRecord:
        """Delete all files of a context and mark it clearing until ``clear_until``."""
        with self._transaction() as db:
            self._owned(db, account, context_id)
            blobs = [
                row[0]
                for row in db.execute("SELECT blob FROM files WHERE context_id = ?", (context_id,))
            ]
            db.execute("DELETE FROM files WHERE context_id = ?", (context_id,))
            db.execute(
                "UPDATE contexts SET clear_until = ?, last_used = ? WHERE id = ?",
                (clear_until, now, context_id),
            )
            record = self._owned(db, account, context_id)
        self._delete_blobs(blobs)
        return record

    # Files

    def list_files(self, account: str, context_id: str, folder: str) -> list[FileRecord]:
        """All files below ``folder`` (``/`` or ``/a/b/``), at any depth, sorted by path."""
        lower, upper = _below(folder)
        with self._lock:
            self._owned(self._db, account, context_id)
            rows = self._db.execute(
                f"SELECT {_FILE_COLUMNS} FROM files"
                " WHERE context_id = ? AND path >= ? AND path < ? ORDER BY path",
                (context_id, lower, upper),
            ).fetchall()
        return [_file(row) for row in rows]

    def delete_files(self, account: str, context_id: str, path: str, now: float) -> int:
        """Delete the file at ``path``, or else every file below it as a folder; the count."""
        with self._transaction() as db:
            self._owned(db, account, context_id)
            rows = db.execute(
                "SELECT path, blob FROM files WHERE context_id = ? AND path = ?",
                (context_id, path),
            ).fetchall()
            if not rows:
                lower, upper = _below(path + "/")
                rows = db.execute(
                    "SELECT path, blob FROM files WHERE context_id = ? AND path >= ? AND path < ?",
                    (context_id, lower, upper),
                ).fetchall()
            db.executemany(
                "DELETE FROM files WHERE context_id = ? AND path = ?",
                [(context_id, row[0]) for row in rows],
            )
            if rows:
                db.execute("UPDATE contexts SET last_used = ? WHERE id = ?", (now, context_id))
        self._delete_blobs([row[1] for row in rows])
        return len(rows)

    def open_file(
        self, account: str, context_id: str, path: str
    ) -> tuple[FileRecord, BinaryIO] | None:
        """The record and an open binary reader of a file, or None; the caller closes it."""
        with self._lock:  # opened under the lock: a replacement cannot delete it first
            self._owned(self._db, account, context_id)
            row = self._db.execute(
                f"SELECT {_FILE_COLUMNS}, blob FROM files WHERE context_id = ? AND path = ?",
                (context_id, path),
            ).fetchone()
            if row is None:
                return None
            try:
                reader = self._blobs.open(row[-1])
            except FileNotFoundError:
                return None
        record = _file(row[:-1])
        if record.crc64 is None:  # stored before CRCs were: computed once, then kept
            try:
                record = attrs.evolve(record, crc64=crc64_of(reader))
                reader.seek(0)
            except BaseException:
                reader.close()
                raise
            with self._lock:  # unless a new upload replaced the contents meanwhile
                self._db.execute(
                    "UPDATE files SET crc64 = ? WHERE context_id = ? AND path = ? AND blob = ?",
                    (str(record.crc64), context_id, path, row[-1]),
                )
        return record, reader

    def begin_upload(self, account: str, context_id: str, path: str) -> _SqliteUpload:
        """Start writing a file's new contents (replacing any old ones on commit)."""
        if self.get_context(account, context_id) is None:
            raise ContextNotFoundError(context_id)
        return _SqliteUpload(self, account, context_id, path, self._blobs.new_writer())

    def _commit_upload(self, upload: _SqliteUpload, now: float) -> FileRecord:
        writer = upload.writer
        writer.finish()  # fsync and rename, outside the lock
        try:
            with self._transaction() as db:
                self._owned(db, upload.account, upload.context_id)
                old = db.execute(
                    "SELECT file_id, blob, created FROM files WHERE context_id = ? AND path = ?",
                    (upload.context_id, upload.path),
                ).fetchone()
                file_id, created = (old[0], old[2]) if old else ("file-" + uuid.uuid4().hex, now)
                db.execute(
                    "INSERT OR REPLACE INTO files"
                    " (context_id, path, file_id, blob, size, created, modified, crc64)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        upload.context_id,
                        upload.path,
                        file_id,
                        writer.blob_id,
                        writer.size,
                        created,
                        now,
                        str(writer.crc64),
                    ),
                )
                db.execute(
                    "UPDATE contexts SET last_used = ? WHERE id = ?", (now, upload.context_id)
                )
        except BaseException:
            writer.discard()
            raise
        if old:
            self._blobs.delete(old[1])
        return FileRecord(
            upload.context_id, upload.path, file_id, writer.size, created, now, writer.crc64
        )

    def _delete_blobs(self, blobs: list[str]) -> None:
        for blob in blobs:
            self._blobs.delete(blob)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()
        os.close(self._owner)


class _SqliteUpload:
    """An upload into a SqliteStore."""

    def __init__(
        self, store: SqliteStore, account: str, context_id: str, path: str, writer: BlobWriter
    ) -> None:
        self.account = account
        self.context_id = context_id
        self.path = path
        self.writer = writer
        self._store = store
        self._committed = False

    def write(self, chunk: bytes) -> None:
        """Append a chunk to the pending contents."""
        self.writer.write(chunk)

    def commit(self, now: float) -> FileRecord:
        """Make the contents durable and visible; raises ContextNotFoundError if it is gone."""
        record = self._store._commit_upload(self, now)
        self._committed = True
        return record

    def abort(self) -> None:
        """Drop the pending contents, unless already committed."""
        if not self._committed:
            self.writer.discard()
