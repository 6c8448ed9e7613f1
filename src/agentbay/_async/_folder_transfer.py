"""Folder transfers of :class:`AsyncContextService`, folder by folder: each folder is read
(its local side scanned, its remote side listed page by page), planned, and its files moved,
while the next folders are read (the rules are in :mod:`agentbay._folders`).

A folder transfer is handed what it uses, as small callables (:class:`Remote`): a page of a
folder's listing, one file's upload, download and deletion; never the service. Each file goes
through ``upload_file`` / ``download_file``, retries included. Every step is a job of one
:class:`Jobs` pool of ``concurrency`` (listing pages, sibling folders at once, through the one
walk :class:`RemoteWalk`; scanning and planning a folder, run through ``run_blocking``, off
the loop; moving and deleting files), so the loop is never held for long, progress is
reported from the start, and memory holds the folders being read and the files in flight,
never the whole tree. Files move as soon as their folder is planned; listing waits while many
planned files wait for a turn.

Example::

    options = Options(concurrency=16, only_changed=True, delete_extra=False, dry_run=False)
    result = await upload_folder(remote, "ctx-1", "photos", "/photos", options, None)
"""

from __future__ import annotations

import collections
import contextlib
import functools
import os
from typing import Protocol

import attrs

from .. import _checks, _local
from .._errors import AgentBayError
from .._folders import (
    FolderProgress,
    FolderProgressCallback,
    RemoteFile,
    RemoteWalk,
    Scan,
    below,
    classify,
    folder_key,
    plan_download,
    plan_upload,
    prepare_download_path,
    remote_path,
    safe_local_path,
    scan_folder,
    sorted_in_steps,
    stamp_download,
    walk_local,
)
from .._models import ContextFileListResult, FolderTransferResult, OperationResult
from ._io import Job, Jobs, run_blocking

LIST_PAGE_SIZE = 100  # entries per DescribeContextFiles page (the service's most)


class _ListPage(Protocol):
    """``list_page(context_id, folder, page_size, token)``: one page of a folder's entries."""

    async def __call__(
        self, context_id: str, folder: str, page_size: int, token: str | None, /
    ) -> ContextFileListResult: ...


class _MoveFile(Protocol):
    """``upload_file`` or ``download_file``: one file, with its progress callback."""

    async def __call__(
        self,
        context_id: str,
        file_path: str,
        local: str,
        /,
        *,
        progress: _local.ProgressCallback | None = None,
    ) -> OperationResult: ...


class _DeleteFile(Protocol):
    """``delete_file(context_id, path)``."""

    async def __call__(self, context_id: str, file_path: str, /) -> OperationResult: ...


@attrs.frozen
class Remote:
    """What a folder transfer uses of the context, as callables the service hands it:
    ``list_page(context_id, folder, page_size, token)`` (one page of a folder's entries),
    ``upload_file``, ``download_file`` and ``delete_file(context_id, path)``."""

    list_page: _ListPage
    upload_file: _MoveFile
    download_file: _MoveFile
    delete_file: _DeleteFile


@attrs.frozen
class Options:
    """The keyword options of a folder transfer, checked."""

    concurrency: int
    only_changed: bool
    delete_extra: bool
    dry_run: bool
    allow_empty_source: bool = False

    @classmethod
    def checked(
        cls,
        concurrency: object,
        only_changed: bool,
        delete_extra: bool,
        dry_run: bool,
        allow_empty_source: bool = False,
    ) -> Options:
        """The options, or :class:`AgentBayError` for a ``concurrency`` that is not an int >= 1."""
        count = _checks.check_positive("concurrency", concurrency)
        return cls(
            count, bool(only_changed), bool(delete_extra), bool(dry_run), bool(allow_empty_source)
        )


EMPTY_SOURCE = (
    "the source folder is empty or does not exist: {count} file{s} not deleted "
    "(allow_empty_source=True deletes them)"
)
"""Why ``delete_extra`` deleted nothing: a mistyped source would otherwise wipe the destination."""


def _local_root(local_folder: object) -> str:
    if not isinstance(local_folder, (str, os.PathLike)):
        raise AgentBayError(f"local_folder must be a path, got {type(local_folder).__name__}")
    return os.fspath(local_folder)


def _remote_root(remote_folder: object) -> str:
    return remote_path(_checks.check_text("remote_folder", remote_folder), "")


