"""The default :class:`~agentbay_emulator.store.Store`: SQLite metadata, contents as files.

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
from .store import (
    FILE,
    FOLDER,
    ContextNotFoundError,
    ContextRecord,
    Entry,
    FileRecord,
    Listing,
    NameTakenError,
)

SCHEMA_VERSION = 2
"""``PRAGMA user_version`` of a current database; older ones are migrated on open."""

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
    parent TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    crc64 TEXT,
    PRIMARY KEY (context_id, path)
);
CREATE TABLE IF NOT EXISTS folders (
    context_id TEXT NOT NULL,
    path TEXT NOT NULL,
    parent TEXT NOT NULL,
    name TEXT NOT NULL,
    total INTEGER NOT NULL,
    files INTEGER NOT NULL,
    folders INTEGER NOT NULL,
    created REAL NOT NULL,
    modified REAL NOT NULL,
    PRIMARY KEY (context_id, path)
);
"""
# Schema 2 (the listing index): each file row knows its folder (``parent``, ending in '/')
# and its ``name``; each folder that holds a file at any depth has a row of its own (the root
# ``/`` too, with parent ''), counting its files at any depth (``total``), its direct child
# files and folders, and the earliest ``created`` and latest ``modified`` below it. A page of
# a folder is then a keyset range of one of the two ``_children`` indexes below, whatever the
# folder's size; a folder's times, when a file holding one goes, are read again from its direct
# children through the ``_created`` and ``_modified`` ones (a few index lookups per level).
_INDEXES = """
CREATE INDEX IF NOT EXISTS files_children ON files (context_id, parent, name);
CREATE INDEX IF NOT EXISTS folders_children ON folders (context_id, parent, name);
CREATE INDEX IF NOT EXISTS files_created ON files (context_id, parent, created);
CREATE INDEX IF NOT EXISTS files_modified ON files (context_id, parent, modified);
CREATE INDEX IF NOT EXISTS folders_created ON folders (context_id, parent, created);
CREATE INDEX IF NOT EXISTS folders_modified ON folders (context_id, parent, modified);
CREATE INDEX IF NOT EXISTS contexts_listing ON contexts (account, seq);
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


def _split(path: str) -> tuple[str, str]:
    """``/a/b/c`` -> (``/a/b/``, ``c``): a file's folder and name."""
    cut = path.rindex("/") + 1
    return path[:cut], path[cut:]


def _ancestors(path: str) -> list[str]:
    """The folders holding ``path`` (a file ``/a/b/c`` or a folder ``/a/b/``), root first:
    ``["/", "/a/", "/a/b/"]`` for the file, ``["/", "/a/"]`` for the folder."""
    parts = path.rstrip("/").split("/")[1:-1]
    chain, folder = ["/"], "/"
    for part in parts:
        folder += part + "/"
        chain.append(folder)
    return chain


def _folder_parent(folder: str) -> tuple[str, str]:
    """``/a/b/`` -> (``/a/``, ``b``); the root ``/`` -> ('', '')."""
    if folder == "/":
        return "", ""
    return _split(folder[:-1])


def _add_file(
    db: sqlite3.Connection, context_id: str, path: str, created: float, now: float
) -> None:
    """Count a new file in the folder rows of its ancestors (creating the missing ones)."""
    chain = _ancestors(path)
    for depth, folder in enumerate(chain):
        parent, name = _folder_parent(folder)
        direct = 1 if depth == len(chain) - 1 else 0
        (total,) = db.execute(
            "INSERT INTO folders"
            " (context_id, path, parent, name, total, files, folders, created, modified)"
            " VALUES (?, ?, ?, ?, 1, ?, 0, ?, ?)"
            " ON CONFLICT (context_id, path) DO UPDATE SET total = total + 1,"
            " files = files + excluded.files, created = min(created, excluded.created),"
            " modified = max(modified, excluded.modified)"
            " RETURNING total",
            (context_id, folder, parent, name, direct, created, now),
        ).fetchone()
        if total == 1 and depth:  # a new folder: one more child folder of its parent
            db.execute(
                "UPDATE folders SET folders = folders + 1 WHERE context_id = ? AND path = ?",
                (context_id, parent),
            )


def _retime(db: sqlite3.Connection, context_id: str, folder: str) -> None:
    """Read a folder's times again from its direct children (files, and folders whose own
    times are current): the earliest ``created`` and the latest ``modified``, by index."""
    db.execute(_RETIME, {"c": context_id, "f": folder})


