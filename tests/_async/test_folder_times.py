"""Folder transfers that see time: every modification-time rule of a plan changes what
``upload_folder`` / ``download_folder`` do, with local trees backdated (``os.utime``) and the
remote times set by the emulator's clock (``tests/clocked_emulator.py``); and every
combination of ``only_changed``, ``delete_extra`` and ``dry_run`` in both directions, with
what a deletion must spare.

Without a clock, a tree created and synced within the same two seconds passes every time rule
whether or not it is applied (the plan's 2 s tolerance hides it)."""

from __future__ import annotations

import io
import itertools
import os
from collections.abc import AsyncIterator, Generator
from pathlib import Path
from typing import Any

import pytest

from agentbay import AsyncAgentBay, Config
from agentbay._folders import parse_gmt
from tests.clocked_emulator import T0, SetClock, clocked_emulator

FOLDER = "/data"


@pytest.fixture(scope="module")
def clocked(
    tmp_path_factory: pytest.TempPathFactory,
) -> Generator[tuple[str, SetClock], None, None]:
    with clocked_emulator(tmp_path_factory.mktemp("clocked")) as served:
        yield served


@pytest.fixture
def clock(clocked: tuple[str, SetClock]) -> SetClock:
    clocked[1].now = float(T0)
    return clocked[1]


@pytest.fixture
async def timed_bay(
    clocked: tuple[str, SetClock], account_key: str
) -> AsyncIterator[AsyncAgentBay]:
    async with AsyncAgentBay(
        account_key, cfg=Config(endpoint=clocked[0], timeout_ms=10_000)
    ) as client:
        yield client


@pytest.fixture
async def timed_context(timed_bay: AsyncAgentBay) -> str:
    return (await timed_bay.context.create("times")).context_id


def put_local(root: Path, files: dict[str, bytes], mtime: float) -> None:
    """Write ``files`` below ``root``, each modified at ``mtime`` (POSIX seconds)."""
    for relative, data in files.items():
        path = root.joinpath(*relative.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, ns=(int(mtime * 1e9), int(mtime * 1e9)))


