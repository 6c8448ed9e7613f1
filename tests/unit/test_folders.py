"""The pure core of folder transfers: walking, listing, paths, planning and progress."""

from __future__ import annotations

import gc
import itertools
import os
import re
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentbay import FolderTransferResult, _folders
from agentbay._errors import AgentBayError
from agentbay._folders import (
    Aborted,
    FolderProgress,
    LocalFile,
    Plan,
    RemoteFile,
    RemoteListing,
    UnsafePathError,
    parse_gmt,
    plan_download,
    plan_upload,
    prepare_download_path,
    relative_remote,
    remote_path,
    safe_local_path,
)
from agentbay._models import ApiResponse, ContextFileEntry
from agentbay_emulator.wire import iso_time

T0 = 1_748_520_000.0  # 2025-05-29T12:00:00Z
T0_NS = int(T0 * 1e9)


def write(path: Path, data: bytes = b"") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# FolderTransferResult


def test_result_is_an_api_response_with_fields_in_order() -> None:
    result = FolderTransferResult("rid", True, ["/a"], ["/b"], ["/c"], {"/d": "boom"}, 7, "x")
    assert isinstance(result, ApiResponse)
    assert (result.request_id, result.success, result.bytes_transferred) == ("rid", True, 7)
    assert result.error_message == "x"
    assert (result.transferred, result.skipped, result.deleted) == (["/a"], ["/b"], ["/c"])
    assert result.failed == {"/d": "boom"}
    empty = FolderTransferResult()
    assert (empty.success, empty.transferred, empty.failed) == (False, [], {})
    assert empty.transferred is not FolderTransferResult().transferred


# walk_local


def test_walk_lists_every_regular_file_with_size_and_mtime(tmp_path: Path) -> None:
    write(tmp_path / "top.txt", b"abc")
    write(tmp_path / "a" / "b" / "deep.bin", b"x" * 10)
    write(tmp_path / "a" / "empty")
    write(tmp_path / "with space" / "naïve ünïcode 文件.txt", b"12")
    (tmp_path / "empty folder").mkdir()
    os.utime(tmp_path / "top.txt", ns=(T0_NS, T0_NS + 5))

    files, problems = _folders.walk_local(tmp_path)

    assert problems == {}
    assert files == {
        "top.txt": LocalFile(3, T0_NS + 5),
        "a/b/deep.bin": LocalFile(10, files["a/b/deep.bin"].mtime_ns),
        "a/empty": LocalFile(0, files["a/empty"].mtime_ns),
        "with space/naïve ünïcode 文件.txt": LocalFile(
            2, files["with space/naïve ünïcode 文件.txt"].mtime_ns
        ),
    }


def test_walk_accepts_a_path_object_and_a_string(tmp_path: Path) -> None:
    write(tmp_path / "f", b"1")
    assert _folders.walk_local(str(tmp_path))[0].keys() == {"f"}
    assert _folders.walk_local(tmp_path)[0].keys() == {"f"}


def test_walk_skips_symlinks_silently_unless_asked(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside / "secret.txt", b"s")
    root = tmp_path / "root"
    write(root / "real.txt", b"r")
    (root / "file-link").symlink_to(root / "real.txt")
    (root / "dir-link").symlink_to(outside, target_is_directory=True)
    (root / "dangling").symlink_to(tmp_path / "missing")

    files, problems = _folders.walk_local(root)
    assert (set(files), problems) == ({"real.txt"}, {})

    files, problems = _folders.walk_local(root, follow_symlinks=True)
    assert set(files) == {"real.txt", "file-link", "dir-link/secret.txt"}
    assert files["file-link"].size == 1
    assert set(problems) == {"dangling"}
    assert problems["dangling"].startswith("Local I/O error: ")


def test_walk_reports_a_symlink_loop_once_and_goes_on(tmp_path: Path) -> None:
    write(tmp_path / "a" / "f.txt", b"f")
    (tmp_path / "a" / "up").symlink_to(tmp_path, target_is_directory=True)

    files, problems = _folders.walk_local(tmp_path, follow_symlinks=True)

    assert set(files) == {"a/f.txt"}
    assert set(problems) == {"a/up"}
    assert "loop" in problems["a/up"]


def test_walk_follows_a_root_that_is_a_symlink(tmp_path: Path) -> None:
    write(tmp_path / "real" / "f.txt", b"f")
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    assert set(_folders.walk_local(tmp_path / "link")[0]) == {"f.txt"}


