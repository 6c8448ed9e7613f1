"""The local side of a folder transfer: every regular file below a folder, and its mtime.

Blocking: the async flavour runs :func:`walk_local` in a worker thread.

Example::

    files, problems = walk_local("photos")  # {"2025/a.jpg": LocalFile(size=..., ...)}, {}
"""

from __future__ import annotations

import os
import stat
from typing import NamedTuple

import attrs

from .._errors import AgentBayError


class LocalFile(NamedTuple):
    """A regular local file: its size and mtime (nanoseconds since the epoch). A folder
    transfer holds plain tuples of the same fields instead (:class:`Scan`): the garbage
    collector stops tracking a plain tuple of numbers, never a named one, and every object it
    tracks lengthens each full collection, which stops the event loop."""

    size: int
    mtime_ns: int


def _readable_name(name: str) -> str:
    """``name`` with undecodable bytes (surrogate escapes) shown as U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _io_message(exc: OSError) -> str:
    return f"Local I/O error: {exc.strerror or exc}"


@attrs.define
class Scan:
    """One local folder, read (not its sub-folders): its regular files, its sub-folders and
    what could not be read, all keyed by relative path below the walk's root, and ``size``,
    the files' sizes added up (counted while reading, so the event loop need not). A file is
    a plain tuple ``(size, mtime_ns)``, a :class:`LocalFile`'s fields: a folder of 50,000
    files then adds nothing to the garbage collector's full passes."""

    files: dict[str, tuple[int, int]] = attrs.Factory(dict)
    folders: list[str] = attrs.Factory(list)
    problems: dict[str, str] = attrs.Factory(dict)
    size: int = 0


def scan_folder(
    root: str,
    relative: str,
    *,
    follow_symlinks: bool = False,
    ancestors: frozenset[tuple[int, int]] = frozenset(),
) -> Scan | None:
    """The entries directly in ``root/relative`` (``relative`` a posix path, ``""`` for
    ``root``), or None when that folder does not exist. Blocking.

    A folder that cannot be read raises :class:`OSError`; an entry that cannot be read is a
    problem of the scan. Symbolic links are skipped unless ``follow_symlinks``; then a link to
    one of ``ancestors`` (``(st_dev, st_ino)`` of the folders above) is a problem.

    Example: ``scan_folder("photos", "2025").files`` is ``{"2025/a.jpg": (size, mtime_ns)}``.
    """
    folder = os.path.join(root, *relative.split("/")) if relative else root
    prefix = relative + "/" if relative else ""
    scan = Scan()
    try:
        listing = os.scandir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return None
    with listing:
        for entry in listing:
            path = prefix + _readable_name(entry.name)
            try:
                entry.name.encode("utf-8")
            except UnicodeEncodeError:
                scan.problems[path] = "The name is not valid UTF-8"
                continue
            try:
                if entry.is_symlink() and not follow_symlinks:
                    continue
                status = entry.stat(follow_symlinks=follow_symlinks)
            except OSError as exc:
                scan.problems[path] = _io_message(exc)
                continue
            if stat.S_ISREG(status.st_mode):
                scan.files[path] = (status.st_size, status.st_mtime_ns)
                scan.size += status.st_size
            elif stat.S_ISDIR(status.st_mode):
                if (status.st_dev, status.st_ino) in ancestors:
                    scan.problems[path] = "A symbolic link loop: the folder contains itself"
                else:
                    scan.folders.append(path)
    return scan


def walk_local(
    root: str | os.PathLike[str], *, follow_symlinks: bool = False
) -> tuple[dict[str, LocalFile], dict[str, str]]:
    """Every regular file below ``root``: ``(files, problems)``, both keyed by relative path.

    A blocking function (the async flavour runs it in a thread). Paths are relative posix
    paths (``"sub/a.txt"``). Symbolic links are skipped unless ``follow_symlinks``; then a link
    to a folder above it is a problem. FIFOs, sockets and devices are skipped. A file or
    sub-folder that cannot be read, or whose name is not valid UTF-8, is a problem for that
    path only; ``root`` itself that cannot be read raises :class:`AgentBayError`. Folder
    transfers read one folder at a time (:func:`scan_folder`) instead.

    Example::

        files, problems = walk_local("photos")  # {"2025/a.jpg": LocalFile(size=..., ...)}, {}
    """
    root = os.fspath(root)
    try:
        status = os.stat(root)
        if not stat.S_ISDIR(status.st_mode):
            raise NotADirectoryError(0, "not a folder")
        top = scan_folder(root, "", follow_symlinks=follow_symlinks)
        if top is None:
            raise FileNotFoundError(0, "No such file or directory")
    except OSError as exc:
        raise AgentBayError(f"Cannot read folder {root}: {exc.strerror or exc}") from None
    files: dict[str, LocalFile] = {}
    problems: dict[str, str] = {}
    pending = [(top, frozenset({(status.st_dev, status.st_ino)}))]
    while pending:
        scan, ancestors = pending.pop()
        files.update((path, LocalFile(*file)) for path, file in scan.files.items())
        problems.update(scan.problems)
        for relative in scan.folders:
            try:
                folder = os.stat(os.path.join(root, *relative.split("/")))
                key = (folder.st_dev, folder.st_ino)
                below = scan_folder(
                    root, relative, follow_symlinks=follow_symlinks, ancestors=ancestors | {key}
                )
            except OSError as exc:
                problems[relative] = _io_message(exc)
                continue
            if below is not None:
                pending.append((below, ancestors | {key}))
    return files, problems
