"""The local side of a folder transfer: every regular file below a folder, and its mtime.

Blocking: the async flavour runs :func:`walk_local` in a worker thread.

Example::

    files, problems = walk_local("photos")  # {"2025/a.jpg": LocalFile(size=..., ...)}, {}
"""

from __future__ import annotations

import os
import stat

import attrs

from .._errors import AgentBayError


@attrs.frozen
class LocalFile:
    """A regular local file: its size and mtime (nanoseconds since the epoch)."""

    size: int
    mtime_ns: int


def _readable_name(name: str) -> str:
    """``name`` with undecodable bytes (surrogate escapes) shown as U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _io_message(exc: OSError) -> str:
    return f"Local I/O error: {exc.strerror or exc}"


def walk_local(
    root: str | os.PathLike[str], *, follow_symlinks: bool = False
) -> tuple[dict[str, LocalFile], dict[str, str]]:
    """Every regular file below ``root``: ``(files, problems)``, both keyed by relative path.

    A blocking function (the async flavour runs it in a thread). Paths are relative posix
    paths (``"sub/a.txt"``). Symbolic links are skipped unless ``follow_symlinks``; then a link
    to a folder above it is a problem. FIFOs, sockets and devices are skipped. A file or
    sub-folder that cannot be read, or whose name is not valid UTF-8, is a problem for that
    path only; ``root`` itself that cannot be read raises :class:`AgentBayError`.

    Example::

        files, problems = walk_local("photos")  # {"2025/a.jpg": LocalFile(size=..., ...)}, {}
    """
    root = os.fspath(root)
    try:
        status = os.stat(root)
        if not stat.S_ISDIR(status.st_mode):
            raise NotADirectoryError(0, "not a folder")
        with os.scandir(root) as listing:
            top = list(listing)
    except OSError as exc:
        raise AgentBayError(f"Cannot read folder {root}: {exc.strerror or exc}") from None
    files: dict[str, LocalFile] = {}
    problems: dict[str, str] = {}
    pending: list[tuple[str, list[os.DirEntry[str]], tuple[tuple[int, int], ...]]] = [
        ("", top, ((status.st_dev, status.st_ino),))
    ]
    while pending:
        prefix, entries, ancestors = pending.pop()
        for entry in entries:
            relative = prefix + _readable_name(entry.name)
            try:
                entry.name.encode("utf-8")
            except UnicodeEncodeError:
                problems[relative] = "The name is not valid UTF-8"
                continue
            try:
                if entry.is_symlink() and not follow_symlinks:
                    continue
                status = entry.stat(follow_symlinks=follow_symlinks)
                if stat.S_ISREG(status.st_mode):
                    files[relative] = LocalFile(status.st_size, status.st_mtime_ns)
                elif stat.S_ISDIR(status.st_mode):
                    folder = (status.st_dev, status.st_ino)
                    if folder in ancestors:
                        problems[relative] = "A symbolic link loop: the folder contains itself"
                        continue
                    with os.scandir(entry.path) as listing:
                        pending.append((relative + "/", list(listing), (*ancestors, folder)))
            except OSError as exc:
                problems[relative] = _io_message(exc)
    return files, problems
