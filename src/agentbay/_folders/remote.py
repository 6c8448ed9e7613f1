"""The remote side of a folder transfer: the files of a context folder, gathered folder by
folder from the listing, with their sizes and modification times.

Example::

    listing = RemoteListing("/photos")
    listing.add(entry)  # a ContextFileEntry of the folder: a file, or a folder still to list
"""

from __future__ import annotations

import collections
import datetime
import functools
import re
from typing import NamedTuple

from .. import _results
from .._models import ContextFileEntry, ContextFileListResult
from .paths import UnsafePathError, relative_remote, remote_path, segments

_ISO_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(?:[Zz]|(?P<sign>[+-])(?P<hours>\d{2})(?::?(?P<minutes>\d{2}))?)?"
)


class RemoteFile(NamedTuple):
    """A file of a context: its size and modification time (epoch seconds), either unknown.
    A named tuple, like :class:`~agentbay._folders.walk.LocalFile` (a folder transfer holds
    plain tuples of its fields, which the garbage collector stops tracking)."""

    size: int | None
    modified: float | None


def parse_gmt(value: str | None) -> float | None:
    """Epoch seconds of an ISO 8601 time as the service sends it, None if it is not one.

    Accepted: ``T`` or a space between date and time, optional seconds and fraction, and ``Z``,
    ``+08:00``, ``+0800``, ``+08`` or no zone (read as UTC). The last 256 answers are kept: a
    listing names the same second many times, and each page is read on the loop.

    Example: ``parse_gmt("2025-05-29T12:00:00Z")`` is ``1748520000.0``.
    """
    return None if value is None else _parse_gmt(value)


@functools.lru_cache(maxsize=256)  # about 50 KB: pages list neighbours, of near times
def _parse_gmt(value: str) -> float | None:
    match = _ISO_TIME.fullmatch(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction = match.groups()[:7]
    zone = datetime.timezone.utc
    if match["sign"]:
        offset = datetime.timedelta(hours=int(match["hours"]), minutes=int(match["minutes"] or 0))
        try:
            zone = datetime.timezone(-offset if match["sign"] == "-" else offset)
        except ValueError:
            return None
    try:
        moment = datetime.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=zone
        )
    except ValueError:
        return None
    return moment.timestamp() + (float("0." + fraction) if fraction else 0.0)


def remote_file(entry: ContextFileEntry) -> RemoteFile:
    """The size and modification time of a listed file (a negative size counts as unknown).

    Example: ``remote_file(entry).modified`` is None when ``gmt_modified`` cannot be parsed.
    """
    size = entry.size if entry.size is not None and entry.size >= 0 else None
    return RemoteFile(size, parse_gmt(entry.gmt_modified))


class RemoteListing:
    """Gathers a recursive listing of ``remote_folder`` from the entries of each folder.

    ``files`` and ``protected`` are keyed by relative path, ``problems`` by remote path: an
    entry outside the folder, of an unknown type, or a folder whose listing failed.
    ``protected`` holds the folders that could not be listed (for :func:`plan_download`).

    Example::

        listing = RemoteListing("/photos")
        while listing.pending:
            folder = listing.pending.pop()
            try:
                for entry in agent_bay.context.iter_files(ctx_id, folder):
                    listing.add(entry)
            except AgentBayError as exc:
                listing.folder_failed(folder, str(exc))
    """

    def __init__(self, remote_folder: str) -> None:
        self.root = remote_path(remote_folder, "")
        self.files: dict[str, RemoteFile] = {}
        self.problems: dict[str, str] = {}
        self.protected: list[str] = []
        self.pending = [self._folder_path("")]
        self._seen: set[str] = set()

    def _folder_path(self, relative: str) -> str:
        return remote_path(self.root, relative).rstrip("/") + "/"

    def add(self, entry: ContextFileEntry) -> None:
        """Take one listed entry: a file, or a folder still to list."""
        try:
            relative = relative_remote(self.root, entry.file_path)
        except UnsafePathError as exc:
            self.problems[entry.file_path] = exc.message
            return
        kind = (entry.file_type or "").lower()
        if kind == "file":
            self.files[relative] = remote_file(entry)
        elif kind == "folder":
            if relative not in self._seen:
                self._seen.add(relative)
                self.pending.append(self._folder_path(relative))
        else:
            self.problems[entry.file_path] = f"Unknown file type {entry.file_type!r}"

    def folder_failed(self, folder: str, message: str) -> None:
        """Record that ``folder`` (one of :attr:`pending`) could not be listed."""
        self.problems[folder] = message
        names = segments(folder)[len(segments(self.root)) :]
        self.protected.append("/".join(names))