def _bound(function: str, column: str, table: str, empty: str) -> str:
    return (
        f"coalesce((SELECT {function}({column}) FROM {table}"
        f" WHERE context_id = :c AND parent = :f), {empty})"
    )


_RETIME = (
    "UPDATE folders SET"
    f" created = min({_bound('min', 'created', 'files', '1e308')},"
    f" {_bound('min', 'created', 'folders', '1e308')}),"
    f" modified = max({_bound('max', 'modified', 'files', '-1e308')},"
    f" {_bound('max', 'modified', 'folders', '-1e308')})"
    " WHERE context_id = :c AND path = :f"
)


def _replace_file(
    db: sqlite3.Connection, context_id: str, path: str, was_modified: float, now: float
) -> None:
    """Update the times of a file's folders when its contents were replaced at ``now``."""
    for folder in reversed(_ancestors(path)[1:]):  # deepest first; the root's are never shown
        if now >= was_modified:
            db.execute(
                "UPDATE folders SET modified = max(modified, ?) WHERE context_id = ? AND path = ?",
                (now, context_id, folder),
            )
        else:  # a clock that went back: the old time may have been the latest
            _retime(db, context_id, folder)


def _forget_files(
    db: sqlite3.Connection,
    context_id: str,
    top: str,
    removed: list[tuple[Any, ...]],
) -> None:
    """Update the folder rows after the files ``removed`` (rows of path, blob, created,
    modified) went: all of them the file ``top``, or every file below the folder ``top/``."""
    count = len(removed)
    if not count:
        return
    earliest = min(row[2] for row in removed)
    latest = max(row[3] for row in removed)
    is_file = len(removed) == 1 and removed[0][0] == top
    if is_file:
        chain = _ancestors(top)
        db.execute(
            "UPDATE folders SET files = files - 1 WHERE context_id = ? AND path = ?",
            (context_id, chain[-1]),
        )
    else:
        lower, upper = _below(top + "/")
        db.execute(
            "DELETE FROM folders WHERE context_id = ? AND path >= ? AND path < ?",
            (context_id, lower, upper),
        )
        chain = _ancestors(top + "/")
        db.execute(
            "UPDATE folders SET folders = folders - 1 WHERE context_id = ? AND path = ?",
            (context_id, chain[-1]),
        )
    for folder in reversed(chain):  # deepest first: an emptied folder leaves its parent
        db.execute(
            "UPDATE folders SET total = total - ? WHERE context_id = ? AND path = ?",
            (count, context_id, folder),
        )
        row = db.execute(
            "SELECT total, created, modified FROM folders WHERE context_id = ? AND path = ?",
            (context_id, folder),
        ).fetchone()
        if row is None:
            continue
        if row[0] <= 0:
            db.execute(
                "DELETE FROM folders WHERE context_id = ? AND path = ?", (context_id, folder)
            )
            if folder != "/":
                db.execute(
                    "UPDATE folders SET folders = folders - 1 WHERE context_id = ? AND path = ?",
                    (context_id, _folder_parent(folder)[0]),
                )
        elif folder != "/" and (earliest <= row[1] or latest >= row[2]):
            _retime(db, context_id, folder)  # the files gone held a bound of its times


