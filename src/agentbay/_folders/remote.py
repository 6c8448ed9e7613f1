"""The remote side of a folder transfer: the files of a context folder, gathered folder by
folder from the listing, with their sizes and modification times.

Example::

    listing = RemoteListing("/photos")
    listing.add(entry)  # a ContextFileEntry of the folder: a file, or a folder still to list
"""

from __future__ import annotations

import datetime
import re

import attrs

from .._models import ContextFileEntry
from .paths import UnsafePathError, relative_remote, remote_path, segments

_ISO_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(?:[Zz]|(?P<sign>[+-])(?P<hours>\d{2})(?::?(?P<minutes>\d{2}))?)?"
)


@attrs.frozen
class RemoteFile:
    """A file of a context: its size and modification time (epoch seconds), either unknown."""

    size: int | None
    modified: float | None


def parse_gmt(value: str | None) -> float | None:
    """Epoch seconds of an ISO 8601 time as the service sends it, None if it is not one.

    Accepted: ``T`` or a space between date and time, optional seconds and fraction, and ``Z``,
    ``+08:00``, ``+0800``, ``+08`` or no zone (read as UTC).

    Example: ``parse_gmt("2025-05-29T12:00:00Z")`` is ``1748520000.0``.
    """
    if value is None:
        return None
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