def test_walk_skips_fifos_and_sockets(tmp_path: Path) -> None:
    write(tmp_path / "f.txt", b"f")
    os.mkfifo(tmp_path / "pipe")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "sock"))
        files, problems = _folders.walk_local(tmp_path)
    assert (set(files), problems) == ({"f.txt"}, {})


def test_an_unreadable_subfolder_is_a_problem_for_that_folder_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "ok" / "a.txt", b"a")
    write(tmp_path / "locked" / "b.txt", b"b")
    write(tmp_path / "c.txt", b"c")
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    files, problems = _folders.walk_local(tmp_path)

    assert set(files) == {"ok/a.txt", "c.txt"}
    assert problems == {"locked": "Local I/O error: Permission denied"}


def test_a_name_that_is_not_utf8_is_a_problem(tmp_path: Path) -> None:
    fd = os.open(os.fsencode(tmp_path) + b"/bad\xff.txt", os.O_CREAT | os.O_WRONLY)
    os.close(fd)
    write(tmp_path / "good.txt")

    files, problems = _folders.walk_local(tmp_path)

    assert set(files) == {"good.txt"}
    assert problems == {"bad\ufffd.txt": "The name is not valid UTF-8"}


@pytest.mark.parametrize("make", ["missing", "file"])
def test_a_root_that_cannot_be_read_raises(tmp_path: Path, make: str) -> None:
    root = tmp_path / "root"
    if make == "file":
        write(root, b"x")
    with pytest.raises(AgentBayError, match="Cannot read folder"):
        _folders.walk_local(root)