def _finished(result: FolderTransferResult) -> FolderTransferResult:
    """``result`` with its lists sorted, and ``success`` and ``error_message`` saying whether
    anything failed."""
    result.transferred = sorted_in_steps(result.transferred)  # a sort holds the GIL: in steps
    result.skipped = sorted_in_steps(result.skipped)
    result.deleted = sorted_in_steps(result.deleted)
    result.failed = dict(sorted_in_steps(result.failed.items()))
    result.success = not result.failed
    if result.failed:
        path, message = next(iter(result.failed.items()))
        more = len(result.failed) - 1
        result.error_message = f"{path}: {message}" + (f" (and {more} more)" if more else "")
    return result


LOOKAHEAD = 4
"""Folders are read further only while fewer than ``LOOKAHEAD * concurrency`` planned files
wait for their turn: memory holds what is in flight, not the tree."""


class _Apply(Protocol):
    """What a job's result does to the transfer, on the loop (the caller's thread)."""

    def __call__(self) -> None: ...


_Record = tuple[int | None, float | None]
"""A remote file's ``(size, modified)``: a plain tuple, which the garbage collector stops
tracking (a named :class:`RemoteFile` stays tracked, and every tracked object lengthens each
full collection, which stops the loop)."""

_Move = tuple[str, int, _Record | None]
"""A file to move: ``(relative, size, remote record or None)``."""


@attrs.define
class _Folder:
    """A folder being read: its local side (a scan) and its remote side (listed pages)."""

    relative: str
    key: str
    scanned: bool = False
    listed: bool = False
    queued: bool = False
    scan: Scan | None = None
    local_failed: bool = False
    listing_failed: bool = False
    remote: dict[str, _Record] = attrs.Factory(dict)
    remote_folders: list[str] = attrs.Factory(list)


@attrs.frozen
class _Planned:
    """A folder's plan: files to move ``(relative, size, remote)``, skipped and refused remote
    paths, relative paths to delete, sub-folders to read ``(relative, list, scan)``, how
    many source files the folder holds, the size of the files to move and, for a dry run,
    their remote paths: all made off the loop, so that the loop only adds them up."""

    transfer: list[_Move]
    skip: list[str]
    refused: dict[str, str]
    delete: list[str]
    children: list[tuple[str, bool, bool]]
    sources: int
    size: int
    named: list[str]


def _parent(relative: str) -> str:
    return relative.rpartition("/")[0]


def _io_message(exc: OSError) -> str:
    return f"Local I/O error: {exc.strerror or exc}"


def _check_root(local_root: str) -> None:
    """:class:`AgentBayError` unless the local folder of an upload is a folder that can be
    read (it is read with the others, once the transfer has begun)."""
    try:
        if not os.path.isdir(local_root):
            os.stat(local_root)  # the reason it is missing, if it is
            raise NotADirectoryError(0, "not a folder")
        os.scandir(local_root).close()
    except OSError as exc:
        raise AgentBayError(f"Cannot read folder {local_root}: {exc.strerror or exc}") from None


