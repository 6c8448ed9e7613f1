"""Planning a folder transfer: which files move, which are skipped, which are deleted (the
rules are in :mod:`agentbay._folders`), and the mtime a downloaded file gets.

Example::

    plan = plan_upload(files, listing.files, only_changed=True, delete_extra=False)
"""

from __future__ import annotations

import heapq
import os
import time
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, TypeVar

import attrs

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

    Sortable = TypeVar("Sortable", bound=SupportsRichComparison)
else:
    Sortable = TypeVar("Sortable")

SORT_STEP = 2048
"""Items sorted in one call by :func:`sorted_in_steps`: one ``sorted`` call holds the GIL to
its end (a worker thread's sort of 50,000 paths in scandir order stopped the event loop for
15-40 ms); a step of 2,048 holds it about 1 ms."""

LocalRecord = tuple[int, int]
"""A :class:`~agentbay._folders.walk.LocalFile` or a plain tuple ``(size, mtime_ns)``."""

RemoteRecord = tuple[int | None, float | None]
"""A :class:`~agentbay._folders.remote.RemoteFile` or a plain tuple ``(size, modified)``."""

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


def download_mtime_ns(remote: RemoteRecord) -> int | None:
    """The mtime a downloaded file gets (nanoseconds): the remote one, None when unknown.

    Example: ``download_mtime_ns(RemoteFile(3, 1748520000.0))`` is ``1748520000000000000``.
    """
    modified = remote[1]
    return None if modified is None else round(modified * 1e9)


def stamp_download(path: str, remote: RemoteRecord) -> None:
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
    return Plan(sorted_in_steps(transfer), sorted_in_steps(skip), sorted_in_steps(delete), total)


def sorted_in_steps(items: Iterable[Sortable]) -> list[Sortable]:
    """``sorted(items)``, made of sorts of :data:`SORT_STEP` items merged in Python: a
    worker thread that sorts many paths then lets the event loop's thread run between steps
    (a single ``sorted`` call never lets go of the GIL). As quick as one sort, or quicker.

    Example: ``sorted_in_steps(["b", "c", "a"])`` is ``["a", "b", "c"]``.
    """
    whole = list(items)
    step = SORT_STEP
    if len(whole) <= step:
        whole.sort()
        return whole
    steps = [sorted(whole[i : i + step]) for i in range(0, len(whole), step)]
    return list(heapq.merge(*steps))


def plan_upload(
    local: Mapping[str, LocalRecord],
    remote: Mapping[str, RemoteRecord],
    *,
    only_changed: bool,
    delete_extra: bool,
    protect: Collection[str] = (),
) -> Plan:
    """Plan an upload of ``local`` (from :func:`walk_local`) onto ``remote``.

    ``protect``: local paths that could not be read (the walk's problems); remote files at or
    below them are never deleted. The records may be named ``LocalFile`` / ``RemoteFile`` or
    plain tuples of the same fields (what a folder transfer holds: the garbage collector
    stops tracking a plain tuple, never a named one).

    Example::

        plan = plan_upload(files, listing.files, only_changed=True, delete_extra=False)
    """
    changes = (
        (
            path,
            file[0],
            not only_changed
            or path not in remote
            or _changed(file[0], file[1] / 1e9, remote[path][0], remote[path][1]),
        )
        for path, file in local.items()
    )
    return _plan(changes, local, remote, delete_extra, protect)


def plan_download(
    remote: Mapping[str, RemoteRecord],
    local: Mapping[str, LocalRecord],
    *,
    only_changed: bool,
    delete_extra: bool,
    protect: Collection[str] = (),
) -> Plan:
    """Plan a download of ``remote`` (a :class:`RemoteListing`'s files) onto ``local``.

    ``protect``: remote folders that could not be listed (``listing.protected``); local files
    at or below them are never deleted. Records as for :func:`plan_upload`.

    Example::

        plan = plan_download(listing.files, files, only_changed=True, delete_extra=False)
    """
    changes = (
        (
            path,
            file[0],
            not only_changed
            or path not in local
            or _changed(file[0], file[1], local[path][0], local[path][1] / 1e9),
        )
        for path, file in remote.items()
    )
    return _plan(changes, remote, local, delete_extra, protect)