def test_a_root_scandir_refuses_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def scandir(path: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(AgentBayError, match="Permission denied"):
        _folders.walk_local(tmp_path)


# safe_local_path and prepare_download_path


@pytest.mark.parametrize(
    ("relative", "reason"),
    [
        ("", "empty"),
        ("/etc/passwd", "absolute"),
        ("../x", "'..'"),
        ("a/../../x", "'..'"),
        ("a/./b", "'.'"),
        ("..", "'..'"),
        ("a//b", "''"),
        ("a/", "''"),
        ("a\\..\\..\\x", "backslash"),
        ("C:/Windows/x", "drive letter"),
        ("a/c:x", "drive letter"),
        ("a\x00b", "control character"),
        ("a\nb", "control character"),
        ("a\x7fb", "control character"),
        ("a\x85b", "control character"),
        ("x" * 256, "longer than 255"),
        ("é" * 128, "longer than 255"),
        ("/".join(["x" * 200] * 21), "longer than 4096"),
        ("a\udcffb", "not valid UTF-8"),
    ],
)
def test_safe_local_path_refuses(tmp_path: Path, relative: str, reason: str) -> None:
    with pytest.raises(UnsafePathError, match=re.escape(reason)):
        safe_local_path(tmp_path, relative, windows=False)


@pytest.mark.parametrize(
    "relative",
    [
        "a",
        "a/b/c.txt",
        "x" * 255,
        "é" * 127,
        "with space/naïve 文件",
        "..a",
        "a..",
        ".hidden",
        "12:00.log",
        "ab:c",
    ],
)
def test_safe_local_path_accepts(tmp_path: Path, relative: str) -> None:
    assert safe_local_path(tmp_path, relative, windows=False) == os.path.join(
        tmp_path, *relative.split("/")
    )


@pytest.mark.parametrize(
    ("relative", "reason"),
    [
        ("ab:c", "Windows refuses"),
        ("a/b?", "Windows refuses"),
        ('a"b', "Windows refuses"),
        ("name.", "ends with a dot"),
        ("name ", "ends with a dot or a space"),
        ("CON", "reserved"),
        ("sub/nul.txt", "reserved"),
        ("Com1", "reserved"),
    ],
)
def test_safe_local_path_refuses_more_on_windows(relative: str, reason: str) -> None:
    with pytest.raises(UnsafePathError, match=re.escape(reason)):
        safe_local_path("root", relative, windows=True)
    safe_local_path("root", "console/null.txt", windows=True)


TRICKY = st.text(
    alphabet=st.sampled_from(["a", "é", ".", "/", "\\", ":", "\x00", " ", "C", "\udcff"])
)


@given(relative=st.text() | TRICKY, windows=st.booleans())
def test_safe_local_path_never_leaves_the_root(relative: str, windows: bool) -> None:
    root = os.path.abspath("root")
    try:
        path = safe_local_path(root, relative, windows=windows)
    except UnsafePathError:
        return
    resolved = os.path.normpath(path)
    assert os.path.commonpath([root, resolved]) == root
    assert resolved != root
    assert os.path.relpath(resolved, root).split(os.sep) == relative.split("/")


def test_prepare_download_path_creates_the_folders(tmp_path: Path) -> None:
    path = prepare_download_path(tmp_path, "a/b/c.txt")
    assert path == os.path.join(tmp_path, "a", "b", "c.txt")
    assert (tmp_path / "a" / "b").is_dir()
    assert not os.path.exists(path)
    assert prepare_download_path(tmp_path, "a/b/d.txt") == os.path.join(tmp_path, "a", "b", "d.txt")


def test_prepare_download_path_never_goes_through_a_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    (root / "sub").symlink_to(outside, target_is_directory=True)

    with pytest.raises(UnsafePathError, match="symbolic link"):
        prepare_download_path(root, "sub/deeper/x.txt")
    assert list(outside.iterdir()) == []


def test_prepare_download_path_refuses_a_file_in_the_way(tmp_path: Path) -> None:
    write(tmp_path / "a", b"file")
    with pytest.raises(UnsafePathError, match="not a folder"):
        prepare_download_path(tmp_path, "a/b.txt")
    with pytest.raises(UnsafePathError, match=re.escape("'..'")):
        prepare_download_path(tmp_path, "../b.txt")


def test_prepare_download_path_accepts_a_root_that_is_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    prepare_download_path(tmp_path / "link", "a/b.txt")
    assert (tmp_path / "real" / "a").is_dir()


def test_prepare_download_path_reports_a_folder_it_cannot_create(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def mkdir(path: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "mkdir", mkdir)
    with pytest.raises(AgentBayError, match=r"Cannot create .*: Permission denied"):
        prepare_download_path(tmp_path, "a/b.txt")


# Remote paths


@pytest.mark.parametrize(
    ("folder", "relative", "expected"),
    [
        ("/a/", "b/c", "/a/b/c"),
        ("/a", "b/c", "/a/b/c"),
        ("a", "/b//c/", "/a/b/c"),
        ("/", "x", "/x"),
        ("", "x", "/x"),
        ("/a/./b/", "c", "/a/b/c"),
        ("/a", "", "/a"),
    ],
)
def test_remote_path_joins_with_one_slash(folder: str, relative: str, expected: str) -> None:
    assert remote_path(folder, relative) == expected


@pytest.mark.parametrize(
    ("folder", "file_path", "expected"),
    [
        ("/a", "/a/b/c", "b/c"),
        ("/a/", "a/b", "b"),
        ("/", "/x/y", "x/y"),
        ("", "x", "x"),
        ("/a", "/a//b/./c", "b/c"),
    ],
)
def test_relative_remote(folder: str, file_path: str, expected: str) -> None:
    assert relative_remote(folder, file_path) == expected


@pytest.mark.parametrize(
    ("folder", "file_path"),
    [
        ("/a", "/ab/c"),
        ("/a", "/b/c"),
        ("/a", "/a"),
        ("/a", "/a/"),
        ("/a/b", "/a"),
        ("/a", "/a/../etc/x"),
        ("/", "/"),
    ],
)
def test_relative_remote_refuses_what_is_not_below(folder: str, file_path: str) -> None:
    with pytest.raises(UnsafePathError):
        relative_remote(folder, file_path)


# parse_gmt


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-05-29T12:00:00Z", T0),
        ("2025-05-29T12:00:00z", T0),
        ("  2025-05-29T12:00:00Z ", T0),
        ("2025-05-29T12:00:00.250Z", T0 + 0.25),
        ("2025-05-29T12:00:00,5Z", T0 + 0.5),
        ("2025-05-29T12:00:00.123456789Z", T0 + 0.123456789),
        ("2025-05-29T20:00:00+08:00", T0),
        ("2025-05-29T20:00:00.000+0800", T0),
        ("2025-05-29T20:00:00+08", T0),
        ("2025-05-29T04:30:00-07:30", T0),
        ("2025-05-29 12:00:00", T0),
        ("2025-05-29T12:00:00", T0),
        ("2025-05-29T12:00Z", T0),
        ("", None),
        ("yesterday", None),
        ("2025-05-29", None),
        ("2025-02-30T12:00:00Z", None),
        ("2025-05-29T25:00:00Z", None),
        ("2025-05-29T12:00:00+24:00", None),
        ("2025-05-29T12:00:00Zjunk", None),
        ("1748520000", None),
        (None, None),
    ],
)
def test_parse_gmt(text: str | None, expected: float | None) -> None:
    assert parse_gmt(text) == (pytest.approx(expected) if expected else None)


