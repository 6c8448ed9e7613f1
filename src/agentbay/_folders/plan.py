"""Planning a folder transfer: which files move, which are skipped, which are deleted (the
rules are in :mod:`agentbay._folders`), and the mtime a downloaded file gets.

Example::

    plan = plan_upload(files, listing.files, only_changed=True, delete_extra=False)
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection, Iterable, Mapping

import attrs

from .remote import RemoteFile
from .walk import LocalFile

MTIME_TOLERANCE = 2.0


@attrs.frozen
class Plan:
    """What a transfer will do, as sorted relative paths, and the bytes it will move.

    ``delete`` holds destination paths the source lacks (only with ``delete_extra``).
    """

    transfer: list[str]
    skip: list[str]
    delete: list[str]
    total_bytes: int


def download_mtime_ns(remote: RemoteFile) -> int | None:
    """The mtime a downloaded file gets (nanoseconds): the remote one, None when unknown.

    Example: ``download_mtime_ns(RemoteFile(3, 1748520000.0))`` is ``1748520000000000000``.
    """
    return None if remote.modified is None else round(remote.modified * 1e9)


def stamp_download(path: str, remote: RemoteFile) -> None:
    """Give the downloaded file at ``path`` the remote modification time, when known.

    Example: ``stamp_download("out/a.txt", RemoteFile(3, 1748520000.0))``.
    """
    mtime_ns = download_mtime_ns(remote)
    if mtime_ns is not None:
        os.utime(path, ns=(time.time_ns(), mtime_ns))


def _changed(
    source_size: int | None,
    source_time: float | None,
    destination_size: int | None,
    destination_time: float | None,
) -> bool:
    if source_size is None or source_size != destination_size:
        return True
    if source_time is None or destination_time is None:
        return False
    return source_time > destination_time + MTIME_TOLERANCE


def _is_protected(path: str, protect: Collection[str]) -> bool:
    return any(not folder or path == folder or path.startswith(folder + "/") for folder in protect)


def _plan(
    changes: Iterable[tuple[str, int | None, bool]],
    source: Collection[str],
    destination: Iterable[str],
    delete_extra: bool,
    protect: Collection[str],
) -> Plan:
    transfer: list[str] = []
    skip: list[str] = []
    total = 0
    for path, size, changed in changes:
        if changed:
            transfer.append(path)
            total += size or 0
        else:
            skip.append(path)
    delete = [
        path
        for path in destination
        if delete_extra and path not in source and not _is_protected(path, protect)
    ]
    return Plan(sorted(transfer), sorted(skip), sorted(delete), total)


def plan_upload(
    local: Mapping[str, LocalFile],
    remote: Mapping[str, RemoteFile],
    *,
    only_changed: bool,
    delete_extra: bool,
    protect: Collection[str] = (),
) -> Plan:
    """Plan an upload of ``local`` (from :func:`walk_local`) onto ``remote``.

    ``protect``: local paths that could not be read (the walk's problems); remote files at or
    below them are never deleted.

    Example::

        plan = plan_upload(files, listing.files, only_changed=True, delete_extra=False)
    """
    changes = (
        (
            path,
            file.size,
            not only_changed
            or path not in remote
            or _changed(file.size, file.mtime_ns / 1e9, remote[path].size, remote[path].modified),
        )
        for path, file in local.items()
    )
    return _plan(changes, local, remote, delete_extra, protect)


def plan_download(
    remote: Mapping[str, RemoteFile],
    local: Mapping[str, LocalFile],
    *,
    only_changed: bool,
    delete_extra: bool,
    protect: Collection[str] = (),
) -> Plan:
    """Plan a download of ``remote`` (a :class:`RemoteListing`'s files) onto ``local``.

    ``protect``: remote folders that could not be listed (``listing.protected``); local files
    at or below them are never deleted.

    Example::

        plan = plan_download(listing.files, files, only_changed=True, delete_extra=False)
    """
    changes = (
        (
            path,
            file.size,
            not only_changed
            or path not in local
            or _changed(file.size, file.modified, local[path].size, local[path].mtime_ns / 1e9),
        )
        for path, file in remote.items()
    )
    return _plan(changes, remote, local, delete_extra, protect)
