"""What only the sync flavour has: its sleep, how it enforces a deadline, how it runs blocking
work (in the calling thread) and bounded concurrent work (a thread pool), its default transport.

Hand-written, like ``_async/_io.py`` (code generated from the async source calls the same
names as it has); ``scripts/unasync.py`` leaves this file alone.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .._config import Config
from .._transports.timing import Deadline

if TYPE_CHECKING:
    from .._transports._sync.base import Transport

T = TypeVar("T")
R = TypeVar("R")
TICK_S = 0.1  # how often the calling thread runs ``tick`` while the workers run


C = TypeVar("C", bound="Closing")


class Closing:
    """What closes at the end of a ``with``: ``__enter__`` returns the object itself and
    ``__exit__`` calls its ``close()``, whatever ended the block.

    Example::

        class Pool(Closing):
            def close(self) -> None: ...
    """

    def close(self) -> None:
        """Release what the object holds."""

    def __enter__(self: C) -> C:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def sleep(seconds: float) -> None:
    """Sleep the calling thread."""
    time.sleep(seconds)


def run_blocking(fn: Callable[..., R], *args: Any) -> R:
    """``fn(*args)``, right here: a thread may block (the async flavour moves it off its loop).

    Example: ``data = run_blocking(file.read, 1 << 20)``.
    """
    return fn(*args)


def run_to_end(fn: Callable[..., R], *args: Any) -> R:
    """``fn(*args)``, right here (the async flavour shields such cleanup from cancellation).

    Example: ``run_to_end(opened.discard)``.
    """
    return fn(*args)


def open_blocking(fn: Callable[..., R], release: Callable[[R], object], *args: Any) -> R:
    """``fn(*args)``, right here; ``release`` is for the async flavour, whose caller can be
    cancelled while ``fn`` runs in a worker thread.

    Example: ``opened = open_blocking(open_destination, lambda o: o.discard(), "a.bin")``.
    """
    return fn(*args)


def _nothing() -> None:
    return None


def map_bounded(
    fn: Callable[[T], R],
    items: Iterable[T],
    concurrency: int,
    *,
    tick: Callable[[], None] = _nothing,
    abort: Callable[[], None] = _nothing,
) -> list[R]:
    """``[fn(item) for item in items]`` in ``concurrency`` worker threads.

    The results keep the order of ``items``. ``tick`` runs in the calling thread every
    :data:`TICK_S` seconds and after each call ends, while the workers run (so that callbacks
    reach the caller's thread). When a call raises (or ``tick`` does), ``abort()`` is called,
    no new call starts, the running ones are waited for, and the exception propagates.

    Example: ``sizes = map_bounded(fetch_size, paths, 16)``.
    """
    work = list(items)
    results: list[Any] = [None] * len(work)
    queue = iter(enumerate(work))
    lock = threading.Lock()
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            with lock:
                index, item = next(queue, (-1, None))
            if index < 0:
                return
            results[index] = fn(item)  # type: ignore[arg-type]

    with ThreadPoolExecutor(max(1, min(concurrency, len(work)))) as pool:
        pending = {pool.submit(worker) for _ in range(min(concurrency, len(work)))}
        try:
            while pending:
                done, pending = wait(pending, timeout=TICK_S, return_when=FIRST_COMPLETED)
                tick()
                for future in done:
                    future.result()
        except BaseException:
            stop.set()
            abort()
            raise
    return results


Job = Callable[[], R]
"""A job of :class:`Jobs`: a function of no arguments."""


class Jobs(Closing, Generic[R]):
    """Jobs handed one at a time by the caller, ``concurrency`` of them running at once in
    worker threads, their results given back (in the calling thread) as they end; leaving the
    block waits for the jobs still running and starts no other.

    ``completed(next_job)`` starts ``next_job()`` (a job: a function of no arguments, or None
    when none is due now) while fewer than ``concurrency`` run, and yields each result as its
    job ends, until no job runs and none is due. ``tick`` runs in the calling thread every
    :data:`TICK_S` seconds and after each job ends. A job that raises makes ``completed`` raise.

    Example::

        with Jobs[int](16) as jobs:
            for size in jobs.completed(lambda: next(queue, None)):
                total += size
    """

    def __init__(self, concurrency: int, tick: Callable[[], None] = _nothing) -> None:
        self._concurrency = concurrency
        self._tick = tick
        self._pool = ThreadPoolExecutor(concurrency)
        self._running: set[Future[R]] = set()

    def close(self) -> None:
        """Cancel the jobs not started and wait for the running ones (the end of ``with``)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._running.clear()

    def completed(self, next_job: Callable[[], Job[R] | None]) -> Iterator[R]:
        """Each job's result as it ends (see the class)."""
        while True:
            while len(self._running) < self._concurrency:
                job = next_job()
                if job is None:
                    break
                self._running.add(self._pool.submit(job))
            if not self._running:
                return
            done, _ = wait(self._running, timeout=TICK_S, return_when=FIRST_COMPLETED)
            self._running -= done
            self._tick()
            for finished in done:
                yield finished.result()


_UNARMED = contextlib.nullcontext()


def enforce(deadline: Deadline) -> contextlib.nullcontext[None]:
    """Nothing to arm: a thread cannot be cancelled, so the sync transports give each socket
    operation at most ``deadline.op_timeout()`` and the exchange checks the deadline between
    chunks. (The one reusable do-nothing ``with`` block, whatever the deadline.)"""
    return _UNARMED


def default_transport(config: Config) -> Transport:
    """The sync flavour's transport: urllib3 (chosen by measurement, docs/benchmarks.md)."""
    from .._transports.urllib3 import Urllib3Transport

    return Urllib3Transport(config)
