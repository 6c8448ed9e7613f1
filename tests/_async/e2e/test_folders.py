"""upload_folder and download_folder against the live emulator (faults included) and a hostile
fake service: round trips, incremental runs, deletions, dry runs, retries, resumes, safety."""

from __future__ import annotations

import io
import itertools
import json
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from agentbay import AgentBayError, AsyncAgentBay, Config, FolderTransferResult, _local
from agentbay._async._io import sleep
from agentbay._folders import parse_gmt
from agentbay_emulator import running
from tests.clocked_emulator import T0, SetClock, clocked_emulator
from tests.hostile import Request, reply, serving

TREE = {
    "top.txt": b"top",
    "empty.txt": b"",
    "a/empty-too": b"",
    "a/b/sibling.txt": b"s" * 1000,
    "a/b/c/deep.bin": bytes(range(256)) * 800,
    "with space/na\u00efve \u00fcn\u00efcode \u6587\u4ef6.txt": "h\u00e9llo".encode(),
    "big/three-chunks.bin": os.urandom(2 * 1024 * 1024 + 5),
}


LISTING = "DescribeContextFiles"


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for relative, data in files.items():
        path = root.joinpath(*relative.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


def remote(*relatives: str, folder: str = "/data") -> list[str]:
    return sorted(f"{folder}/{relative}" for relative in relatives)


def count_actions(monkeypatch: pytest.MonkeyPatch, agent_bay: AsyncAgentBay) -> list[str]:
    """The actions the client sends from now on, in order."""
    actions: list[str] = []
    channel = agent_bay._channel
    original = channel.call

    async def counting(action: str, params: Any, deadline: Any = None) -> Any:
        actions.append(action)
        return await original(action, params, deadline)

    monkeypatch.setattr(channel, "call", counting)
    return actions


def record_transfers(
    monkeypatch: pytest.MonkeyPatch, agent_bay: AsyncAgentBay
) -> list[tuple[str, dict[str, str]]]:
    """The (method, headers) of every presigned transfer the client sends from now on."""
    seen: list[tuple[str, dict[str, str]]] = []
    transport = agent_bay._channel._transport
    original = transport.open

    async def recording(method: str, url: str, headers: Any, body: Any, timeout: float) -> Any:
        if method in ("GET", "PUT"):
            seen.append((method, dict(headers)))
        return await original(method, url, headers, body, timeout)

    monkeypatch.setattr(transport, "open", recording)
    return seen


@pytest.fixture
async def context_id(agent_bay: AsyncAgentBay) -> str:
    return (await agent_bay.context.create("folders")).context_id


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "tree", TREE)


async def test_a_tree_goes_up_and_comes_back_byte_identical(
    agent_bay: AsyncAgentBay, context_id: str, tree: Path, tmp_path: Path
) -> None:
    up = await agent_bay.context.upload_folder(context_id, tree, "/data")
    assert up == FolderTransferResult(
        success=True, transferred=remote(*TREE), bytes_transferred=sum(map(len, TREE.values()))
    )
    listed = [
        e.file_path async for e in agent_bay.context.iter_files(context_id, "/", recursive=True)
    ]
    assert sorted(listed) == remote(*TREE)

    down = await agent_bay.context.download_folder(context_id, "/data/", str(tmp_path / "copy"))
    assert (down.success, down.transferred, down.failed) == (True, remote(*TREE), {})
    assert down.bytes_transferred == up.bytes_transferred
    assert read_tree(tmp_path / "copy") == TREE