@given(seconds=st.integers(min_value=0, max_value=4_000_000_000))
def test_parse_gmt_reads_what_the_emulator_sends(seconds: int) -> None:
    assert parse_gmt(iso_time(seconds)) == seconds


# RemoteListing


def entry(
    path: str, kind: str | None = "file", size: int | None = 3, gmt: str | None = None
) -> ContextFileEntry:
    return ContextFileEntry(
        file_id="id",
        file_name=path.rsplit("/", 1)[-1],
        file_path=path,
        file_type=kind,
        size=size,
        gmt_modified=gmt,
    )


def test_listing_gathers_files_and_queues_folders() -> None:
    listing = RemoteListing("/data/")
    assert listing.pending == ["/data/"]
    listing.pending.pop()

    listing.add(entry("/data/a.txt", gmt="2025-05-29T12:00:00Z"))
    listing.add(entry("/data/sub", kind="folder", size=0))
    listing.add(entry("/data/sub", kind="FOLDER"))
    listing.add(entry("/data/odd", size=None, gmt="garbage"))
    listing.add(entry("/data/neg", size=-1))

    assert listing.files == {
        "a.txt": RemoteFile(3, T0),
        "odd": RemoteFile(None, None),
        "neg": RemoteFile(None, None),
    }
    assert listing.pending == ["/data/sub/"]
    assert listing.problems == {}

    listing.add(entry("/data/sub/deep/b.txt"))
    assert listing.files["sub/deep/b.txt"] == RemoteFile(3, None)


def test_listing_of_the_root_folder() -> None:
    listing = RemoteListing("/")
    assert listing.pending == ["/"]
    listing.add(entry("/x", kind="folder"))
    listing.add(entry("y.txt"))
    assert (listing.pending, set(listing.files)) == (["/", "/x/"], {"y.txt"})


@pytest.mark.parametrize(
    ("path", "kind", "message"),
    [
        ("/elsewhere/a.txt", "file", "not below /data"),
        ("/data/../etc/passwd", "file", "'..'"),
        ("/data", "file", "not below"),
        ("/data", "folder", "not below"),
        ("/", "folder", "not below"),
        ("/datafile", "file", "not below"),
        ("/data/thing", "symlink", "Unknown file type 'symlink'"),
        ("/data/thing", None, "Unknown file type None"),
    ],
)
def test_listing_refuses_a_hostile_entry_per_entry(
    path: str, kind: str | None, message: str
) -> None:
    listing = RemoteListing("/data")
    listing.add(entry(path, kind=kind))
    listing.add(entry("/data/fine.txt"))
    assert set(listing.files) == {"fine.txt"}
    assert listing.pending == ["/data/"]
    assert list(listing.problems) == [path]
    assert message in listing.problems[path]


def test_a_folder_that_cannot_be_listed_is_protected() -> None:
    listing = RemoteListing("/data")
    listing.add(entry("/data/a/b", kind="folder"))
    listing.folder_failed("/data/a/b/", "Network error: boom")
    listing.folder_failed("/data/", "[InvalidContext.NotFound] gone")
    assert listing.protected == ["a/b", ""]
    assert listing.problems == {
        "/data/a/b/": "Network error: boom",
        "/data/": "[InvalidContext.NotFound] gone",
    }


# Planning


NEW, OLD = T0 + 10, T0