def folder_key(path: str) -> str:
    """A remote folder's path as the walk sends it: one slash between names and at the end.

    Example: ``folder_key("/a//b")`` is ``"/a/b/"``; ``folder_key("/")`` is ``"/"``.
    """
    names = segments(path)
    return "/" + "".join(name + "/" for name in names)


def below(path: str, folder: str) -> str | None:
    """The :func:`folder_key` of ``path`` when it lies strictly below ``folder``, else None
    (a hostile listing may name a folder elsewhere, or the folder itself).

    Example: ``below("/a/b", "/a/")`` is ``"/a/b/"``; ``below("/x", "/a/")`` is None.
    """
    try:
        key = folder_key(path)
    except UnsafePathError:
        return None
    return key if key != folder and key.startswith(folder) else None


class RemoteWalk:
    """The one recursive walk of a context folder, page by page, for ``iter_files`` and the
    folder transfers: which page to ask for next (:meth:`request`), and what a page says
    (:meth:`take`). Each folder is walked once; a folder's next page goes before any other
    folder (so its listing ends soon), sibling folders may be listed at the same time.

    The caller fetches the pages (as many at once as it likes) and decides which sub-folders
    to walk (:meth:`visit`); folder paths are :func:`folder_key` ones (``"/data/a/"``).

    Example::

        walk = RemoteWalk("/data")
        while (request := walk.request()) is not None:
            folder, token = request
            page = await fetch(folder, token)
            for entry in walk.take(folder, page):  # raises for a failed or repeated page
                if entry.file_type == "folder" and (key := below(entry.file_path, folder)):
                    walk.visit(key)
    """

    def __init__(self, root: str) -> None:
        self.root = folder_key(root)
        self._queue: collections.deque[tuple[str, str | None]] = collections.deque()
        self._seen: set[str] = set()
        self._tokens: dict[str, set[str]] = {}
        self.outstanding = 0

    def visit(self, folder: str) -> bool:
        """Walk ``folder`` (a :func:`folder_key`), unless already walked; True if it is new."""
        if folder in self._seen:
            return False
        self._seen.add(folder)
        self._queue.append((folder, None))
        return True

    def request(self) -> tuple[str, str | None] | None:
        """The next page to fetch, ``(folder, token)``, or None when none is due now."""
        if not self._queue:
            return None
        self.outstanding += 1
        return self._queue.popleft()

    @property
    def finished(self) -> bool:
        """True when no page is due nor being fetched."""
        return not self._queue and not self.outstanding

    def take(
        self, folder: str, page: ContextFileListResult, doing: str = "list files"
    ) -> list[ContextFileEntry]:
        """The entries of a fetched page of ``folder``; its next page becomes due.

        Raises :class:`AgentBayError` for a failed page (with the service's ``code``) and for
        a token the service repeats (``doing`` names the listing in the message).
        """
        self.outstanding -= 1
        if not page.success:
            self._tokens.pop(folder, None)
            raise _results.page_error(doing, page, page.error_message)
        if page.next_token:
            tokens = self._tokens.setdefault(folder, set())
            if page.next_token in tokens:
                del self._tokens[folder]
                raise _results.repeated_page(doing, page.request_id)
            tokens.add(page.next_token)
            self._queue.appendleft((folder, page.next_token))
        else:
            self._tokens.pop(folder, None)
        return page.entries

    def drop(self, folder: str) -> None:
        """A page of ``folder`` could not be fetched at all: its listing ends there."""
        self.outstanding -= 1
        self._tokens.pop(folder, None)

    def last(self, folder: str) -> bool:
        """True when ``folder``'s listing has ended (no page of it due)."""
        return folder not in self._tokens


def classify(root: str, entry: ContextFileEntry) -> tuple[str, str, RemoteFile | str | None]:
    """What a listed entry is, below the walk's ``root``: ``("file", relative, RemoteFile)``,
    ``("folder", relative, None)``, or ``("problem", file_path, message)`` for an entry
    outside ``root`` or of an unknown type.

    Example: ``classify("/a/", entry)`` is ``("file", "b.txt", RemoteFile(3, None))``.
    """
    try:
        relative = relative_remote(root, entry.file_path)
    except UnsafePathError as exc:
        return "problem", entry.file_path, exc.message
    kind = (entry.file_type or "").lower()
    if kind == "file":
        return "file", relative, remote_file(entry)
    if kind == "folder":
        return "folder", relative, None
    return "problem", entry.file_path, f"Unknown file type {entry.file_type!r}"
