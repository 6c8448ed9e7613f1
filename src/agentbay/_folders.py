"""Folder transfers, the parts both flavours share: walking, listing, planning, paths, progress.

``upload_folder`` and ``download_folder`` mirror a local folder and a folder of a context. Each
file moves on its own, like ``upload_file``/``download_file``; a file that fails is reported in
``failed`` (remote path -> message) and the others go on. ``success`` is true when nothing failed.

Which files move (``only_changed=True``, the default, as ``aws s3 sync``):

- a file missing at the destination, or whose size differs, is transferred;
- a file whose source is newer than its destination by more than :data:`MTIME_TOLERANCE`
  (2 s) is transferred: on upload, local mtime vs the remote ``gmt_modified``; on download,
  the remote ``gmt_modified`` vs the local mtime. The tolerance absorbs timestamps kept to the
  second (the service) or to 2 s (FAT). A destination that is newer is left alone;
- anything else is skipped. ``gmt_modified`` is read as ISO 8601 (``Z``, an offset, or no zone,
  taken as UTC); one that cannot be parsed (or is missing) leaves the size as the only test. An
  unknown remote size always means "transfer".

With ``only_changed=False`` every file is transferred. A downloaded file gets the remote
modification time as its mtime, so a second download skips it; an upload cannot set the remote
time (the service stamps it), so the remote copy reads newer than the local file and a second
upload skips it too. An edit that keeps the size and lands within 2 s of the last transfer goes
unnoticed.

``delete_extra=True`` deletes destination files the source lacks. Never below a source folder
that could not be read or listed: what it holds is unknown, so its copies are kept.

Paths:

- Only regular files move. Symbolic links are not followed on upload unless
  ``follow_symlinks=True``: by default they are skipped silently, like FIFOs, sockets and devices;
  when followed, a link that points back to a folder above it is reported as failed.
- A file or sub-folder that cannot be read (or whose name is not valid UTF-8) is reported in
  ``failed``; the local folder itself must be readable, or the call raises before sending.
- A download writes only inside the local folder: a remote entry outside the remote folder, or
  whose name is not a valid local file name (``..``, ``.``, empty names, a drive letter, ``\\``,
  control characters, a name over 255 bytes, a path over 4096 bytes; on Windows also reserved
  names and ``<>:"|?*``), is refused and reported in ``failed``. It never writes through a
  symbolic link below the local folder (the folder itself may be one).

Progress: ``progress(done_bytes, total_bytes, done_files, total_files)`` is called first with
zeros done, then as bytes move. ``total_bytes`` is the plan's sum of sizes; ``done_files`` counts
files finished, moved or failed. ``done_bytes`` goes back when a file's transfer restarts or
fails, so at the end it equals ``bytes_transferred``.

Example::

    files, problems = walk_local("photos")
    plan = plan_upload(files, remote, only_changed=True, delete_extra=False, protect=problems)
"""

from __future__ import annotations

import datetime
import os
import re
import stat
import threading
import time
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping

import attrs

from ._errors import AgentBayError
from ._models import ApiResponse, ContextFileEntry

MTIME_TOLERANCE = 2.0
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 4096
_WINDOWS_FORBIDDEN = set('<>:"|?*')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in "123456789"
}
_DRIVE = re.compile(r"^[A-Za-z]:")
_ISO_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(?:[Zz]|(?P<sign>[+-])(?P<hours>\d{2})(?::?(?P<minutes>\d{2}))?)?"
)

FolderProgressCallback = Callable[[int, int, int, int], object]


@attrs.define
class FolderTransferResult(ApiResponse):
    """Outcome of a folder transfer: remote paths moved, skipped, deleted and failed.

    ``success`` is true when nothing failed; ``failed`` maps a remote path to its error message.

    Example: ``FolderTransferResult(success=True, transferred=["/a/b.txt"], bytes_transferred=3)``
    """

    success: bool = False
    transferred: list[str] = attrs.Factory(list)
    skipped: list[str] = attrs.Factory(list)
    deleted: list[str] = attrs.Factory(list)
    failed: dict[str, str] = attrs.Factory(dict)
    bytes_transferred: int = 0