@pytest.mark.parametrize(
    ("local", "remote", "moves"),
    [
        (LocalFile(3, int(OLD * 1e9)), None, True),  # missing remotely
        (LocalFile(3, int(OLD * 1e9)), RemoteFile(4, NEW), True),  # sizes differ
        (LocalFile(3, int(NEW * 1e9)), RemoteFile(3, OLD), True),  # local newer
        (LocalFile(3, int((OLD + 2.5) * 1e9)), RemoteFile(3, OLD), True),  # beyond the tolerance
        (LocalFile(3, int((OLD + 2.0) * 1e9)), RemoteFile(3, OLD), False),  # within it
        (LocalFile(3, int(OLD * 1e9)), RemoteFile(3, NEW), False),  # remote newer
        (LocalFile(3, int(NEW * 1e9)), RemoteFile(3, None), False),  # no remote time: size only
        (LocalFile(3, int(OLD * 1e9)), RemoteFile(None, NEW), True),  # no remote size
    ],
)
def test_plan_upload_rules(local: LocalFile, remote: RemoteFile | None, moves: bool) -> None:
    remote_files = {} if remote is None else {"f": remote}
    plan = plan_upload({"f": local}, remote_files, only_changed=True, delete_extra=False)
    assert plan == (Plan(["f"], [], [], 3) if moves else Plan([], ["f"], [], 0))
    everything = plan_upload({"f": local}, remote_files, only_changed=False, delete_extra=False)
    assert everything == Plan(["f"], [], [], 3)


@pytest.mark.parametrize(
    ("remote", "local", "moves"),
    [
        (RemoteFile(3, OLD), None, True),  # missing locally
        (RemoteFile(3, OLD), LocalFile(4, int(NEW * 1e9)), True),  # sizes differ
        (RemoteFile(3, NEW), LocalFile(3, int(OLD * 1e9)), True),  # remote newer
        (RemoteFile(3, OLD + 2.5), LocalFile(3, int(OLD * 1e9)), True),  # beyond the tolerance
        (RemoteFile(3, OLD + 1.5), LocalFile(3, int(OLD * 1e9)), False),  # within it
        (RemoteFile(3, OLD), LocalFile(3, int(NEW * 1e9)), False),  # local newer: kept
        (RemoteFile(3, None), LocalFile(3, int(OLD * 1e9)), False),  # no remote time: size only
        (RemoteFile(None, NEW), LocalFile(3, int(NEW * 1e9)), True),  # no remote size
    ],
)
def test_plan_download_rules(remote: RemoteFile, local: LocalFile | None, moves: bool) -> None:
    local_files = {} if local is None else {"f": local}
    plan = plan_download({"f": remote}, local_files, only_changed=True, delete_extra=False)
    size = remote.size or 0
    assert plan == (Plan(["f"], [], [], size) if moves else Plan([], ["f"], [], 0))


def test_plans_are_sorted_and_sum_the_bytes() -> None:
    local = {
        name: LocalFile(size, T0_NS) for name, size in [("z", 1), ("a/b", 2), ("m", 4), ("same", 8)]
    }
    remote = {"same": RemoteFile(8, T0), "extra": RemoteFile(1, T0)}
    assert plan_upload(local, remote, only_changed=True, delete_extra=False) == Plan(
        ["a/b", "m", "z"], ["same"], [], 7
    )


def test_delete_extra_deletes_what_the_source_lacks_except_protected() -> None:
    local = {"keep": LocalFile(1, T0_NS)}
    remote = {
        "keep": RemoteFile(1, T0),
        "gone": RemoteFile(1, T0),
        "z/gone": RemoteFile(1, T0),
        "locked/x": RemoteFile(1, T0),
        "locked/deep/y": RemoteFile(1, T0),
        "lockedness": RemoteFile(1, T0),
        "stat-failed": RemoteFile(1, T0),
    }
    assert plan_upload(local, remote, only_changed=True, delete_extra=False).delete == []
    plan = plan_upload(
        local,
        remote,
        only_changed=True,
        delete_extra=True,
        protect={"locked": "x", "stat-failed": "y"},
    )
    assert plan.delete == ["gone", "lockedness", "z/gone"]
    download = plan_download(
        {"keep": RemoteFile(1, T0)},
        {"keep": LocalFile(1, T0_NS), "a/x": LocalFile(1, T0_NS), "b/y": LocalFile(1, T0_NS)},
        only_changed=True,
        delete_extra=True,
        protect=["a"],
    )
    assert download.delete == ["b/y"]
    everything_protected = plan_download(
        {}, {"x": LocalFile(1, T0_NS)}, only_changed=True, delete_extra=True, protect=[""]
    )
    assert everything_protected.delete == []


