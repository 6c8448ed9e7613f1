"""The listing index of the SQLite store: every page read from it matches the folder's children
as they follow from the files alone, through random uploads, replacements and deletions, and
a data directory of the first schema is migrated on open."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from agentbay_emulator.sqlite_store import SCHEMA_VERSION, SqliteStore
from agentbay_emulator.store import FILE, FOLDER, Entry

Files = dict[str, tuple[str, int, float, float]]  # path -> file_id, size, created, modified


def expected(files: Files, folder: str) -> list[Entry]:
    """The direct children of ``folder``, computed from every file (the definition)."""
    folders: dict[str, list[float]] = {}
    entries: list[Entry] = []
    for path, (file_id, size, created, modified) in files.items():
        if not path.startswith(folder):
            continue
        head, sep, _ = path[len(folder) :].partition("/")
        if sep:
            times = folders.setdefault(head, [created, modified])
            times[0], times[1] = min(times[0], created), max(times[1], modified)
        else:
            entries.append(Entry(FILE, head, path, file_id, size, created, modified))
    entries += [
        Entry(FOLDER, name, f"{folder}{name}/", "", 0, times[0], times[1])
        for name, times in folders.items()
    ]
    return sorted(entries, key=lambda entry: entry.key)


def folders_of(files: Files) -> set[str]:
    found = {"/"}
    for path in files:
        parts = path.split("/")[1:-1]
        for depth in range(1, len(parts) + 1):
            found.add("/" + "/".join(parts[:depth]) + "/")
    return found


def check(store: SqliteStore, context_id: str, files: Files, page: int) -> None:
    """Every folder (and one that is not), walked by keys and by offsets, page by page."""
    for folder in folders_of(files) | {"/nowhere/"}:
        want = expected(files, folder)
        got: list[Entry] = []
        after = None
        while True:
            listing = store.list_children("acct", context_id, folder, after=after, limit=page)
            assert listing.count == len(want)
            got += listing.entries
            if len(listing.entries) < page:
                break
            after = listing.entries[-1].key
        assert got == want, folder
        for offset in range(0, len(want) + 2, page):
            listing = store.list_children("acct", context_id, folder, offset=offset, limit=page)
            assert listing.entries == want[offset : offset + page]


def upload(store: SqliteStore, context_id: str, path: str, data: bytes, now: float) -> None:
    writer = store.begin_upload("acct", context_id, path)
    writer.write(data)
    writer.commit(now)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("seed", range(4))
def test_pages_match_the_files_through_random_changes(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    store = SqliteStore(tmp_path)
    context_id = store.create_context("acct", "c", 0.0).id
    files: Files = {}
    names = ["a", "b", "a b", "é", "z", "a.txt"]
    try:
        for step in range(1, 121):
            now = 1_000.0 + rng.choice([step, 5, 2_000 - step])  # times not in upload order
            depth = rng.randint(1, 4)
            path = "/" + "/".join(rng.choice(names) for _ in range(depth))
            if rng.random() < 0.7:
                if any(other.startswith(path + "/") for other in files) or any(
                    path.startswith(other + "/") for other in files
                ):
                    continue  # a name is a file or a folder, not both
                old = files.get(path)
                upload(store, context_id, path, b"x" * step, now)
                record = store.open_file("acct", context_id, path)
                assert record is not None
                record[1].close()
                files[path] = (record[0].file_id, step, old[2] if old else now, now)
            else:
                doomed = [p for p in files if p == path or p.startswith(path + "/")]
                assert store.delete_files("acct", context_id, path, now) == len(doomed)
                for gone in doomed:
                    del files[gone]
            if step % 10 == 0:
                check(store, context_id, files, rng.choice([1, 2, 3, 100]))
        check(store, context_id, files, 2)
        store.clear_context("acct", context_id, 9_000.0, 9_000.0)
        check(store, context_id, {}, 5)
    finally:
        store.close()


FIRST_SCHEMA = """
CREATE TABLE contexts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    created REAL NOT NULL,
    last_used REAL NOT NULL,
    clear_until REAL NOT NULL DEFAULT 0,
    UNIQUE (account, name)
);
CREATE TABLE files (
    context_id TEXT NOT NULL REFERENCES contexts (id),
    path TEXT NOT NULL,
    file_id TEXT NOT NULL,
    blob TEXT NOT NULL,
    size INTEGER NOT NULL,
    created REAL NOT NULL,
    modified REAL NOT NULL,
    PRIMARY KEY (context_id, path)
);
"""


def test_a_data_directory_of_the_first_schema_is_migrated_on_open(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "meta.sqlite3")
    db.executescript(FIRST_SCHEMA)
    db.execute(
        "INSERT INTO contexts (id, account, name, created, last_used) VALUES (?,?,?,?,?)",
        ("ctx-0000000000000000", "acct", "old", 1.0, 1.0),
    )
    files: Files = {}
    for number, path in enumerate(["/a", "/d/b", "/d/e/c", "/d/e/f", "/z"]):
        blob = f"{number:032x}"
        (tmp_path / "blobs" / blob[:2]).mkdir(parents=True, exist_ok=True)
        (tmp_path / "blobs" / blob[:2] / blob).write_bytes(b"x")
        db.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?, 1, ?, ?)",
            ("ctx-0000000000000000", path, f"file-{number}", blob, 10.0 + number, 20.0 - number),
        )
        files[path] = (f"file-{number}", 1, 10.0 + number, 20.0 - number)
    db.commit()
    db.close()
    store = SqliteStore(tmp_path)
    try:
        check(store, "ctx-0000000000000000", files, 2)
        upload(store, "ctx-0000000000000000", "/d/new", b"y", 30.0)
        files["/d/new"] = (
            store.list_children("acct", "ctx-0000000000000000", "/d/", after=(FILE, "e"), limit=1)
            .entries[0]
            .file_id,
            1,
            30.0,
            30.0,
        )
        check(store, "ctx-0000000000000000", files, 3)
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "meta.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    store = SqliteStore(tmp_path)  # a second open finds it current
    try:
        check(store, "ctx-0000000000000000", files, 3)
    finally:
        store.close()


def test_writes_of_an_older_emulator_are_found_and_the_index_rebuilt(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    context_id = store.create_context("acct", "c", 0.0).id
    files: Files = {}
    for number, path in enumerate(["/a/b", "/a/c", "/d"]):
        upload(store, context_id, path, b"x", 10.0 + number)
        record = store.open_file("acct", context_id, path)
        assert record is not None
        record[1].close()
        files[path] = (record[0].file_id, 1, 10.0 + number, 10.0 + number)
    store.close()
    with sqlite3.connect(tmp_path / "meta.sqlite3") as db:  # as the first schema's code does
        db.execute("DELETE FROM files WHERE path = '/a/c'")
        db.execute(
            "INSERT OR REPLACE INTO files"
            " (context_id, path, file_id, blob, size, created, modified)"
            " VALUES (?, '/e/f', 'file-e', ?, 1, 20.0, 21.0)",
            (context_id, "0" * 32),
        )
    db.close()
    del files["/a/c"]
    files["/e/f"] = ("file-e", 1, 20.0, 21.0)
    store = SqliteStore(tmp_path)
    try:
        check(store, context_id, files, 2)
    finally:
        store.close()
