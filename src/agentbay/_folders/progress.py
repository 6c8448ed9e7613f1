"""Progress of a folder transfer: the bytes and files of concurrent transfers, added up for
one callback, which runs in the caller's thread (or on its event loop) only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

FolderProgressCallback = Callable[[int, int, int, int], object]


class Aborted(Exception):
    """The folder transfer is stopping: a file still moving gives up at its next chunk."""


class FolderProgress:
    """Adds up the bytes and files of concurrent transfers for one progress callback.

    ``callback(done_bytes, total_bytes, done_files, total_files)`` runs only in the thread that
    made this object: at once when the change happens there (the async flavour, whose transfers
    all run on the loop), else at the next :meth:`flush` of that thread (the sync flavour's
    worker threads). It is never called twice in a row with the same numbers.

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
        self._owner = threading.get_ident()
        self._lock = threading.Lock()
        self._reported: tuple[int, int, int, int] | None = None
        self.total_bytes = total_bytes
        self.total_files = total_files
        self.done_bytes = 0
        self.done_files = 0
        self.aborted = False

    def start(self) -> None:
        """Report that nothing has moved yet."""
        self.flush()

    def file(self) -> FileProgress:
        """A tracker for one file's transfer, to pass as its ``progress`` callback."""
        return FileProgress(self)

    def flush(self) -> None:
        """Report the numbers if they changed since the last report; only in the owner's
        thread (elsewhere, nothing)."""
        if self._callback is None or threading.get_ident() != self._owner:
            return
        with self._lock:
            numbers = (self.done_bytes, self.total_bytes, self.done_files, self.total_files)
        if numbers != self._reported:
            self._reported = numbers
            self._callback(*numbers)

    def abort(self) -> None:
        """Make every file still moving stop (its tracker raises :class:`Aborted`)."""
        self.aborted = True

    def add(self, count: int, files: int) -> None:
        """Count ``count`` more bytes and ``files`` more files done (from any thread)."""
        with self._lock:
            self.done_bytes += count
            self.done_files += files
        self.flush()


class FileProgress:
    """One file's share of a :class:`FolderProgress`: a ``progress(bytes_done, total)`` callback.

    A call with fewer bytes than before (a transfer that starts over) takes the difference back.
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
        if self._finished or done == self.done:
            return
        count, self.done = done - self.done, done
        self._folder.add(count, 0)

    def finish(self, *, success: bool) -> None:
        """Count the file as done; a failed one gives its bytes back. Later calls do nothing."""
        if self._finished:
            return
        self._finished = True
        self._folder.add(0 if success else -self.done, 1)