def test_a_stamped_download_is_skipped_by_the_next_download(tmp_path: Path) -> None:
    remote = {"a.txt": RemoteFile(3, T0 + 0.5), "b.txt": RemoteFile(3, None)}
    assert _folders.download_mtime_ns(remote["a.txt"]) == T0_NS + 500_000_000
    assert _folders.download_mtime_ns(remote["b.txt"]) is None
    for name, file in remote.items():
        write(tmp_path / name, b"abc")
        _folders.stamp_download(str(tmp_path / name), file)
    files, _ = _folders.walk_local(tmp_path)
    assert files["a.txt"].mtime_ns == T0_NS + 500_000_000
    assert files["b.txt"].mtime_ns > T0_NS  # left as written
    plan = plan_download(remote, files, only_changed=True, delete_extra=True)
    assert plan == Plan([], ["a.txt", "b.txt"], [], 0)


def test_an_upload_is_skipped_by_the_next_upload(tmp_path: Path) -> None:
    """The service stamps the upload time, later than the file's mtime."""
    write(tmp_path / "a.txt", b"abc")
    os.utime(tmp_path / "a.txt", ns=(T0_NS, T0_NS))
    files, _ = _folders.walk_local(tmp_path)
    listing = RemoteListing("/")
    listing.add(entry("/a.txt", size=3, gmt=iso_time(T0 + 60.9)))
    assert plan_upload(files, listing.files, only_changed=True, delete_extra=True).skip == ["a.txt"]


# Progress


def test_progress_adds_up_concurrent_files_and_never_goes_back() -> None:
    calls: list[tuple[int, int, int, int]] = []
    progress = FolderProgress(lambda *args: calls.append(args), 30, 3)
    progress.start()
    first, second, third = progress.file(), progress.file(), progress.file()
    first(0, 10)
    first(4, 10)
    second(0, 15)
    second(5, 15)
    first(10, 10)
    first.finish(success=True)
    second(0, 15)  # the transfer restarted: nothing is taken back
    second(3, 15)  # below its mark: nothing added
    second(15, 15)
    second.finish(success=True)
    third(3, 5)
    third.finish(success=False)  # counted apart from the done files; its bytes stay
    third.finish(success=True)  # ignored
    third(5, 5)  # ignored

    assert calls == [
        (0, 30, 0, 3),
        (4, 30, 0, 3),
        (9, 30, 0, 3),
        (15, 30, 0, 3),
        (15, 30, 1, 3),
        (25, 30, 1, 3),
        (25, 30, 2, 3),
        (28, 30, 2, 3),
    ]
    for before, after in itertools.pairwise(calls):
        assert all(a >= b for a, b in zip(after, before, strict=True)), (before, after)
    assert (progress.done_bytes, progress.done_files, progress.failed_files) == (28, 2, 1)


def test_a_callback_taking_the_extra_counts_gets_failed_and_started_files() -> None:
    calls: list[tuple[int, ...]] = []

    def show(
        done: int,
        total: int,
        files: int,
        all_files: int,
        *,
        failed_files: int = 0,
        started_files: int = 0,
    ) -> None:
        calls.append((done, total, files, all_files, failed_files, started_files))

    progress = FolderProgress(show, 10, 3)
    progress.start()
    first = progress.file()
    first(4, 4)
    first.finish(success=True)
    second = progress.file()
    second.finish(success=False)
    assert calls == [
        (0, 10, 0, 3, 0, 0),
        (0, 10, 0, 3, 0, 1),
        (4, 10, 0, 3, 0, 1),
        (4, 10, 1, 3, 0, 1),
        (4, 10, 1, 3, 0, 2),
        (4, 10, 1, 3, 1, 2),
    ]
    assert FolderProgress(print, 1, 1)._extra is False  # a builtin: the four numbers only


def test_a_restart_counts_again_only_past_its_mark() -> None:
    progress = FolderProgress(None, 10, 1)
    tracker = progress.file()
    tracker(7, 10)
    tracker(0, 10)  # the transfer starts over
    assert (tracker.done, progress.done_bytes) == (7, 7)
    tracker(8, 10)
    assert progress.done_bytes == 8
    tracker(10, None)
    tracker.finish(success=True)
    assert (progress.done_bytes, progress.done_files) == (10, 1)