def local_state(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file below ``root``: its bytes and its mtime (ns)."""
    return {
        path.relative_to(root).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


async def put_remote(
    timed_bay: AsyncAgentBay,
    timed_context: str,
    clock: SetClock,
    files: dict[str, bytes],
    at: float,
) -> None:
    """Upload ``files`` below ``FOLDER`` while the emulator's clock reads ``at``."""
    clock.now = at
    for relative, data in files.items():
        result = await timed_bay.context.upload_file(timed_context, f"{FOLDER}/{relative}", data)
        assert result.success, result.error_message


async def remote_state(
    timed_bay: AsyncAgentBay, timed_context: str
) -> dict[str, tuple[bytes, float]]:
    """Every file below ``FOLDER``: its bytes and its modification time (POSIX seconds)."""
    state: dict[str, tuple[bytes, float]] = {}
    async for entry in timed_bay.context.iter_files(timed_context, FOLDER, recursive=True):
        if entry.file_type == "folder":
            continue
        sink = io.BytesIO()
        result = await timed_bay.context.download_file(timed_context, entry.file_path, sink)
        assert result.success, result.error_message
        modified = parse_gmt(entry.gmt_modified)
        assert modified is not None
        state[entry.file_path[len(FOLDER) + 1 :]] = (sink.getvalue(), modified)
    return state


def named(*relatives: str) -> list[str]:
    return sorted(f"{FOLDER}/{relative}" for relative in relatives)


# --------------------------------------------------------------------------- the time rules

SAME = b"same size"  # every file of the time rules has the same size on both sides
UPLOAD_TIMES = {
    # local mtime against the remote one (T0): only a local file newer by more than 2 s moves
    "local-newer-3s.txt": T0 + 3,
    "local-newer-2s.txt": T0 + 2,  # the tolerance itself: not newer enough
    "local-newer-1s.txt": T0 + 1,
    "remote-newer.txt": T0 - 3600,
}


async def test_an_upload_sends_only_what_is_newer_here_beyond_the_tolerance(
    timed_bay: AsyncAgentBay, timed_context: str, clock: SetClock, tmp_path: Path
) -> None:
    await put_remote(timed_bay, timed_context, clock, dict.fromkeys(UPLOAD_TIMES, SAME), T0)
    await put_remote(timed_bay, timed_context, clock, {"resized-but-older.txt": b"old"}, T0)
    for relative, mtime in UPLOAD_TIMES.items():
        put_local(tmp_path, {relative: SAME.upper()}, mtime)  # same size, other bytes
    put_local(tmp_path, {"resized-but-older.txt": b"longer"}, T0 - 3600)
    clock.now = T0 + 100

    result = await timed_bay.context.upload_folder(timed_context, tmp_path, FOLDER)

    assert result.transferred == named("local-newer-3s.txt", "resized-but-older.txt")
    assert result.skipped == named("local-newer-2s.txt", "local-newer-1s.txt", "remote-newer.txt")
    after = await remote_state(timed_bay, timed_context)
    assert after["local-newer-3s.txt"] == (SAME.upper(), T0 + 100)
    assert after["resized-but-older.txt"] == (b"longer", T0 + 100)
    for relative in ("local-newer-2s.txt", "local-newer-1s.txt", "remote-newer.txt"):
        assert after[relative] == (SAME, T0)


DOWNLOAD_TIMES = {
    # local mtime against the remote one (T0): only a remote file newer by more than 2 s moves
    "remote-newer-3s.txt": T0 - 3,
    "remote-newer-2s.txt": T0 - 2,  # the tolerance itself
    "remote-newer-1s.txt": T0 - 1,
    "local-newer.txt": T0 + 3600,
}


async def test_a_download_fetches_only_what_is_newer_there_beyond_the_tolerance(
    timed_bay: AsyncAgentBay, timed_context: str, clock: SetClock, tmp_path: Path
) -> None:
    await put_remote(timed_bay, timed_context, clock, dict.fromkeys(DOWNLOAD_TIMES, SAME), T0)
    await put_remote(timed_bay, timed_context, clock, {"resized-but-older.txt": b"longer"}, T0)
    for relative, mtime in DOWNLOAD_TIMES.items():
        put_local(tmp_path, {relative: SAME.upper()}, mtime)
    put_local(tmp_path, {"resized-but-older.txt": b"old"}, T0 + 3600)

    result = await timed_bay.context.download_folder(timed_context, FOLDER, tmp_path)

    assert result.transferred == named("remote-newer-3s.txt", "resized-but-older.txt")
    assert result.skipped == named("remote-newer-2s.txt", "remote-newer-1s.txt", "local-newer.txt")
    after = local_state(tmp_path)
    assert after["remote-newer-3s.txt"] == (SAME, T0 * 10**9)  # stamped with the remote time
    assert after["resized-but-older.txt"] == (b"longer", T0 * 10**9)
    for relative, mtime in DOWNLOAD_TIMES.items():
        if relative != "remote-newer-3s.txt":
            assert after[relative] == (SAME.upper(), mtime * 10**9)


async def test_a_downloaded_file_carries_the_remote_time_so_the_next_runs_move_nothing(
    timed_bay: AsyncAgentBay, timed_context: str, clock: SetClock, tmp_path: Path
) -> None:
    await put_remote(timed_bay, timed_context, clock, {"a.txt": b"a", "b/c.txt": b"c"}, T0 - 86400)
    clock.now = T0

    first = await timed_bay.context.download_folder(timed_context, FOLDER, tmp_path)

    assert first.transferred == named("a.txt", "b/c.txt")
    assert {path: mtime for path, (_, mtime) in local_state(tmp_path).items()} == {
        "a.txt": (T0 - 86400) * 10**9,
        "b/c.txt": (T0 - 86400) * 10**9,
    }
    # Stamped a day back, the copies are older than the remote files: the next download and
    # the next upload both skip them (a copy stamped "now" would be sent up again).
    again = await timed_bay.context.download_folder(timed_context, FOLDER, tmp_path)
    up = await timed_bay.context.upload_folder(timed_context, tmp_path, FOLDER)
    assert (again.transferred, again.skipped) == ([], named("a.txt", "b/c.txt"))
    assert (up.transferred, up.skipped) == ([], named("a.txt", "b/c.txt"))


async def test_a_file_touched_after_its_download_goes_up_again(
    timed_bay: AsyncAgentBay, timed_context: str, clock: SetClock, tmp_path: Path
) -> None:
    await put_remote(timed_bay, timed_context, clock, {"a.txt": b"a", "b.txt": b"b"}, T0)
    await timed_bay.context.download_folder(timed_context, FOLDER, tmp_path)
    put_local(tmp_path, {"a.txt": b"A"}, T0 + 60)  # edited a minute later, same size
    clock.now = T0 + 120

    up = await timed_bay.context.upload_folder(timed_context, tmp_path, FOLDER)

    assert (up.transferred, up.skipped) == (named("a.txt"), named("b.txt"))
    assert (await remote_state(timed_bay, timed_context))["a.txt"] == (b"A", T0 + 120)


# --------------------------------------------------------------------------- every combination

SOURCE = {"same.txt": b"same", "changed.txt": b"changed here", "new.txt": b"new"}
DESTINATION = {"same.txt": b"same", "changed.txt": b"old", "extra.txt": b"extra"}
OLDER, NEWER = T0 - 100, T0  # the source's files are older than the destination's


def expected(only_changed: bool, delete_extra: bool) -> tuple[list[str], list[str], list[str]]:
    """(transferred, skipped, deleted) as relative paths."""
    unchanged = ["same.txt"] if only_changed else []
    moved = sorted({"changed.txt", "new.txt"} | ({"same.txt"} - set(unchanged)))
    return moved, unchanged, ["extra.txt"] if delete_extra else []


COMBINATIONS = list(itertools.product([False, True], repeat=3))
IDS = [
    "-".join(
        name
        for name, on in zip(("only_changed", "delete_extra", "dry_run"), flags, strict=True)
        if on
    )
    or "none"
    for flags in COMBINATIONS
]


@pytest.mark.parametrize(("only_changed", "delete_extra", "dry_run"), COMBINATIONS, ids=IDS)
async def test_every_option_combination_going_up(
    timed_bay: AsyncAgentBay,
    timed_context: str,
    clock: SetClock,
    tmp_path: Path,
    only_changed: bool,
    delete_extra: bool,
    dry_run: bool,
) -> None:
    put_local(tmp_path, SOURCE, OLDER)
    await put_remote(timed_bay, timed_context, clock, DESTINATION, NEWER)
    before = await remote_state(timed_bay, timed_context)
    clock.now = T0 + 500

    result = await timed_bay.context.upload_folder(
        timed_context,
        tmp_path,
        FOLDER,
        only_changed=only_changed,
        delete_extra=delete_extra,
        dry_run=dry_run,
    )

    moved, unchanged, deleted = expected(only_changed, delete_extra)
    assert result.success, result.failed
    assert result.transferred == named(*moved)
    assert result.skipped == named(*unchanged)
    assert result.deleted == named(*deleted)
    assert result.bytes_transferred == sum(len(SOURCE[path]) for path in moved)
    after = await remote_state(timed_bay, timed_context)
    if dry_run:
        assert after == before
        return
    wanted = {path: (SOURCE[path], T0 + 500.0) for path in moved}
    wanted |= {path: before[path] for path in unchanged}
    if not delete_extra:
        wanted["extra.txt"] = before["extra.txt"]
    assert after == wanted


@pytest.mark.parametrize(("only_changed", "delete_extra", "dry_run"), COMBINATIONS, ids=IDS)
async def test_every_option_combination_coming_down(
    timed_bay: AsyncAgentBay,
    timed_context: str,
    clock: SetClock,
    tmp_path: Path,
    only_changed: bool,
    delete_extra: bool,
    dry_run: bool,
) -> None:
    await put_remote(timed_bay, timed_context, clock, SOURCE, OLDER)
    put_local(tmp_path, DESTINATION, NEWER)
    before = local_state(tmp_path)

    result = await timed_bay.context.download_folder(
        timed_context,
        FOLDER,
        tmp_path,
        only_changed=only_changed,
        delete_extra=delete_extra,
        dry_run=dry_run,
    )

    moved, unchanged, deleted = expected(only_changed, delete_extra)
    assert result.success, result.failed
    assert result.transferred == named(*moved)
    assert result.skipped == named(*unchanged)
    assert result.deleted == named(*deleted)
    assert result.bytes_transferred == sum(len(SOURCE[path]) for path in moved)
    after = local_state(tmp_path)
    if dry_run:
        assert after == before
        return
    wanted = {path: (SOURCE[path], OLDER * 10**9) for path in moved}
    wanted |= {path: before[path] for path in unchanged}
    if not delete_extra:
        wanted["extra.txt"] = before["extra.txt"]
    assert after == wanted


async def test_a_dry_run_into_a_missing_folder_creates_nothing(
    timed_bay: AsyncAgentBay, timed_context: str, clock: SetClock, tmp_path: Path
) -> None:
    await put_remote(timed_bay, timed_context, clock, SOURCE, OLDER)
    target = tmp_path / "not-yet"

    result = await timed_bay.context.download_folder(
        timed_context, FOLDER, target, delete_extra=True, dry_run=True
    )

    assert result.transferred == named(*SOURCE)
    assert not target.exists()


# --------------------------------------------------------------------------- what is spared


def refuse_scandir(monkeypatch: pytest.MonkeyPatch, folder_name: str) -> None:
    """Make the local folder named ``folder_name`` unreadable (the tests may run as root)."""
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if os.path.basename(os.fspath(path)) == folder_name:
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)


