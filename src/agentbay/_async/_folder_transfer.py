"""Folder transfers of :class:`AsyncContextService`: walk, list, plan, then move the files a
bounded number at a time (the rules are in :mod:`agentbay._folders`).

A folder transfer is handed what it uses, as small callables (:class:`Remote`): a page of a
folder's listing, one file's upload, download and deletion; never the service. Each file goes
through ``upload_file`` / ``download_file``, retries included. Disk work (the walk, folders,
mtimes, deletions) runs through ``run_blocking``; the listing goes a folder level at a time,
``concurrency`` folders at once, each folder through the one paginator.

Example::

    options = Options(concurrency=16, only_changed=True, delete_extra=False, dry_run=False)
    result = await upload_folder(remote, "ctx-1", "photos", "/photos", options, None)
"""

from __future__ import annotations

import os
from typing import Protocol

import attrs

from .. import _checks, _local
from .._errors import AgentBayError
from .._folders import (
    FolderProgress,
    FolderProgressCallback,
    LocalFile,
    Plan,
    RemoteListing,
    plan_download,
    plan_upload,
    prepare_download_path,
    remote_path,
    safe_local_path,
    stamp_download,
    walk_local,
)
from .._models import ContextFileEntry, ContextFileListResult, FolderTransferResult, OperationResult
from ._io import map_bounded, run_blocking
from ._paging import pages

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

    @classmethod
    def checked(
        cls, concurrency: object, only_changed: bool, delete_extra: bool, dry_run: bool
    ) -> Options:
        """The options, or :class:`AgentBayError` for a ``concurrency`` that is not an int >= 1."""
        count = _checks.check_positive("concurrency", concurrency)
        return cls(count, bool(only_changed), bool(delete_extra), bool(dry_run))


def _local_root(local_folder: object) -> str:
    if not isinstance(local_folder, (str, os.PathLike)):
        raise AgentBayError(f"local_folder must be a path, got {type(local_folder).__name__}")
    return os.fspath(local_folder)


def _remote_root(remote_folder: object) -> str:
    return remote_path(_checks.check_text("remote_folder", remote_folder), "")


def _finished(result: FolderTransferResult) -> FolderTransferResult:
    """``result`` with ``success`` and ``error_message`` saying whether anything failed."""
    result.failed = dict(sorted(result.failed.items()))
    result.success = not result.failed
    if result.failed:
        path, message = next(iter(result.failed.items()))
        more = len(result.failed) - 1
        result.error_message = f"{path}: {message}" + (f" (and {more} more)" if more else "")
    return result


async def list_remote(
    remote: Remote, context_id: str, remote_root: str, concurrency: int
) -> RemoteListing:
    """Every file below ``remote_root``, a folder level at a time, ``concurrency`` folders at
    once; a folder that cannot be listed is recorded as such (its partial pages dropped)."""
    listing = RemoteListing(remote_root)

    async def entries_of(folder: str) -> tuple[list[ContextFileEntry], str | None]:
        entries: list[ContextFileEntry] = []

        async def page(token: str | None) -> ContextFileListResult:
            return await remote.list_page(context_id, folder, LIST_PAGE_SIZE, token)

        try:
            async for listed in pages(page, "list files"):
                entries.extend(listed.entries)
        except AgentBayError as exc:
            return [], exc.message
        return entries, None

    while listing.pending:
        folders, listing.pending = listing.pending, []
        listed = await map_bounded(entries_of, folders, concurrency)
        for folder, (entries, problem) in zip(folders, listed, strict=True):
            if problem is not None:
                listing.folder_failed(folder, problem)
            for entry in entries:
                listing.add(entry)
    return listing


async def upload_folder(
    remote: Remote,
    context_id: str,
    local_folder: str | os.PathLike[str],
    remote_folder: str,
    options: Options,
    callback: FolderProgressCallback | None,
) -> FolderTransferResult:
    """Mirror ``local_folder`` onto ``remote_folder`` of the context (see the service's
    ``upload_folder``)."""
    _checks.check_text("context_id", context_id)
    local_root, remote_root = _local_root(local_folder), _remote_root(remote_folder)
    _local.check_progress(callback)
    files, problems = await run_blocking(walk_local, local_root)
    result = FolderTransferResult()
    result.failed = {remote_path(remote_root, path): why for path, why in problems.items()}
    remote_files = {}
    if options.only_changed or options.delete_extra:
        listing = await list_remote(remote, context_id, remote_root, options.concurrency)
        result.failed.update(listing.problems)
        if "" in listing.protected:  # the folder itself could not be listed
            return _finished(result)
        remote_files = listing.files
    plan = plan_upload(
        files,
        remote_files,
        only_changed=options.only_changed,
        delete_extra=options.delete_extra,
        protect=problems,
    )

    async def send(relative: str, tracker: _local.ProgressCallback) -> int:
        local = os.path.join(local_root, *relative.split("/"))
        path = remote_path(remote_root, relative)
        outcome = await remote.upload_file(context_id, path, local, progress=tracker)
        if not outcome.success:
            raise AgentBayError(outcome.error_message)
        return int(outcome.data)

    async def delete(relative: str) -> None:
        outcome = await remote.delete_file(context_id, remote_path(remote_root, relative))
        if not outcome.success:
            raise AgentBayError(outcome.error_message)

    return await _run(remote_root, plan, options, callback, result, send, delete)


