"""Progress of a folder transfer: the bytes and files of concurrent transfers, added up for
one callback, which runs in the caller's thread (or on its event loop) only.

The numbers only ever grow: a file whose transfer starts over (a retry) counts its bytes again
only past the most it had reached, and a file that fails keeps the bytes it moved; it is
counted among the failed files, never among the done ones.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable

FolderProgressCallback = Callable[[int, int, int, int], object]
"""``progress(done_bytes, total_bytes, done_files, total_files)`` of ``upload_folder`` and
``download_folder``; ``done_files`` counts the files that landed. A callback that also takes
the keywords ``failed_files`` and ``started_files`` gets them too."""

EXTRA_COUNTS = ("failed_files", "started_files")
"""The keywords a callback may take besides the four positional numbers."""


class Aborted(Exception):
    """The folder transfer is stopping: a file still moving gives up at its next chunk."""


def _takes_extra_counts(callback: FolderProgressCallback | None) -> bool:
    """Whether ``callback`` accepts ``failed_files=`` and ``started_files=``."""
    if callback is None:
        return False
    try:
        parameters = inspect.signature(callback).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature
        return False
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return True
    names = {p.name for p in parameters if p.kind is not inspect.Parameter.POSITIONAL_ONLY}
    return all(name in names for name in EXTRA_COUNTS)


class FolderProgress:
    """Adds up the bytes and files of concurrent transfers for one progress callback.

    ``callback(done_bytes, total_bytes, done_files, total_files)`` runs only in the thread that
    made this object: at once when the change happens there (the async flavour, whose transfers
    all run on the loop), else at the next :meth:`flush` of that thread (the sync flavour's
    worker threads). It is never called twice in a row with the same numbers, and no number
    ever goes down. ``done_files`` counts the files that landed; ``failed_files`` and
    ``started_files`` (passed as keywords to a callback that takes them) the files that failed
    and the files whose transfer began.

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
        self._extra = _takes_extra_counts(callback)
        self._owner = threading.get_ident()
        self._lock = threading.Lock()
        self._reported: tuple[int, ...] | None = None
        self.total_bytes = total_bytes
        self.total_files = total_files
        self.done_bytes = 0
        self.done_files = 0
        self.failed_files = 0
        self.started_files = 0
        self.aborted = False

    def start(self) -> None:
        """Report that nothing has moved yet."""
        self.flush()

    def file(self) -> FileProgress:
        """A tracker for one file's transfer (which begins now), to pass as its ``progress``."""
        with self._lock:
            self.started_files += 1
        self.flush()
        return FileProgress(self)

    def flush(self) -> None:
        """Report the numbers if they changed since the last report; only in the owner's
        thread (elsewhere, nothing)."""
        if self._callback is None or threading.get_ident() != self._owner:
            return
        with self._lock:
            numbers = (self.done_bytes, self.total_bytes, self.done_files, self.total_files)
            extra = (self.failed_files, self.started_files) if self._extra else ()
        if numbers + extra != self._reported:
            self._reported = numbers + extra
            if self._extra:
                self._callback(*numbers, **dict(zip(EXTRA_COUNTS, extra, strict=True)))
            else:
                self._callback(*numbers)

    def abort(self) -> None:
        """Make every file still moving stop (its tracker raises :class:`Aborted`)."""
        self.aborted = True

    def add(self, count: int, done: int = 0, failed: int = 0) -> None:
        """Count ``count`` more bytes, ``done`` and ``failed`` more files (from any thread)."""
        with self._lock:
            self.done_bytes += count
            self.done_files += done
            self.failed_files += failed
        self.flush()


class FileProgress:
    """One file's share of a :class:`FolderProgress`: a ``progress(bytes_done, total)`` callback.

    A call with fewer bytes than before (a transfer that starts over) adds nothing until the
    file passes the most it had reached (``done``): the folder's count never goes back.
    """

    def __init__(self, folder: FolderProgress) -> None:
        self._folder = folder
        self._finished = False
        self.done = 0

    def __call__(self, done: int, total: int | None = None) -> None:
        """The file has moved ``done`` bytes so far (``total`` is ignored; after finish, all).

        Raises :class:`Aborted` once the folder transfer is stopping.
        """
        if self._folder.aborted:
            raise Aborted("the folder transfer stopped")
        if self._finished or done <= self.done:
            return
        count, self.done = done - self.done, done
        self._folder.add(count)

    def finish(self, *, success: bool) -> None:
        """Count the file as done, or as failed (its bytes stay counted). Later calls do
        nothing."""
        if self._finished:
            return
        self._finished = True
        self._folder.add(0, done=1 if success else 0, failed=0 if success else 1)