class _Transfer:
    """One folder transfer, folder by folder: its state changes only on the loop (in the
    caller's thread), from the results of its jobs."""

    def __init__(
        self,
        remote: Remote,
        context_id: str,
        local_root: str,
        remote_root: str,
        options: Options,
        callback: FolderProgressCallback | None,
        upload: bool,
    ) -> None:
        self.remote, self.context_id = remote, context_id
        self.options, self.upload = options, upload
        self.local_root, self.remote_root = local_root, remote_root
        self.prefix = remote_root.rstrip("/") + "/"
        phase = "walking" if upload else "listing"
        self.progress = FolderProgress(None if options.dry_run else callback, phase=phase)
        self.result = FolderTransferResult()
        self.walk = RemoteWalk(remote_root)
        self.folders: dict[str, _Folder] = {}
        self.scans: collections.deque[_Folder] = collections.deque()
        self.plans: collections.deque[_Folder] = collections.deque()
        self.moves: collections.deque[_Move] = collections.deque()
        self.deletes: collections.deque[str] = collections.deque()
        self.held: list[str] = []
        self.scanning = 0
        self.planning = 0
        self.source_files = 0

    def _remote(self, relative: str) -> str:
        """The remote path of ``relative`` (a normalised relative path: a scan's, a listing's
        or ``""``), joined without splitting it again: the loop does it for every file."""
        return self.prefix + relative if relative else self.remote_root

    # What to do next

    def next_job(self) -> Job[_Apply] | None:
        """The next job: a folder to plan, else (unless many planned files wait) a folder to
        scan or a page to list, else a file to move or delete; None when none is due."""
        if self.plans:
            return functools.partial(self._plan, self.plans.popleft())
        if len(self.moves) < LOOKAHEAD * self.options.concurrency:
            if self.scans:
                return functools.partial(self._scan, self.scans.popleft())
            request = self.walk.request()
            if request is not None:
                return functools.partial(self._list, *request)
        if self.moves:
            return functools.partial(self._move, *self.moves.popleft())
        if self.deletes:
            return functools.partial(self._delete, self.deletes.popleft())
        return None

    def start(self, relative: str, list_remote: bool, scan_local: bool) -> None:
        """Read the folder ``relative``: list its remote side, scan its local side."""
        key = folder_key(remote_path(self.remote_root, relative))
        if list_remote and not self.walk.visit(key):
            return  # a listing named it twice
        folder = _Folder(relative, key, scanned=not scan_local, listed=not list_remote)
        self.folders[key] = folder
        if scan_local:
            self.scanning += 1
        self._ready(folder)

    def _ready(self, folder: _Folder) -> None:
        """Scan a folder once it is listed (a scan is quick and a listing slow: scans made
        first would wait, held in memory, for listings, and a deep tree's whole frontier
        would be held); plan it once both sides are read."""
        if folder.listed and not folder.scanned:
            if not folder.queued:
                folder.queued = True
                self.scans.append(folder)
            return
        if not (folder.scanned and folder.listed):
            return
        del self.folders[folder.key]
        if folder.listing_failed and not folder.relative:
            return  # the folder itself could not be listed: nothing is done
        self.plans.append(folder)
        self.planning += 1

    def _phase(self) -> None:
        if self.upload and self.scanning:
            return
        if self.folders or self.planning or not self.walk.finished:
            self.progress.enter("listing")
        else:
            self.progress.enter("transferring")

    # The jobs (the only code that runs off the loop is what they hand to run_blocking)

    async def _list(self, key: str, token: str | None) -> _Apply:
        try:
            page = await self.remote.list_page(self.context_id, key, LIST_PAGE_SIZE, token)
        except AgentBayError as exc:
            return functools.partial(self._listing_failed, key, exc.message, True)
        return functools.partial(self._listed, key, page)

    async def _scan(self, folder: _Folder) -> _Apply:
        try:
            scan = await run_blocking(scan_folder, self.local_root, folder.relative)
        except OSError as exc:
            return functools.partial(self._scanned, folder, None, _io_message(exc))
        return functools.partial(self._scanned, folder, scan, None)

    async def _plan(self, folder: _Folder) -> _Apply:
        plan = self._plan_upload if self.upload else self._plan_download
        return functools.partial(self._planned, await run_blocking(plan, folder))

    async def _move(self, relative: str, size: int, remote: _Record | None) -> _Apply:
        tracker = self.progress.file()
        try:
            if self.upload:
                moved = await self._send(relative, tracker)
            else:
                moved = await self._fetch(relative, remote, tracker)
        except AgentBayError as exc:
            tracker.finish(success=False)
            return functools.partial(self._failed, relative, exc.message)
        tracker.finish(success=True)
        return functools.partial(self._moved, relative, moved)

    async def _delete(self, relative: str) -> _Apply:
        try:
            if self.upload:
                path = self._remote(relative)
                outcome = await self.remote.delete_file(self.context_id, path)
                if not outcome.success:
                    raise AgentBayError(outcome.error_message)
            else:
                await run_blocking(_unlink, os.path.join(self.local_root, *relative.split("/")))
        except AgentBayError as exc:
            return functools.partial(self._failed, relative, exc.message)
        return functools.partial(self._deleted, relative)

    async def _send(self, relative: str, tracker: _local.ProgressCallback) -> int:
        local = os.path.join(self.local_root, *relative.split("/"))
        path = self._remote(relative)
        outcome = await self.remote.upload_file(self.context_id, path, local, progress=tracker)
        if not outcome.success:
            raise AgentBayError(outcome.error_message)
        return int(outcome.data or 0)

    async def _fetch(
        self, relative: str, remote: _Record | None, tracker: _local.ProgressCallback
    ) -> int:
        target = await run_blocking(prepare_download_path, self.local_root, relative)
        path = self._remote(relative)
        outcome = await self.remote.download_file(self.context_id, path, target, progress=tracker)
        if not outcome.success:
            raise AgentBayError(outcome.error_message)
        if remote is not None:
            try:
                await run_blocking(stamp_download, target, remote)
            except OSError as exc:
                raise AgentBayError(f"Cannot set the time of {target}: {exc.strerror}") from None
        return int(outcome.data or 0)

    # Planning a folder (blocking: in a worker thread, off the loop)

    def _plan_upload(self, folder: _Folder) -> _Planned:
        options = self.options
        scan = folder.scan or Scan()
        remote = {
            path: file for path, file in folder.remote.items() if _parent(path) == folder.relative
        }
        protect = [""] if folder.local_failed else list(scan.problems)
        plan = plan_upload(
            scan.files,
            remote,
            only_changed=options.only_changed,
            delete_extra=options.delete_extra,
            protect=protect,
        )
        listed = set(folder.remote_folders)
        children = [
            (child, child in listed and not folder.listing_failed, True) for child in scan.folders
        ]
        if options.delete_extra and not folder.local_failed and not folder.listing_failed:
            local = set(scan.folders)
            children += [
                (child, True, False)
                for child in folder.remote_folders
                if child not in local
                and _parent(child) == folder.relative
                and child not in scan.problems
            ]
        transfer: list[_Move] = [(path, scan.files[path][0], None) for path in plan.transfer]
        return self._made(transfer, plan.skip, {}, plan.delete, children, 0)

    def _plan_download(self, folder: _Folder) -> _Planned:
        options = self.options
        scan = folder.scan or Scan()
        plan = plan_download(
            folder.remote,
            scan.files,
            only_changed=options.only_changed,
            # a folder whose listing failed is not known to lack anything: nothing below it goes
            delete_extra=options.delete_extra
            and not folder.local_failed
            and not folder.listing_failed,
        )
        transfer: list[_Move] = []
        refused: dict[str, str] = {}
        for path in plan.transfer:
            try:
                safe_local_path(self.local_root, path)
            except AgentBayError as exc:
                refused[self._remote(path)] = exc.message
                continue
            file = folder.remote[path]
            transfer.append((path, file[0] or 0, file))
        delete = list(plan.delete)
        listed = set(folder.remote_folders)
        if options.delete_extra and not folder.local_failed and not folder.listing_failed:
            for child in scan.folders:
                if child not in listed:
                    delete += self._files_below(child)
        scan_local = options.only_changed or options.delete_extra
        children = [(child, True, scan_local) for child in folder.remote_folders]
        return self._made(transfer, plan.skip, refused, delete, children, len(folder.remote))

    def _made(
        self,
        transfer: list[_Move],
        skip: list[str],
        refused: dict[str, str],
        delete: list[str],
        children: list[tuple[str, bool, bool]],
        sources: int,
    ) -> _Planned:
        """The plan, with what the loop would otherwise work out file by file: the remote
        paths of the skipped files (and of the files to move, in a dry run), and the size."""
        named = [self._remote(path) for path, _, _ in transfer] if self.options.dry_run else []
        size = sum(item[1] for item in transfer)
        skipped = [self._remote(path) for path in skip]
        return _Planned(transfer, skipped, refused, delete, children, sources, size, named)

    def _files_below(self, relative: str) -> list[str]:
        """The local files below the local folder ``relative`` (none if it cannot be read)."""
        try:
            files, _ = walk_local(os.path.join(self.local_root, *relative.split("/")))
        except AgentBayError:
            return []
        return [f"{relative}/{path}" for path in files]

    # What the jobs' results do (on the loop)

    def _listed(self, key: str, page: ContextFileListResult) -> None:
        folder = self.folders[key]
        try:
            entries = self.walk.take(key, page)
        except AgentBayError as exc:
            self._listing_failed(key, exc.message)
            return
        found = size = 0
        for entry in entries:
            kind, path, info = classify(self.remote_root, entry)
            if isinstance(info, RemoteFile):
                folder.remote[path] = (info.size, info.modified)  # a plain tuple: untracked
                found, size = found + 1, size + (info.size or 0)
            elif kind == "folder":
                if below(entry.file_path, key) is not None:
                    folder.remote_folders.append(path)
            else:
                self.result.failed[path] = str(info)
        if not self.upload and found:
            self.progress.found(found, size)
        if self.walk.last(key):
            folder.listed = True
            self._ready(folder)
        self._phase()

    def _listing_failed(self, key: str, message: str, unfetched: bool = False) -> None:
        if unfetched:  # the walk still waits for that page
            self.walk.drop(key)
        folder = self.folders[key]
        self.result.failed[key] = message
        folder.remote.clear()
        folder.remote_folders.clear()
        folder.listing_failed = folder.listed = True
        self._ready(folder)
        self._phase()

    def _scanned(self, folder: _Folder, scan: Scan | None, problem: str | None) -> None:
        self.scanning -= 1
        folder.scan, folder.scanned = scan, True
        if problem is not None:
            folder.local_failed = True
        if self.upload:
            if problem is not None:
                self.result.failed[self._remote(folder.relative)] = problem
                self.source_files += 1
            if scan is not None:
                for path, why in scan.problems.items():
                    self.result.failed[self._remote(path)] = why
                self.source_files += len(scan.files) + len(scan.problems)
                self.progress.found(len(scan.files), scan.size)
            self._release()
        self._ready(folder)
        self._phase()

    def _planned(self, planned: _Planned) -> None:
        self.planning -= 1
        self.source_files += planned.sources
        self.result.skipped += planned.skip
        self.result.failed.update(planned.refused)
        if self.options.dry_run:
            self.result.transferred += planned.named
            self.result.bytes_transferred += planned.size
        else:
            self.moves += planned.transfer
            self.progress.grow(len(planned.transfer), planned.size)
        if self.source_files or self.options.allow_empty_source:
            self._delete_later(planned.delete)
        else:
            self.held += planned.delete
        self._release()
        for child in planned.children:
            self.start(*child)
        self._phase()

    def _release(self) -> None:
        if self.held and self.source_files:
            held, self.held = self.held, []
            self._delete_later(held)

    def _delete_later(self, relative: list[str]) -> None:
        if self.options.dry_run:
            self.result.deleted += [self._remote(path) for path in relative]
        else:
            self.deletes += relative

    def _moved(self, relative: str, size: int) -> None:
        self.result.transferred.append(self._remote(relative))
        self.result.bytes_transferred += size

    def _failed(self, relative: str, message: str) -> None:
        self.result.failed[self._remote(relative)] = message

    def _deleted(self, relative: str) -> None:
        self.result.deleted.append(self._remote(relative))

    # The whole transfer

    async def run(self) -> FolderTransferResult:
        """Read, plan and move every folder; the result, once every job has ended."""
        progress = self.progress
        progress.start()
        try:
            async with Jobs[_Apply](self.options.concurrency, progress.flush) as jobs:
                try:
                    async for apply in jobs.completed(self.next_job):
                        apply()
                except BaseException:
                    progress.abort()  # the files still moving stop at their next chunk
                    raise
        except BaseException:  # interrupted: report the last numbers
            with contextlib.suppress(Exception):  # the callback itself may be what raised
                progress.flush()
            raise
        if self.held:
            count = len(self.held)
            self.result.failed[self.remote_root] = EMPTY_SOURCE.format(
                count=count, s="" if count == 1 else "s"
            )
        progress.enter("transferring")
        progress.flush()
        return await run_blocking(_finished, self.result)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise AgentBayError(f"Local I/O error: {exc.strerror or exc}") from None


