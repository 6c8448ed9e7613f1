"""Progress of a folder transfer: the bytes and files of concurrent transfers, added up for
one callback, which runs in the caller's thread (or on its event loop) only.

The numbers only ever grow. The totals grow too, as the walk and the listing find files: the
first report comes at once, before anything is known (phase ``"walking"`` or ``"listing"``),
and the totals are final once the phase is ``"transferring"``. A file whose transfer starts
over (a retry) counts its bytes again only past the most it had reached, and a file that
fails keeps the bytes it moved; it is counted among the failed files, never among the done
ones.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable

FolderProgressCallback = Callable[[int, int, int, int], object]
"""``progress(done_bytes, total_bytes, done_files, total_files)`` of ``upload_folder`` and
``download_folder``; ``done_files`` counts the files that landed. A callback that also takes
the keywords ``failed_files`` and ``started_files`` gets them too; one that also takes
``phase``, ``found_files`` and ``found_bytes`` gets those (see :class:`FolderProgress`)."""

EXTRA_COUNTS = ("failed_files", "started_files")
"""The keywords a callback may take besides the four positional numbers."""

DISCOVERY = ("phase", "found_files", "found_bytes")
"""The keywords of the discovery a callback may take: the phase and the source files found."""

PHASES = ("walking", "listing", "transferring")
"""The phases of a folder transfer, in order: walking the local folder (an upload), listing
the remote one, then only transferring (every file found and planned)."""


class Aborted(Exception):
    """The folder transfer is stopping: a file still moving gives up at its next chunk."""


def _takes(callback: FolderProgressCallback | None, keywords: tuple[str, ...]) -> bool:
    """Whether ``callback`` accepts every one of ``keywords``."""
    if callback is None:
        return False
    try:
        parameters = inspect.signature(callback).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature
        return False
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return True
    names = {p.name for p in parameters if p.kind is not inspect.Parameter.POSITIONAL_ONLY}
    return all(name in names for name in keywords)


class FolderProgress:
    """Adds up the bytes and files of concurrent transfers for one progress callback.

    ``callback(done_bytes, total_bytes, done_files, total_files)`` runs only in the thread that
    made this object: at once when the change happens there (the async flavour, whose transfers
    all run on the loop), else at the next :meth:`flush` of that thread (the sync flavour's
    worker threads). It is never called twice in a row with the same numbers, and no number
    ever goes down. ``done_files`` counts the files that landed; ``failed_files`` and
    ``started_files`` (passed as keywords to a callback that takes them) the files that failed
    and the files whose transfer began. ``total_bytes`` and ``total_files`` grow as files are
    planned (:meth:`grow`); ``phase`` (one of :data:`PHASES`), ``found_files`` and
    ``found_bytes`` (the source files found so far, to transfer or not) go to a callback that
    takes all three.

    Example::

        progress = FolderProgress(show, plan.total_bytes, len(plan.transfer))
        progress.start()
        tracker = progress.file()
        result = await agent_bay.context.upload_file(ctx_id, path, source, progress=tracker)
        tracker.finish(success=result.success)
    """

    def __init__(
        self,
        callback: FolderProgressCallback | None,
        total_bytes: int = 0,
        total_files: int = 0,
        phase: str = "transferring",
    ) -> None:
        self._callback = callback
        self._extra = _takes(callback, EXTRA_COUNTS)
        self._discovery = _takes(callback, DISCOVERY)
        self.phase = phase
        self.found_files = 0
        self.found_bytes = 0
        self._owner = threading.get_ident()
        self._lock = threading.Lock()
        self._reported: tuple[object, ...] | None = None
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
            found = (self.phase, self.found_files, self.found_bytes) if self._discovery else ()
        if numbers + extra + found != self._reported:
            self._reported = numbers + extra + found
            keywords: dict[str, object] = dict(zip(EXTRA_COUNTS, extra, strict=False))
            keywords.update(zip(DISCOVERY, found, strict=False))
            self._callback(*numbers, **keywords)

    def found(self, files: int, size: int) -> None:
        """Count ``files`` more source files found, of ``size`` bytes in all."""
        self.found_files += files
        self.found_bytes += size
        self.flush()

    def grow(self, files: int, size: int) -> None:
        """Add ``files`` planned files of ``size`` bytes to the totals."""
        with self._lock:
            self.total_files += files
            self.total_bytes += size
        self.flush()

    def enter(self, phase: str) -> None:
        """Move on to ``phase`` (one of :data:`PHASES`); never back."""
        if PHASES.index(phase) > PHASES.index(self.phase):
            self.phase = phase
            self.flush()

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

    __slots__ = ("_finished", "_folder", "done")  # one a file in flight: no dict each

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