def test_other_threads_report_at_the_owners_flush() -> None:
    seen: list[tuple[int, int, int, int]] = []
    progress = FolderProgress(lambda *numbers: seen.append(numbers), 8 * 1000, 8)
    progress.start()

    def run() -> None:
        tracker = progress.file()
        for done in range(1, 1001):
            tracker(done, 1000)
        tracker.finish(success=True)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [(0, 8000, 0, 8)]  # nothing from the workers' threads
    progress.flush()
    progress.flush()  # unchanged: not reported again
    assert seen == [(0, 8000, 0, 8), (8000, 8000, 8, 8)]
    assert (progress.done_bytes, progress.done_files) == (8000, 8)


def test_an_aborted_folder_transfer_stops_its_files() -> None:
    progress = FolderProgress(None, 10, 2)
    tracker = progress.file()
    tracker(5, 10)
    progress.abort()
    with pytest.raises(Aborted):
        tracker(6, 10)


# --------------------------------------------------------------------------- the one walk


def listed(*paths: str, token: str | None = None, success: bool = True) -> Any:
    from agentbay._models import ContextFileListResult

    entries = [
        ContextFileEntry(
            "", "", file_path=p.rstrip("/"), file_type="folder" if p.endswith("/") else "file"
        )
        for p in paths
    ]
    return ContextFileListResult(
        "req-1", success=success, entries=entries, next_token=token, error_message="no"
    )


def test_the_walk_asks_for_a_folders_next_page_before_any_other_folder() -> None:
    walk = _folders.RemoteWalk("/d")
    assert walk.root == "/d/" and walk.visit(walk.root) and not walk.visit("/d/")
    assert walk.request() == ("/d/", None) and walk.request() is None
    for entry in walk.take("/d/", listed("/d/a/", "/d/b/", "/d/f", token="t1")):
        key = _folders.below(entry.file_path, "/d/")
        if entry.file_type == "folder" and key:
            walk.visit(key)
    assert not walk.last("/d/") and not walk.finished
    assert [walk.request(), walk.request(), walk.request()] == [
        ("/d/", "t1"),
        ("/d/a/", None),
        ("/d/b/", None),
    ]
    assert walk.outstanding == 3


def test_the_walk_refuses_a_repeated_token_and_a_failed_page() -> None:
    walk = _folders.RemoteWalk("/")
    walk.visit("/")
    walk.request()
    walk.take("/", listed(token="t"))
    walk.request()
    with pytest.raises(AgentBayError, match="repeated a page") as caught:
        walk.take("/", listed(token="t"))
    assert caught.value.code == "SDK.RepeatedPage" and walk.finished
    walk.visit("/x/")
    walk.request()
    with pytest.raises(AgentBayError, match=r"Failed to list files: no"):
        walk.take("/x/", listed(success=False))
    assert walk.last("/x/") and walk.finished


@pytest.mark.parametrize(
    ("path", "folder", "key"),
    [
        ("/d/a", "/d/", "/d/a/"),
        ("/d//a/", "/d/", "/d/a/"),
        ("/d", "/d/", None),
        ("/x", "/d/", None),
        ("/d/../x", "/d/", None),
        ("/a", "/", "/a/"),
    ],
)
def test_below_is_strictly_below(path: str, folder: str, key: str | None) -> None:
    assert _folders.below(path, folder) == key


def test_classify_sorts_files_folders_and_problems() -> None:
    def entry(path: str, kind: str | None) -> ContextFileEntry:
        return ContextFileEntry("", "", file_path=path, file_type=kind, size=3)

    assert _folders.classify("/d/", entry("/d/a/b.txt", "file")) == (
        "file",
        "a/b.txt",
        _folders.RemoteFile(3, None),
    )
    assert _folders.classify("/d/", entry("/d/a", "Folder")) == ("folder", "a", None)
    assert _folders.classify("/d/", entry("/e/x", "file"))[0] == "problem"
    assert _folders.classify("/d/", entry("/d/x", "link"))[2] == "Unknown file type 'link'"


def test_scan_folder_reads_one_folder_only(tmp_path: Path) -> None:
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "a.txt").write_bytes(b"abc")
    (tmp_path / "sub" / "deeper" / "no.txt").write_bytes(b"")
    scan = _folders.scan_folder(str(tmp_path), "sub")
    assert scan is not None
    assert list(scan.files) == ["sub/a.txt"] and scan.files["sub/a.txt"][0] == 3
    assert scan.folders == ["sub/deeper"] and scan.problems == {} and scan.size == 3
    assert _folders.scan_folder(str(tmp_path), "missing") is None