async def test_an_upload_spares_remote_files_below_a_local_folder_it_cannot_read(
    timed_bay: AsyncAgentBay,
    timed_context: str,
    clock: SetClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    put_local(tmp_path, {"kept.txt": b"k", "locked/inside.txt": b"i"}, OLDER)
    remote = {"kept.txt": b"k", "locked/inside.txt": b"i", "locked/deep/x.txt": b"x"}
    await put_remote(timed_bay, timed_context, clock, {**remote, "gone.txt": b"g"}, NEWER)
    refuse_scandir(monkeypatch, "locked")

    result = await timed_bay.context.upload_folder(
        timed_context, tmp_path, FOLDER, delete_extra=True
    )

    assert result.deleted == named("gone.txt")
    assert list(result.failed) == named("locked")
    assert "Permission denied" in result.failed[f"{FOLDER}/locked"]
    assert sorted(await remote_state(timed_bay, timed_context)) == sorted(remote)


async def test_a_download_spares_local_entries_it_cannot_read_or_does_not_own(
    timed_bay: AsyncAgentBay,
    timed_context: str,
    clock: SetClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await put_remote(timed_bay, timed_context, clock, {"kept.txt": b"k"}, OLDER)
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not ours")
    local = tmp_path / "copy"
    put_local(local, {"kept.txt": b"k", "extra.txt": b"e", "locked/inside.txt": b"i"}, NEWER)
    (local / "link.txt").symlink_to(outside)  # a link is never followed, nor deleted
    refuse_scandir(monkeypatch, "locked")

    result = await timed_bay.context.download_folder(
        timed_context, FOLDER, local, delete_extra=True
    )

    assert result.deleted == named("extra.txt")
    assert (local / "locked" / "inside.txt").read_bytes() == b"i"
    assert (local / "link.txt").is_symlink() and outside.read_bytes() == b"not ours"
    assert not (local / "extra.txt").exists()


async def test_a_download_spares_local_files_below_a_remote_folder_it_cannot_list(
    timed_bay: AsyncAgentBay,
    timed_context: str,
    clock: SetClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await put_remote(timed_bay, timed_context, clock, {"a.txt": b"a", "sub/b.txt": b"b"}, OLDER)
    put_local(tmp_path, {"extra.txt": b"e", "sub/local.txt": b"l", "sub/b.txt": b"b"}, NEWER)
    service = timed_bay.context
    real_page = service._file_page

    async def page(timed_context: str, folder: str, *args: Any) -> Any:
        result = await real_page(timed_context, folder, *args)
        if folder.rstrip("/").endswith("/sub"):
            result.success, result.error_message, result.entries = False, "listing refused", []
        return result

    monkeypatch.setattr(service, "_file_page", page)

    result = await service.download_folder(timed_context, FOLDER, tmp_path, delete_extra=True)

    assert result.deleted == named("extra.txt")
    assert list(result.failed) == [f"{FOLDER}/sub/"]
    assert "listing refused" in result.failed[f"{FOLDER}/sub/"]
    assert set(local_state(tmp_path)) == {"a.txt", "sub/local.txt", "sub/b.txt"}