def _make_folder(path: str) -> None:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise AgentBayError(f"Cannot create folder {path}: {exc.strerror or exc}") from None


async def _transferred(
    remote: Remote,
    context_id: str,
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    options: Options,
    callback: FolderProgressCallback | None,
    *,
    upload: bool,
) -> FolderTransferResult:
    """Mirror ``source`` onto ``destination``: a local folder onto a folder of the context
    (``upload``), or the other way round. The remote side is listed when a download or
    ``only_changed`` / ``delete_extra`` need it, the local side scanned likewise."""
    _checks.check_text("context_id", context_id)
    local_folder, remote_folder = (source, destination) if upload else (destination, source)
    local_root, remote_root = _local_root(local_folder), _remote_root(remote_folder)
    _local.check_progress(callback)
    if upload:
        await run_blocking(_check_root, local_root)
    elif not options.dry_run:
        await run_blocking(_make_folder, local_root)
    transfer = _Transfer(remote, context_id, local_root, remote_root, options, callback, upload)
    compared = options.only_changed or options.delete_extra
    transfer.start("", compared or not upload, compared or upload)
    return await transfer.run()


upload_folder = functools.partial(_transferred, upload=True)
"""``upload_folder(remote, context_id, local_folder, remote_folder, options, callback)``:
mirror ``local_folder`` onto ``remote_folder`` of the context (see the service's
``upload_folder``)."""

download_folder = functools.partial(_transferred, upload=False)
"""``download_folder(remote, context_id, remote_folder, local_folder, options, callback)``:
mirror ``remote_folder`` of the context into ``local_folder`` (see the service's
``download_folder``)."""
