"""Folder transfers, the parts both flavours share: walking (:mod:`.walk`), paths (:mod:`.paths`),
the remote listing (:mod:`.remote`), planning (:mod:`.plan`) and progress (:mod:`.progress`).

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

- Only regular files move. Symbolic links below the local folder are not followed on upload:
  they are skipped (the CLI names them), like FIFOs, sockets and devices (the local folder
  itself may be a link). ``walk_local(..., follow_symlinks=True)`` follows them, reporting a
  link that points back to a folder above it as a problem.
- A file or sub-folder that cannot be read (or whose name is not valid UTF-8) is reported in
  ``failed``; the local folder itself must be readable, or the call raises before sending.
- A download writes only inside the local folder: a remote entry outside the remote folder, or
  whose name is not a valid local file name (``..``, ``.``, empty names, a drive letter, ``\\``,
  control characters, a name over 255 bytes, a path over 4096 bytes; on Windows also reserved
  names and ``<>:"|?*``), is refused and reported in ``failed``. It never writes through a
  symbolic link below the local folder (the folder itself may be one).

Progress: ``progress(done_bytes, total_bytes, done_files, total_files)`` is called first with
zeros, at once, then as folders are read and bytes move, always in the caller's thread (or on
its event loop). ``total_bytes`` and ``total_files`` grow as folders are planned (their sum of
sizes and count); ``done_files`` counts files that landed.
``done_bytes`` goes back when a file's transfer starts over or fails, so at the end it equals
``bytes_transferred``.

Example::

    files, problems = walk_local("photos")
    plan = plan_upload(files, remote, only_changed=True, delete_extra=False, protect=problems)
"""

from .paths import (
    UnsafePathError,
    prepare_download_path,
    relative_remote,
    remote_path,
    safe_local_path,
)
from .plan import (
    Plan,
    download_mtime_ns,
    plan_download,
    plan_upload,
    sorted_in_steps,
    stamp_download,
)
from .progress import Aborted, FileProgress, FolderProgress, FolderProgressCallback
from .remote import (
    RemoteFile,
    RemoteListing,
    RemoteWalk,
    below,
    classify,
    folder_key,
    parse_gmt,
    remote_file,
)
from .walk import LocalFile, Scan, scan_folder, walk_local

__all__ = [
    "Aborted",
    "FileProgress",
    "FolderProgress",
    "FolderProgressCallback",
    "LocalFile",
    "Plan",
    "RemoteFile",
    "RemoteListing",
    "RemoteWalk",
    "Scan",
    "UnsafePathError",
    "below",
    "classify",
    "download_mtime_ns",
    "folder_key",
    "parse_gmt",
    "plan_download",
    "plan_upload",
    "prepare_download_path",
    "relative_remote",
    "remote_file",
    "remote_path",
    "safe_local_path",
    "scan_folder",
    "sorted_in_steps",
    "stamp_download",
    "walk_local",
]