class UnsafePathError(AgentBayError):
    """A path that would land outside the folder it belongs to, or is not a valid file name."""


@attrs.frozen
class LocalFile:
    """A regular local file: its size and mtime (nanoseconds since the epoch)."""

    size: int
    mtime_ns: int


@attrs.frozen
class RemoteFile:
    """A file of a context: its size and modification time (epoch seconds), either unknown."""

    size: int | None
    modified: float | None


@attrs.frozen
class Plan:
    """What a transfer will do, as sorted relative paths, and the bytes it will move.

    ``delete`` holds destination paths the source lacks (only with ``delete_extra``).
    """

    transfer: list[str]
    skip: list[str]
    delete: list[str]
    total_bytes: int


# Local side


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


def _control_character(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


def _name_problem(name: str, windows: bool) -> str | None:
    """Why ``name`` cannot be one component of a local path, or None."""
    if name in ("", ".", ".."):
        return f"the path has a component {name!r}"
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return "the path is not valid UTF-8"
    if size > MAX_NAME_BYTES:
        return f"a name is longer than {MAX_NAME_BYTES} bytes"
    if _DRIVE.match(name):
        return "the path has a drive letter"
    if windows:
        if _WINDOWS_FORBIDDEN.intersection(name):
            return 'a name has a character Windows refuses (<>:"|?*)'
        if name[-1] in ". ":
            return "a name ends with a dot or a space"
        if name.split(".")[0].rstrip(" ").upper() in _WINDOWS_RESERVED:
            return "a name is reserved on Windows"
    return None


def safe_local_path(
    local_root: str | os.PathLike[str], relative: str, *, windows: bool = os.name == "nt"
) -> str:
    """The local path of ``relative`` below ``local_root``, or raise :class:`UnsafePathError`.

    ``relative`` is a posix path as :func:`relative_remote` gives it. Refused: an empty or
    absolute path, ``\\``, control characters (NUL included), empty, ``.`` and ``..``
    components, a drive letter, a name over 255 UTF-8 bytes or a path over 4096; with
    ``windows`` (the default on Windows) also ``<>:"|?*``, trailing dots and spaces, and
    reserved names such as ``CON``. The check is on the text: see :func:`prepare_download_path`
    for symbolic links.

    Example: ``safe_local_path("out", "a/b.txt")`` is ``"out/a/b.txt"``; ``"../x"`` raises.
    """
    problem = _path_problem(relative, windows)
    if problem is not None:
        raise UnsafePathError(f"Refused {relative!r}: {problem}")
    return os.path.join(os.fspath(local_root), *relative.split("/"))


def _path_problem(relative: str, windows: bool) -> str | None:
    if not relative:
        return "the path is empty"
    if relative.startswith("/"):
        return "the path is absolute"
    if "\\" in relative:
        return "the path has a backslash"
    if _control_character(relative):
        return "the path has a control character"
    if len(relative.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        return f"the path is longer than {MAX_PATH_BYTES} bytes"
    for name in relative.split("/"):
        problem = _name_problem(name, windows)
        if problem is not None:
            return problem
    return None


def prepare_download_path(local_root: str | os.PathLike[str], relative: str) -> str:
    """:func:`safe_local_path`, with the folders leading to it created, none of them a link.

    Raises :class:`UnsafePathError` for a refused path, or when a folder on the way (below
    ``local_root``) is a symbolic link or not a folder; a folder that cannot be created raises
    :class:`AgentBayError`. Blocking.

    Example: ``prepare_download_path("out", "a/b.txt")`` creates ``out/a``.
    """
    target = safe_local_path(local_root, relative)
    folder = os.fspath(local_root)
    for name in relative.split("/")[:-1]:
        folder = os.path.join(folder, name)
        try:
            try:
                os.mkdir(folder)
                continue
            except FileExistsError:
                mode = os.lstat(folder).st_mode
        except OSError as exc:
            raise AgentBayError(f"Cannot create {folder}: {exc.strerror or exc}") from None
        if stat.S_ISLNK(mode):
            raise UnsafePathError(f"Refused {relative!r}: {folder} is a symbolic link")
        if not stat.S_ISDIR(mode):
            raise UnsafePathError(f"Refused {relative!r}: {folder} is not a folder")
    return target


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


# Remote side


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


def _segments(path: str) -> list[str]:
    """The names of a remote path; ``..`` raises (the service refuses it too)."""
    names = [name for name in path.split("/") if name not in ("", ".")]
    if ".." in names:
        raise UnsafePathError(f"Refused {path!r}: the path has a component '..'")
    return names


def remote_path(remote_folder: str, relative: str) -> str:
    """The remote path of ``relative`` below ``remote_folder``, with one slash between names.

    Example: ``remote_path("/a/", "b/c")`` is ``"/a/b/c"``.
    """
    return "/" + "/".join(_segments(remote_folder) + _segments(relative))


def relative_remote(remote_folder: str, file_path: str) -> str:
    """The posix path of ``file_path`` relative to ``remote_folder``.

    Raises :class:`UnsafePathError` unless ``file_path`` lies strictly below ``remote_folder``.

    Example: ``relative_remote("/a", "/a/b/c")`` is ``"b/c"``; ``"/ab/c"`` raises.
    """
    folder, names = _segments(remote_folder), _segments(file_path)
    if len(names) <= len(folder) or names[: len(folder)] != folder:
        raise UnsafePathError(f"Refused {file_path!r}: not below {remote_path(remote_folder, '')}")
    return "/".join(names[len(folder) :])


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
        names = _segments(folder)[len(_segments(self.root)) :]
        self.protected.append("/".join(names))


# Planning


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


# Progress


class FolderProgress:
    """Adds up the bytes and files of concurrent transfers for one progress callback.

    Thread-safe: calls ``callback(done_bytes, total_bytes, done_files, total_files)`` under a
    lock, never with ``done_bytes`` unchanged except by :meth:`start` and finished files.

    Example::

        progress = FolderProgress(show, plan.total_bytes, len(plan.transfer))
        progress.start()
        tracker = progress.file()
        result = await agent_bay.context.upload_file(ctx_id, path, source, progress=tracker)
        tracker.finish(success=result.success)
    """

    def __init__(
        self, callback: FolderProgressCallback | None, total_bytes: int, total_files: int
    ) -> None:
        self._callback = callback
        self._lock = threading.Lock()
        self.total_bytes = total_bytes
        self.total_files = total_files
        self.done_bytes = 0
        self.done_files = 0

    def start(self) -> None:
        """Report that nothing has moved yet."""
        self._add(0, 0)

    def file(self) -> FileProgress:
        """A tracker for one file's transfer, to pass as its ``progress`` callback."""
        return FileProgress(self)

    def _add(self, count: int, files: int) -> None:
        with self._lock:
            self.done_bytes += count
            self.done_files += files
            if self._callback is not None:
                self._callback(self.done_bytes, self.total_bytes, self.done_files, self.total_files)


class FileProgress:
    """One file's share of a :class:`FolderProgress`: a ``progress(bytes_done, total)`` callback.

    A call with fewer bytes than before (a restart at 0) takes the difference back.
    """

    def __init__(self, folder: FolderProgress) -> None:
        self._folder = folder
        self._finished = False
        self.done = 0

    def __call__(self, done: int, total: int | None = None) -> None:
        """The file has moved ``done`` bytes so far (``total`` is ignored; after finish, all)."""
        if self._finished or done == self.done:
            return
        count, self.done = done - self.done, done
        self._folder._add(count, 0)

    def reset(self) -> None:
        """The transfer is retried: take back the bytes it had moved."""
        self(0)

    def finish(self, *, success: bool) -> None:
        """Count the file as done; a failed one gives its bytes back. Later calls do nothing."""
        if self._finished:
            return
        self._finished = True
        self._folder._add(0 if success else -self.done, 1)