async def test_a_second_run_over_an_unchanged_tree_only_lists(
    agent_bay: AsyncAgentBay,
    context_id: str,
    tree: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await agent_bay.context.upload_folder(context_id, tree, "/data")
    await agent_bay.context.download_folder(context_id, "/data", tmp_path / "copy")
    actions = count_actions(monkeypatch, agent_bay)

    up = await agent_bay.context.upload_folder(context_id, tree, "/data")
    down = await agent_bay.context.download_folder(context_id, "/data", tmp_path / "copy")

    for again in (up, down):
        assert (again.success, again.transferred, again.bytes_transferred) == (True, [], 0)
        assert again.skipped == remote(*TREE)
    folders = [
        "/data/",
        "/data/a/",
        "/data/a/b/",
        "/data/a/b/c/",
        "/data/big/",
        "/data/with space/",
    ]
    assert actions == [LISTING] * len(folders) * 2  # one page of each folder, each way


async def test_changed_added_and_removed_files_going_up(
    agent_bay: AsyncAgentBay, context_id: str, tree: Path
) -> None:
    await agent_bay.context.upload_folder(context_id, tree, "/data")
    (tree / "top.txt").write_bytes(b"top, longer now")
    (tree / "a" / "new.txt").write_bytes(b"new")
    (tree / "a" / "b" / "sibling.txt").unlink()

    kept = await agent_bay.context.upload_folder(context_id, tree, "/data")
    assert (kept.transferred, kept.deleted) == (remote("a/new.txt", "top.txt"), [])
    assert "/data/a/b/sibling.txt" not in kept.skipped
    assert await remote_tree(agent_bay, context_id) == remote(*TREE, "a/new.txt")

    pruned = await agent_bay.context.upload_folder(context_id, tree, "/data", delete_extra=True)
    assert (pruned.transferred, pruned.deleted) == ([], remote("a/b/sibling.txt"))
    assert pruned.success
    expected = sorted(set(remote(*TREE, "a/new.txt")) - {"/data/a/b/sibling.txt"})
    assert await remote_tree(agent_bay, context_id) == expected


async def remote_tree(agent_bay: AsyncAgentBay, context_id: str) -> list[str]:
    return sorted(
        [e.file_path async for e in agent_bay.context.iter_files(context_id, "/", recursive=True)]
    )


async def test_changed_added_and_removed_files_coming_down(
    agent_bay: AsyncAgentBay, context_id: str, tree: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    await agent_bay.context.upload_folder(context_id, tree, "/data")
    await agent_bay.context.download_folder(context_id, "/data", copy)
    await agent_bay.context.upload_file(context_id, "/data/top.txt", b"changed remotely")
    await agent_bay.context.upload_file(context_id, "/data/a/added.txt", b"added")
    await agent_bay.context.delete_file(context_id, "/data/empty.txt")
    (copy / "local-only.txt").write_bytes(b"mine")

    kept = await agent_bay.context.download_folder(context_id, "/data", copy)
    assert (kept.transferred, kept.deleted) == (remote("a/added.txt", "top.txt"), [])
    assert (copy / "top.txt").read_bytes() == b"changed remotely"
    assert (copy / "empty.txt").exists() and (copy / "local-only.txt").exists()

    pruned = await agent_bay.context.download_folder(context_id, "/data", copy, delete_extra=True)
    assert pruned.transferred == []
    assert pruned.deleted == remote("empty.txt", "local-only.txt")  # named by remote path
    expected = {**TREE, "top.txt": b"changed remotely", "a/added.txt": b"added"}
    del expected["empty.txt"]
    assert read_tree(copy) == expected


async def test_delete_extra_from_an_empty_or_missing_source_deletes_nothing(
    agent_bay: AsyncAgentBay, context_id: str, tree: Path, tmp_path: Path
) -> None:
    await agent_bay.context.upload_folder(context_id, tree, "/data")
    empty = tmp_path / "empty"
    empty.mkdir()
    up = await agent_bay.context.upload_folder(context_id, empty, "/data", delete_extra=True)
    assert (up.success, up.deleted, list(up.failed)) == (False, [], ["/data"])
    assert up.failed["/data"].startswith("the source folder is empty or does not exist: 7 files")
    assert await remote_tree(agent_bay, context_id) == remote(*TREE)

    copy = write_tree(tmp_path / "copy", {"mine.txt": b"mine", "sub/.hidden": b"h"})
    for dry_run in (True, False):  # /dat: a typo for /data, which does not exist
        down = await agent_bay.context.download_folder(
            context_id, "/dat", copy, delete_extra=True, dry_run=dry_run
        )
        assert (down.success, down.deleted, list(down.failed)) == (False, [], ["/dat"])
        assert "2 files not deleted (allow_empty_source=True deletes them)" in down.failed["/dat"]
    assert read_tree(copy) == {"mine.txt": b"mine", "sub/.hidden": b"h"}

    meant = await agent_bay.context.download_folder(
        context_id, "/dat", copy, delete_extra=True, allow_empty_source=True
    )
    assert meant.success and meant.deleted == ["/dat/mine.txt", "/dat/sub/.hidden"]
    assert read_tree(copy) == {}
    meant = await agent_bay.context.upload_folder(
        context_id, empty, "/data", delete_extra=True, allow_empty_source=True
    )
    assert meant.success and meant.deleted == remote(*TREE)


async def test_an_empty_source_without_delete_extra_is_no_failure(
    agent_bay: AsyncAgentBay, context_id: str, tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    up = await agent_bay.context.upload_folder(context_id, tmp_path / "empty", "/data")
    down = await agent_bay.context.download_folder(context_id, "/none", tmp_path / "empty")
    assert up.success and down.success
    nothing = await agent_bay.context.upload_folder(
        context_id, tmp_path / "empty", "/data", delete_extra=True
    )
    assert nothing.success  # nothing to delete, nothing refused


async def test_only_changed_false_moves_everything(
    agent_bay: AsyncAgentBay, context_id: str, tree: Path
) -> None:
    await agent_bay.context.upload_folder(context_id, tree, "/data")
    again = await agent_bay.context.upload_folder(context_id, tree, "/data", only_changed=False)
    assert (again.transferred, again.skipped) == (remote(*TREE), [])


async def test_a_dry_run_reports_and_changes_nothing(
    agent_bay: AsyncAgentBay,
    context_id: str,
    tree: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await agent_bay.context.upload_file(context_id, "/data/extra.txt", b"extra")
    actions = count_actions(monkeypatch, agent_bay)

    up = await agent_bay.context.upload_folder(
        context_id, tree, "/data", delete_extra=True, dry_run=True
    )
    assert (up.transferred, up.deleted) == (remote(*TREE), remote("extra.txt"))
    assert up.bytes_transferred == sum(map(len, TREE.values()))
    assert await remote_tree(agent_bay, context_id) == ["/data/extra.txt"]

    fresh = tmp_path / "not-yet"
    down = await agent_bay.context.download_folder(context_id, "/data", fresh, dry_run=True)
    assert (down.success, down.transferred) == (True, remote("extra.txt"))
    assert not fresh.exists()
    existing = write_tree(tmp_path / "existing", {"mine.txt": b"mine"})
    pruning = await agent_bay.context.download_folder(
        context_id, "/data", existing, delete_extra=True, dry_run=True
    )
    assert pruning.deleted == remote("mine.txt")
    assert read_tree(existing) == {"mine.txt": b"mine"}
    assert set(actions) == {LISTING}


class FolderRecorder:
    """A folder progress callback that keeps every report and the threads it ran in."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, ...]] = []
        self.threads: set[int] = set()

    def __call__(self, *numbers: int) -> None:
        self.threads.add(threading.get_ident())
        self.calls.append(numbers)


@pytest.mark.parametrize("direction", ["up", "down"])
async def test_progress_adds_up_in_the_callers_thread(
    agent_bay: AsyncAgentBay, context_id: str, tree: Path, tmp_path: Path, direction: str
) -> None:
    progress = FolderRecorder()
    if direction == "down":
        await agent_bay.context.upload_folder(context_id, tree, "/data")
        result = await agent_bay.context.download_folder(
            context_id, "/data", tmp_path / "copy", progress=progress, concurrency=3
        )
    else:
        result = await agent_bay.context.upload_folder(
            context_id, tree, "/data", progress=progress, concurrency=3
        )
    total, files = sum(map(len, TREE.values())), len(TREE)
    assert progress.calls[0] == (0, 0, 0, 0)  # at once, before anything is known
    assert progress.calls[-1] == (total, total, files, files)
    assert result.bytes_transferred == total
    for index in range(4):  # done and totals alike: never back
        column = [numbers[index] for numbers in progress.calls]
        assert column == sorted(column)
    assert max(numbers[0] for numbers in progress.calls) == total
    assert progress.threads == {threading.get_ident()}


@pytest.mark.parametrize("direction", ["up", "down"])
async def test_an_exception_from_progress_stops_the_transfer_and_propagates(
    agent_bay: AsyncAgentBay, context_id: str, tree: Path, tmp_path: Path, direction: str
) -> None:
    def stop(done_bytes: int, *_: int) -> None:
        if done_bytes > 0:
            raise KeyError("stop here")

    copy = tmp_path / "copy"
    with pytest.raises(KeyError, match="stop here"):
        if direction == "up":
            await agent_bay.context.upload_folder(context_id, tree, "/data", progress=stop)
        else:
            await agent_bay.context.upload_folder(context_id, tree, "/data")
            await agent_bay.context.download_folder(context_id, "/data", copy, progress=stop)
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".part")]


async def test_a_file_still_opening_when_the_transfer_stops_leaves_no_temporary_file(
    agent_bay: AsyncAgentBay, context_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file but the first opens its temporary file only after the progress callback has
    raised, while the transfer is being stopped: none may be left behind."""
    tree = write_tree(tmp_path / "tree", {f"f{i}.txt": b"x" * 1000 for i in range(6)})
    await agent_bay.context.upload_folder(context_id, tree, "/data")
    stopping, openings = threading.Event(), []
    real_open = _local.open_destination

    def late_open(destination: Any) -> _local.OpenedDestination:
        done = threading.Event()
        openings.append(done)
        try:
            if len(openings) > 1:
                stopping.wait(5)
                time.sleep(0.05)
            return real_open(destination)
        finally:
            done.set()

    def stop(done_bytes: int, *_: int) -> None:
        if done_bytes > 0:
            stopping.set()
            raise KeyError("stop here")

    monkeypatch.setattr(_local, "open_destination", late_open)
    with pytest.raises(KeyError, match="stop here"):
        await agent_bay.context.download_folder(
            context_id, "/data", tmp_path / "copy", progress=stop, concurrency=4
        )
    assert len(openings) > 1
    assert all(done.wait(5) for done in openings)
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".part")]


def count_in_flight(
    agent_bay: AsyncAgentBay, method: str, monkeypatch: pytest.MonkeyPatch, pause: float = 0.0
) -> list[int]:
    """Wrap ``agent_bay.context.<method>`` to count the calls running at once (after ``pause``
    seconds in each, so that every call allowed to start has started); returns ``[peak]``."""
    in_flight, peak = [0], [0]
    lock = threading.Lock()
    original = getattr(agent_bay.context, method)

    async def counting(*args: Any, **kwargs: Any) -> Any:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        try:
            await sleep(pause)
            return await original(*args, **kwargs)
        finally:
            with lock:
                in_flight[0] -= 1

    monkeypatch.setattr(agent_bay.context, method, counting)
    return peak


@pytest.mark.parametrize("direction", ["upload", "download"])
async def test_sixteen_files_are_in_flight_by_default(
    agent_bay: AsyncAgentBay,
    context_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    direction: str,
) -> None:
    tree = write_tree(tmp_path / "many", {f"f{i:02d}.txt": b"x" for i in range(20)})
    if direction == "download":
        assert (await agent_bay.context.upload_folder(context_id, tree, "/many")).success
    peak = count_in_flight(agent_bay, f"{direction}_file", monkeypatch, pause=0.3)
    if direction == "upload":
        result = await agent_bay.context.upload_folder(context_id, tree, "/many")
    else:
        result = await agent_bay.context.download_folder(context_id, "/many", tmp_path / "copy")
    assert result.success and len(result.transferred) == 20
    assert peak[0] == 16


async def test_at_most_concurrency_files_are_in_flight(
    agent_bay: AsyncAgentBay, context_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = write_tree(tmp_path / "many", {f"f{i:02d}.txt": b"x" * i for i in range(12)})
    peak = count_in_flight(agent_bay, "upload_file", monkeypatch)
    result = await agent_bay.context.upload_folder(context_id, tree, "/many", concurrency=3)
    assert result.success and len(result.transferred) == 12
    assert 2 <= peak[0] <= 3


async def test_one_unreadable_file_fails_alone(
    agent_bay: AsyncAgentBay, context_id: str, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentbay._async import _folder_transfer

    real_scan = _folder_transfer.scan_folder

    def scan_with_a_ghost(root: str, relative: str) -> Any:
        scan = real_scan(root, relative)
        if scan is not None and not relative:
            scan.files["ghost.txt"] = scan.files["top.txt"]  # listed, then gone before read
        return scan

    monkeypatch.setattr(_folder_transfer, "scan_folder", scan_with_a_ghost)
    counts: list[tuple[int, int, int]] = []

    def progress(
        done: int, total: int, files: int, all_files: int, *, failed_files: int, started_files: int
    ) -> None:
        counts.append((files, failed_files, all_files))

    result = await agent_bay.context.upload_folder(context_id, tree, "/data", progress=progress)
    assert counts[-1] == (len(TREE), 1, len(TREE) + 1)  # the failed file is not a done one
    assert result.success is False
    assert list(result.failed) == ["/data/ghost.txt"]
    assert "No such file" in result.failed["/data/ghost.txt"]
    assert result.error_message.startswith("/data/ghost.txt: Cannot read ")
    assert result.transferred == remote(*TREE)


async def test_bad_arguments_raise_before_sending(
    agent_bay: AsyncAgentBay, tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    actions = count_actions(monkeypatch, agent_bay)
    up, down = agent_bay.context.upload_folder, agent_bay.context.download_folder
    bad: list[tuple[Any, str]] = [
        (lambda: up("c", tree, "/d", concurrency=0), "concurrency must be >= 1"),
        (lambda: up("c", tmp_path / "missing", "/d"), "Cannot read folder"),
        (lambda: up("", tree, "/d"), "context_id must not be empty"),
        (lambda: up("c", tree, "/../x"), "'..'"),
        (lambda: up("c", 42, "/d"), "local_folder must be a path, got int"),
        (lambda: down("c", "/d", tree, progress="x"), "progress must be callable"),
        (lambda: down("c", "/d", tree / "top.txt"), "Cannot create folder"),
    ]
    for call, message in bad:
        with pytest.raises(AgentBayError, match=message):
            await call()
    assert actions == []


async def test_a_context_that_cannot_be_listed_fails_the_whole_transfer(
    agent_bay: AsyncAgentBay, tree: Path, tmp_path: Path
) -> None:
    up = await agent_bay.context.upload_folder("ctx-missing", tree, "/data")
    down = await agent_bay.context.download_folder("ctx-missing", "/data", tmp_path / "out")
    for result in (up, down):
        assert (result.success, result.transferred) == (False, [])
        assert list(result.failed) == ["/data/"]
        assert "InvalidContext.NotFound" in result.failed["/data/"]
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fault", ["transfer_cut=0.5", "transfer_error=0.5"])
async def test_transient_failures_of_every_file_still_move_the_whole_tree(
    fault: str, tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running(faults=f"{fault},seed=3") as url:
        cfg = Config(endpoint=url, timeout_ms=10_000, max_retries=10)
        async with AsyncAgentBay("sk-faults-0123456789", cfg) as agent_bay:
            context_id = (await agent_bay.context.create("faulty")).context_id
            actions = count_actions(monkeypatch, agent_bay)
            # One file at a time: the seeded faults then fall on the same attempts every run.
            going, coming = FolderRecorder(), FolderRecorder()
            up = await agent_bay.context.upload_folder(
                context_id, tree, "/data", concurrency=1, progress=going
            )
            down = await agent_bay.context.download_folder(
                context_id, "/data", tmp_path / "copy", concurrency=1, progress=coming
            )
    assert (up.success, down.success) == (True, True), (up.failed, down.failed)
    for recorder in (going, coming):  # retried files never move the numbers back
        for before, after in itertools.pairwise(recorder.calls):
            assert all(a >= b for a, b in zip(after, before, strict=True)), (before, after)
        assert recorder.calls[-1][0] == recorder.calls[-1][1]
    assert read_tree(tmp_path / "copy") == TREE
    # Every attempt asks for a URL of its own: more attempts than files means retries ran.
    assert actions.count("GetContextFileUploadUrl") > len(TREE)
    assert actions.count("GetContextFileDownloadUrl") > len(TREE)


async def test_a_download_cut_short_resumes_with_a_range_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(8 * 1024 * 1024)
    # Under seed 0 the transfers draw: the upload passes, the first GET is cut, the next passes.
    with running(faults="transfer_cut=0.5,seed=0") as url:
        async with AsyncAgentBay(
            "sk-resume-0123456789", Config(endpoint=url, timeout_ms=10_000)
        ) as agent_bay:
            context_id = (await agent_bay.context.create("resume")).context_id
            assert (await agent_bay.context.upload_file(context_id, "/big.bin", data)).success
            transfers = record_transfers(monkeypatch, agent_bay)
            result = await agent_bay.context.download_file(
                context_id, "/big.bin", tmp_path / "big.bin"
            )
    assert (result.success, result.data) == (True, len(data))
    assert (tmp_path / "big.bin").read_bytes() == data
    (first, headers), (second, resumed) = transfers
    assert (first, second) == ("GET", "GET")
    assert "range" not in headers
    offset = int(resumed["range"].removeprefix("bytes=").removesuffix("-"))
    assert 0 < offset <= len(data) // 2
    assert "if-range" in resumed
    assert os.listdir(tmp_path) == ["big.bin"]


HOSTILE_PATHS = [
    "/data/../escape.txt",
    "/etc/passwd",
    "/data/a\\..\\..\\backslash.txt",
    "/data/nul\x00.txt",
    "/data/sub/../../up.txt",
    "/data//",
    "/elsewhere/x.txt",
    "/data/line\nbreak.txt",
]


def entry(path: str, kind: str = "file") -> dict[str, Any]:
    return {"FileId": "f", "FileName": path.rsplit("/", 1)[-1], "FilePath": path,
            "FileType": kind, "Size": 4, "GmtModified": "2025-05-29T12:00:00Z"}  # fmt: skip


class HostileService:
    """Lists hostile paths in /data (and in /data/sub) and serves "safe" for any download."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, conn: socket.socket, request: Request) -> bool:
        if request.method == "GET":
            return reply(conn, 200, b"safe")
        params = dict(parse_qsl(request.body().decode()))
        action = request.headers.get("x-acs-action")
        if action == "GetContextFileDownloadUrl":
            self.asked.append(params["FilePath"])
            url = f"http://{request.headers['host']}/blob?sig=1"
            return reply(conn, 200, {"Success": True, "Data": {"Url": url}, "RequestId": "r"})
        folder = params["ParentFolderPath"].rstrip("/")
        entries = [entry(path) for path in HOSTILE_PATHS] + [entry(f"{folder}/ok.txt")]
        if folder == "/data":
            entries.append(entry("/data/sub", "folder"))
        body = json.dumps({"Success": True, "Data": entries, "RequestId": "r"})
        return reply(conn, 200, body.encode())


@pytest.fixture
def hostile() -> Iterator[tuple[str, HostileService]]:
    service = HostileService()
    with serving(service) as server:
        yield server.url, service


async def test_hostile_listings_are_refused_without_writing_outside(
    hostile: tuple[str, HostileService], tmp_path: Path
) -> None:
    url, service = hostile
    target = tmp_path / "deep" / "out"
    async with AsyncAgentBay(
        "sk-hostile-0123456789", Config(endpoint=url, timeout_ms=5000)
    ) as agent_bay:
        result = await agent_bay.context.download_folder("ctx-1", "/data", target)
    assert result.success is False
    assert result.transferred == ["/data/ok.txt", "/data/sub/ok.txt"]
    assert sorted(service.asked) == ["/data/ok.txt", "/data/sub/ok.txt"]
    assert set(result.failed) == set(HOSTILE_PATHS)
    assert all(message.startswith("Refused ") for message in result.failed.values())
    assert read_tree(tmp_path) == {"deep/out/ok.txt": b"safe", "deep/out/sub/ok.txt": b"safe"}


CHAIN = {"first.txt": b"1", **{"/".join("abcde"[: i + 1]) + f"/f{i}.txt": b"x" for i in range(5)}}


"""A file at the top, then a chain of five folders (a, a/b, ... a/b/c/d/e), a file in each."""


def log_listing(
    agent_bay: AsyncAgentBay, monkeypatch: pytest.MonkeyPatch, events: list[tuple[Any, ...]]
) -> None:
    """Append ``("listed", folder)`` to ``events`` as each page of a listing comes back (a
    little slow, as a service far away)."""
    original = agent_bay.context.list_files

    async def listing(context_id: str, folder: str, *args: Any, **kwargs: Any) -> Any:
        await sleep(0.02)
        page = await original(context_id, folder, *args, **kwargs)
        events.append(("listed", folder))
        return page

    monkeypatch.setattr(agent_bay.context, "list_files", listing)


async def test_progress_comes_before_the_listing_ends_and_its_totals_only_grow(
    agent_bay: AsyncAgentBay, context_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        await agent_bay.context.upload_folder(context_id, write_tree(tmp_path / "t", CHAIN), "/c")
    ).success
    events: list[tuple[Any, ...]] = []
    log_listing(agent_bay, monkeypatch, events)

    def progress(
        done: int,
        total: int,
        files: int,
        all_files: int,
        *,
        phase: str,
        found_files: int,
        found_bytes: int,
    ) -> None:
        events.append(("progress", phase, found_files, found_bytes, total, all_files))

    result = await agent_bay.context.download_folder(
        context_id, "/c", tmp_path / "copy", progress=progress
    )
    assert result.success and len(result.transferred) == len(CHAIN)
    reports = [event for event in events if event[0] == "progress"]
    assert reports[0] == ("progress", "listing", 0, 0, 0, 0)  # at once, nothing known yet
    last_listed = max(i for i, event in enumerate(events) if event[0] == "listed")
    found_early = [e for e in events[:last_listed] if e[0] == "progress" and e[2] > 0]
    assert found_early  # files found were reported while folders were still being listed
    assert reports[-1][1:] == ("transferring", *[len(CHAIN)] * 4)  # found files, bytes, totals
    for column in range(2, 6):  # found and totals: never back
        numbers = [report[column] for report in reports]
        assert numbers == sorted(numbers)
    phases = [report[1] for report in reports]
    assert phases == sorted(phases, key=["listing", "transferring"].index)


async def test_an_upload_reports_walking_first(
    agent_bay: AsyncAgentBay, context_id: str, tree: Path
) -> None:
    phases: list[str] = []

    def progress(*numbers: int, **found: Any) -> None:
        phases.append(found["phase"])

    assert (
        await agent_bay.context.upload_folder(context_id, tree, "/data", progress=progress)
    ).success
    assert phases[0] == "walking" and phases[-1] == "transferring"


async def test_a_transfer_starts_before_the_listing_has_finished(
    agent_bay: AsyncAgentBay, context_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        await agent_bay.context.upload_folder(context_id, write_tree(tmp_path / "t", CHAIN), "/c")
    ).success
    events: list[tuple[Any, ...]] = []
    log_listing(agent_bay, monkeypatch, events)
    original = agent_bay.context.download_file

    async def download(context_id: str, path: str, *args: Any, **kwargs: Any) -> Any:
        events.append(("download", path))
        return await original(context_id, path, *args, **kwargs)

    monkeypatch.setattr(agent_bay.context, "download_file", download)
    result = await agent_bay.context.download_folder(context_id, "/c", tmp_path / "copy")
    assert result.success and read_tree(tmp_path / "copy") == CHAIN
    first = events.index(("download", "/c/first.txt"))
    assert first < events.index(("listed", "/c/a/b/c/d/e/"))  # the deepest folder, listed last


async def test_a_folder_is_scanned_only_once_its_listing_has_ended(
    agent_bay: AsyncAgentBay, context_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scans are quick and listings slow: a folder scanned before its listing ends would wait
    in memory, and in a deep tree the whole frontier would. So each folder's scan follows its
    listing, in an unchanged upload as in a download that compares."""
    from agentbay._async import _folder_transfer

    source = write_tree(tmp_path / "t", CHAIN)
    assert (await agent_bay.context.upload_folder(context_id, source, "/c")).success
    events: list[tuple[Any, ...]] = []
    log_listing(agent_bay, monkeypatch, events)
    real = _folder_transfer.scan_folder

    def scanning(root: str, relative: str) -> Any:
        events.append(
            ("scanned", "/c/" + "".join(name + "/" for name in relative.split("/") if name))
        )
        return real(root, relative)

    monkeypatch.setattr(_folder_transfer, "scan_folder", scanning)
    result = await agent_bay.context.upload_folder(context_id, source, "/c")
    assert result.success and len(result.skipped) == len(CHAIN)
    scanned = [event[1] for event in events if event[0] == "scanned"]
    assert len(scanned) == 6  # the top and the chain of five
    for folder in scanned:
        assert events.index(("listed", folder)) < events.index(("scanned", folder))


@pytest.mark.parametrize("direction", ["up", "down"])
async def test_a_tree_of_many_small_folders_is_listed_concurrently(
    agent_bay: AsyncAgentBay,
    context_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    direction: str,
) -> None:
    files = {f"d{i:02d}/f.txt": b"x" for i in range(12)}
    source = write_tree(tmp_path / "t", files)
    assert (await agent_bay.context.upload_folder(context_id, source, "/many")).success
    peak = count_in_flight(agent_bay, "list_files", monkeypatch, pause=0.05)
    if direction == "up":
        result = await agent_bay.context.upload_folder(context_id, source, "/many", concurrency=4)
        assert result.success and len(result.skipped) == 12
    else:
        result = await agent_bay.context.download_folder(
            context_id, "/many", tmp_path / "copy", concurrency=4
        )
        assert result.success and len(result.transferred) == 12
    assert 2 <= peak[0] <= 4  # sibling folders at once, within the concurrency


async def test_iter_files_lists_sibling_folders_concurrently(
    agent_bay: AsyncAgentBay, context_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {f"d{i:02d}/f.txt": b"x" for i in range(12)}
    assert (
        await agent_bay.context.upload_folder(context_id, write_tree(tmp_path / "t", files), "/m")
    ).success
    peak = count_in_flight(agent_bay, "list_files", monkeypatch, pause=0.05)
    found = [
        e.file_path async for e in agent_bay.context.iter_files(context_id, "/m", recursive=True)
    ]
    assert sorted(found) == remote(*files, folder="/m")
    assert peak[0] >= 2


@pytest.mark.timeout(30)
async def test_the_loop_only_handles_pages_and_plans_off_it(
    agent_bay: AsyncAgentBay, context_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What keeps the event loop free at any size: folders are read a page (at most 100
    entries) at a time, and scanning and planning a folder run through ``run_blocking`` (a
    worker thread in the async flavour)."""
    from agentbay._async import _folder_transfer

    files = {f"f{i:03d}.txt": b"x" for i in range(150)}
    source = write_tree(tmp_path / "t", files)
    assert (await agent_bay.context.upload_folder(context_id, source, "/flat")).success
    blocking: list[str] = []
    real = _folder_transfer.run_blocking

    async def recording(fn: Any, *args: Any) -> Any:
        blocking.append(getattr(fn, "__name__", ""))
        return await real(fn, *args)

    monkeypatch.setattr(_folder_transfer, "run_blocking", recording)
    sizes: list[int] = []
    original = agent_bay.context.list_files

    async def listing(*args: Any, **kwargs: Any) -> Any:
        page = await original(*args, **kwargs)
        sizes.append(len(page.entries))
        return page

    monkeypatch.setattr(agent_bay.context, "list_files", listing)
    result = await agent_bay.context.upload_folder(context_id, source, "/flat")
    assert result.success and len(result.skipped) == 150
    assert sizes == [100, 50]  # pages of 100, the service's most
    assert {"_check_root", "scan_folder", "_plan_upload"} <= set(blocking)
    result = await agent_bay.context.download_folder(context_id, "/flat", tmp_path / "copy")
    assert result.success and len(result.transferred) == 150
    assert {"scan_folder", "_plan_download", "prepare_download_path"} <= set(blocking)


# ------------------------------------------------------------ was test_folder_times.py


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