async def download_folder(
    remote: Remote,
    context_id: str,
    remote_folder: str,
    local_folder: str | os.PathLike[str],
    options: Options,
    callback: FolderProgressCallback | None,
) -> FolderTransferResult:
    """Mirror ``remote_folder`` of the context into ``local_folder`` (see the service's
    ``download_folder``)."""
    _checks.check_text("context_id", context_id)
    local_root, remote_root = _local_root(local_folder), _remote_root(remote_folder)
    _local.check_progress(callback)
    if not options.dry_run:
        await run_blocking(_make_folder, local_root)
    listing = await list_remote(remote, context_id, remote_root, options.concurrency)
    result = FolderTransferResult(failed=dict(listing.problems))
    if "" in listing.protected:
        return _finished(result)
    local: dict[str, LocalFile] = {}
    if (options.only_changed or options.delete_extra) and os.path.isdir(local_root):
        local, _ = await run_blocking(walk_local, local_root)
    plan = plan_download(
        listing.files,
        local,
        only_changed=options.only_changed,
        delete_extra=options.delete_extra,
        protect=listing.protected,
    )
    refused = {}
    for relative in plan.transfer:
        try:
            safe_local_path(local_root, relative)
        except AgentBayError as exc:
            refused[relative] = exc.message
    result.failed.update({remote_path(remote_root, path): why for path, why in refused.items()})
    plan = attrs.evolve(
        plan,
        transfer=[path for path in plan.transfer if path not in refused],
        total_bytes=sum(listing.files[p].size or 0 for p in plan.transfer if p not in refused),
    )

    async def fetch(relative: str, tracker: _local.ProgressCallback) -> int:
        target = await run_blocking(prepare_download_path, local_root, relative)
        path = remote_path(remote_root, relative)
        outcome = await remote.download_file(context_id, path, target, progress=tracker)
        if not outcome.success:
            raise AgentBayError(outcome.error_message)
        try:
            await run_blocking(stamp_download, target, listing.files[relative])
        except OSError as exc:
            raise AgentBayError(f"Cannot set the time of {target}: {exc.strerror}") from None
        return int(outcome.data)

    async def delete(relative: str) -> None:
        try:
            await run_blocking(os.unlink, os.path.join(local_root, *relative.split("/")))
        except FileNotFoundError:
            return
        except OSError as exc:
            raise AgentBayError(f"Local I/O error: {exc.strerror or exc}") from None

    return await _run(remote_root, plan, options, callback, result, fetch, delete)


def _make_folder(path: str) -> None:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise AgentBayError(f"Cannot create folder {path}: {exc.strerror or exc}") from None


class _Move(Protocol):
    """Moves one file (its relative path), reporting to ``tracker``; returns its size, raises
    :class:`AgentBayError` when it fails."""

    async def __call__(self, relative: str, tracker: _local.ProgressCallback) -> int: ...


class _Delete(Protocol):
    """Deletes one destination file; raises :class:`AgentBayError` when it fails."""

    async def __call__(self, relative: str) -> None: ...


async def _run(
    remote_root: str,
    plan: Plan,
    options: Options,
    callback: FolderProgressCallback | None,
    result: FolderTransferResult,
    move: _Move,
    delete: _Delete,
) -> FolderTransferResult:
    """Carry out ``plan`` (or, with ``dry_run``, only report it) into ``result``."""
    named = [remote_path(remote_root, path) for path in plan.transfer]
    result.skipped = [remote_path(remote_root, path) for path in plan.skip]
    if options.dry_run:
        result.transferred = named
        result.deleted = [remote_path(remote_root, path) for path in plan.delete]
        result.bytes_transferred = plan.total_bytes
        return _finished(result)
    progress = FolderProgress(callback, plan.total_bytes, len(plan.transfer))
    progress.start()

    async def move_one(relative: str) -> int | str:
        tracker = progress.file()
        try:
            size = await move(relative, tracker)
        except AgentBayError as exc:
            tracker.finish(success=False)
            return exc.message
        tracker.finish(success=True)
        return size

    async def delete_one(relative: str) -> str | None:
        try:
            await delete(relative)
        except AgentBayError as exc:
            return exc.message
        return None

    concurrency = options.concurrency
    moved = await map_bounded(
        move_one, plan.transfer, concurrency, tick=progress.flush, abort=progress.abort
    )
    progress.flush()
    for path, outcome in zip(named, moved, strict=True):
        if isinstance(outcome, str):
            result.failed[path] = outcome
        else:
            result.transferred.append(path)
            result.bytes_transferred += outcome
    problems = await map_bounded(delete_one, plan.delete, concurrency)
    for relative, problem in zip(plan.delete, problems, strict=True):
        if problem is None:
            result.deleted.append(remote_path(remote_root, relative))
        else:
            result.failed[remote_path(remote_root, relative)] = problem
    return _finished(result)