def _index_holds(db: sqlite3.Connection) -> bool:
    """Whether the folder rows count every file, and every file knows its folder: an older
    emulator that added, replaced or deleted files leaves a file without one, or a count off."""
    (holds,) = db.execute(
        "SELECT (SELECT count(*) FROM files)"
        " = (SELECT coalesce(sum(total), 0) FROM folders WHERE path = '/')"
        " AND NOT EXISTS (SELECT 1 FROM files WHERE parent = '')"
    ).fetchone()
    return bool(holds)


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a database of any earlier schema to :data:`SCHEMA_VERSION` (in one transaction),
    and rebuild the listing index when an emulator of the first schema wrote to it since."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version >= SCHEMA_VERSION and _index_holds(db):
        db.executescript(_INDEXES)
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        columns = {row[1] for row in db.execute("PRAGMA table_info(files)")}
        for column in ("parent", "name"):
            if column not in columns:
                db.execute(f"ALTER TABLE files ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
        db.execute("DELETE FROM folders")
        rows = db.execute("SELECT context_id, path, created, modified FROM files").fetchall()
        for context_id, path, created, modified in rows:
            parent, name = _split(path)
            db.execute(
                "UPDATE files SET parent = ?, name = ? WHERE context_id = ? AND path = ?",
                (parent, name, context_id, path),
            )
            _add_file(db, context_id, path, created, modified)
        for statement in _INDEXES.strip().split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _entry(kind: int, row: tuple[Any, ...]) -> Entry:
    return Entry(kind, *row)


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
        _migrate(self._db)
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
            db.execute("DELETE FROM folders WHERE context_id = ?", (context_id,))
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
            db.execute("DELETE FROM folders WHERE context_id = ?", (context_id,))
            db.execute(
                "UPDATE contexts SET clear_until = ?, last_used = ? WHERE id = ?",
                (clear_until, now, context_id),
            )
            record = self._owned(db, account, context_id)
        self._delete_blobs(blobs)
        return record

    # Files

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
        with self._lock:
            db = self._db
            self._owned(db, account, context_id)
            row = db.execute(
                "SELECT files, folders FROM folders WHERE context_id = ? AND path = ?",
                (context_id, folder),
            ).fetchone()
            files, folders = row if row else (0, 0)
            entries: list[Entry] = []
            if after is None:  # page numbers: skip ``offset`` entries (index only)
                kind, name = (FOLDER, "") if offset < folders else (FILE, "")
                skip = offset if offset < folders else offset - folders
                include = True
            else:
                (kind, name), skip, include = after, 0, False
            if kind == FOLDER:
                entries += [
                    _entry(FOLDER, row)
                    for row in db.execute(
                        "SELECT name, path, '', 0, created, modified FROM folders"
                        " WHERE context_id = ? AND parent = ? AND name >= ?"
                        " AND (? OR name > ?) ORDER BY name LIMIT ? OFFSET ?",
                        (context_id, folder, name, include, name, limit, skip),
                    )
                ]
                name, include, skip = "", True, 0
            if len(entries) < limit:
                entries += [
                    _entry(FILE, row)
                    for row in db.execute(
                        "SELECT name, path, file_id, size, created, modified FROM files"
                        " WHERE context_id = ? AND parent = ? AND name >= ?"
                        " AND (? OR name > ?) ORDER BY name LIMIT ? OFFSET ?",
                        (context_id, folder, name, include, name, limit - len(entries), skip),
                    )
                ]
        return Listing(entries, files + folders)

    def delete_files(self, account: str, context_id: str, path: str, now: float) -> int:
        """Delete the file at ``path``, or else every file below it as a folder; the count."""
        with self._transaction() as db:
            self._owned(db, account, context_id)
            rows = db.execute(
                "SELECT path, blob, created, modified FROM files WHERE context_id = ? AND path = ?",
                (context_id, path),
            ).fetchall()
            if not rows:
                lower, upper = _below(path + "/")
                rows = db.execute(
                    "SELECT path, blob, created, modified FROM files"
                    " WHERE context_id = ? AND path >= ? AND path < ?",
                    (context_id, lower, upper),
                ).fetchall()
            db.executemany(
                "DELETE FROM files WHERE context_id = ? AND path = ?",
                [(context_id, row[0]) for row in rows],
            )
            _forget_files(db, context_id, path, rows)
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
                    "SELECT file_id, blob, created, modified FROM files"
                    " WHERE context_id = ? AND path = ?",
                    (upload.context_id, upload.path),
                ).fetchone()
                file_id, created = (old[0], old[2]) if old else ("file-" + uuid.uuid4().hex, now)
                parent, name = _split(upload.path)
                db.execute(
                    "INSERT OR REPLACE INTO files"
                    " (context_id, path, file_id, blob, size, created, modified, parent, name,"
                    " crc64) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        upload.context_id,
                        upload.path,
                        file_id,
                        writer.blob_id,
                        writer.size,
                        created,
                        now,
                        parent,
                        name,
                        str(writer.crc64),
                    ),
                )
                if old:
                    _replace_file(db, upload.context_id, upload.path, old[3], now)
                else:
                    _add_file(db, upload.context_id, upload.path, created, now)
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
        """Close the database connection and drop the parts of uploads never finished."""
        with self._lock:
            self._db.close()
        self._blobs.drop_parts()
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