def test_scan_records_leave_the_garbage_collector(tmp_path: Path) -> None:
    """A scanned file is a plain tuple of numbers, which a collection stops tracking (a named
    tuple stays tracked): a folder of many files does not lengthen every full collection."""
    for name in ("a", "b"):
        (tmp_path / name).write_bytes(b"xy")
    scan = _folders.scan_folder(str(tmp_path), "")
    assert scan is not None and scan.size == 4
    gc.collect()
    assert not any(gc.is_tracked(record) for record in scan.files.values())
    assert gc.is_tracked(_folders.LocalFile(2, 0))  # what a named record would cost
    # the plans read plain records and named ones alike
    plain = _folders.plan_upload(scan.files, {}, only_changed=True, delete_extra=False)
    named = {path: _folders.LocalFile(*record) for path, record in scan.files.items()}
    assert plain == _folders.plan_upload(named, {}, only_changed=True, delete_extra=False)
    assert plain.transfer == ["a", "b"] and plain.total_bytes == 4


def test_progress_reports_discovery_to_a_callback_that_takes_it() -> None:
    calls: list[tuple[Any, ...]] = []

    def full(*numbers: int, phase: str, found_files: int, found_bytes: int, **more: int) -> None:
        calls.append((*numbers, phase, found_files, found_bytes))

    plain: list[tuple[int, ...]] = []
    for callback in (full, lambda *numbers: plain.append(numbers)):
        progress = _folders.FolderProgress(callback, phase="walking")
        progress.start()
        progress.found(3, 30)
        progress.enter("listing")
        progress.grow(2, 20)
        progress.enter("walking")  # never back
        progress.enter("transferring")
    assert calls == [
        (0, 0, 0, 0, "walking", 0, 0),
        (0, 0, 0, 0, "walking", 3, 30),
        (0, 0, 0, 0, "listing", 3, 30),
        (0, 20, 0, 2, "listing", 3, 30),
        (0, 20, 0, 2, "transferring", 3, 30),
    ]
    assert plain == [(0, 0, 0, 0), (0, 20, 0, 2)]


@given(st.lists(st.text(max_size=3), max_size=60), st.integers(min_value=1, max_value=8))
def test_sorted_in_steps_is_sorted(items: list[str], step: int) -> None:
    """The sort made of small sorts and a merge (so a worker thread lets the loop run) gives
    what ``sorted`` gives, whatever the step."""
    original = _folders.plan.SORT_STEP
    _folders.plan.SORT_STEP = step
    try:
        assert _folders.sorted_in_steps(iter(items)) == sorted(items)
    finally:
        _folders.plan.SORT_STEP = original


def test_sorted_in_steps_past_one_step() -> None:
    items = [f"f{(i * 7919) % 5000:05d}" for i in range(5000)]  # > SORT_STEP, shuffled
    assert _folders.sorted_in_steps(items) == sorted(items)
    assert _folders.sorted_in_steps([(2, "b"), (1, "a")]) == [(1, "a"), (2, "b")]


_NAMES = st.sampled_from(["", ".", "..", "a", "b", "a b", "ü"])


@given(st.lists(_NAMES, max_size=4), st.lists(_NAMES, max_size=5), st.booleans())
def test_relative_remote_quick_path_agrees(root: list[str], below: list[str], rooted: bool) -> None:
    """The quick path of ``relative_remote`` (a path that starts with the folder, then plain
    names) gives what the names, compared one by one, give: the same path or the same error."""
    folder = ("/" if rooted else "") + "/".join(root)
    path = "/" + "/".join(root + below)

    def by_names() -> str:
        names, top = _folders.paths.segments(path), _folders.paths.segments(folder)
        if len(names) <= len(top) or names[: len(top)] != top:
            raise _folders.UnsafePathError("not below")
        return "/".join(names[len(top) :])

    try:
        expected: str | type[Exception] = by_names()
    except _folders.UnsafePathError:
        expected = _folders.UnsafePathError
    try:
        got: str | type[Exception] = _folders.relative_remote(folder, path)
    except _folders.UnsafePathError:
        got = _folders.UnsafePathError
    assert got == expected


def test_parse_gmt_answers_again_from_its_cache() -> None:
    first = _folders.parse_gmt("2025-05-29T12:00:00Z")
    assert first == _folders.parse_gmt("2025-05-29T12:00:00Z") == 1748520000.0
    assert _folders.parse_gmt(None) is None and _folders.parse_gmt("soon") is None
