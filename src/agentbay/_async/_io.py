"""What only the async flavour has: its sleep, how it enforces a deadline, how it runs blocking
work (off the event loop) and bounded concurrent work, its default transport.

(The sync flavour's counterpart is ``_sync/_io.py``, hand-written too; code generated from the
async source calls the same names there.)
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .._config import Config
from .._transports.timing import Deadline

if sys.version_info >= (3, 11):
    from asyncio import Timeout, timeout_at

    def _move(scope: Timeout, when: float) -> None:
        scope.reschedule(when)

else:  # pragma: no cover - Python 3.10
    from async_timeout import Timeout, timeout_at

    def _move(scope: Timeout, when: float) -> None:
        scope.update(when)


if TYPE_CHECKING:
    from .._transports._async.base import AsyncTransport

T = TypeVar("T")
R = TypeVar("R")


C = TypeVar("C", bound="Closing")


class Closing:
    """What closes at the end of an ``async with``: ``__aenter__`` returns the object itself and
    ``__aexit__`` awaits its ``aclose()``, whatever ended the block.

    Example::

        class Pool(Closing):
            async def aclose(self) -> None: ...
    """

    async def aclose(self) -> None:
        """Release what the object holds."""

    async def __aenter__(self: C) -> C:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


async def sleep(seconds: float) -> None:
    """Sleep without blocking the event loop."""
    await asyncio.sleep(seconds)


async def run_blocking(fn: Callable[..., R], *args: Any) -> R:
    """``fn(*args)`` in a worker thread, so the event loop never waits on the disk.

    Example: ``data = await run_blocking(file.read, 1 << 20)``.
    """
    return await asyncio.to_thread(fn, *args)


async def _settled(job: asyncio.Future[Any]) -> None:
    """Wait until ``job`` ends, holding back any cancellation of the caller until then (it is
    raised once the job has ended)."""
    cancelled: asyncio.CancelledError | None = None
    while not job.done():
        try:
            await asyncio.wait([job])
        except asyncio.CancelledError as exc:
            cancelled = exc
    if cancelled is not None:
        raise cancelled


async def run_to_end(fn: Callable[..., R], *args: Any) -> R:
    """``run_blocking(fn, *args)`` for cleanup that must not be cut short: when the caller is
    cancelled, ``fn`` still runs to its end before the cancellation propagates.

    Example: ``await run_to_end(opened.discard)``.
    """
    job = asyncio.ensure_future(asyncio.to_thread(fn, *args))
    await _settled(job)
    return job.result()


async def open_blocking(fn: Callable[..., R], release: Callable[[R], object], *args: Any) -> R:
    """``run_blocking(fn, *args)`` for an ``fn`` that opens something: when the caller is
    cancelled while ``fn`` runs, what it opened is released before the cancellation propagates,
    rather than left behind (a temporary file, say).

    Example: ``opened = await open_blocking(open_destination, lambda o: o.discard(), "a.bin")``.
    """
    job = asyncio.ensure_future(asyncio.to_thread(fn, *args))
    try:
        await _settled(job)
    except asyncio.CancelledError:
        if job.exception() is None:
            with contextlib.suppress(Exception):
                await run_to_end(release, job.result())
        raise
    return job.result()


def _nothing() -> None:
    return None


async def map_bounded(
    fn: Callable[[T], Awaitable[R]],
    items: Iterable[T],
    concurrency: int,
    *,
    tick: Callable[[], None] = _nothing,
    abort: Callable[[], None] = _nothing,
) -> list[R]:
    """``[await fn(item) for item in items]``, with at most ``concurrency`` calls at a time.

    The results keep the order of ``items``. ``tick`` is called on the loop after each call
    ends. When a call raises (or the caller is cancelled), ``abort()`` is called, the other
    calls are cancelled, and the exception propagates.

    Example: ``sizes = await map_bounded(fetch_size, paths, 16)``.
    """
    work = list(items)
    results: list[Any] = [None] * len(work)
    queue = iter(enumerate(work))

    async def worker() -> None:
        for index, item in queue:
            results[index] = await fn(item)
            tick()

    tasks = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, len(work)))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        abort()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return results


Job = Callable[[], Awaitable[R]]
"""A job of :class:`Jobs`: an async function of no arguments."""


class Jobs(Closing, Generic[R]):
    """Jobs handed one at a time by the caller, ``concurrency`` of them running at once, their
    results given back as they end; leaving the block cancels the jobs still running.

    ``completed(next_job)`` starts ``next_job()`` (a job: an async function of no arguments,
    or None when none is due now) while fewer than ``concurrency`` run, and yields each
    result as its job ends, until no job runs and none is due. The caller may make new jobs
    due as it handles a result. ``tick`` is called on the loop after each job ends. A job
    that raises makes ``completed`` raise.

    Example::

        async with Jobs[int](16) as jobs:
            async for size in jobs.completed(lambda: next(queue, None)):
                total += size
    """

    def __init__(self, concurrency: int, tick: Callable[[], None] = _nothing) -> None:
        self._concurrency = concurrency
        self._tick = tick
        self._running: set[asyncio.Future[R]] = set()

    async def aclose(self) -> None:
        """Cancel the jobs still running and wait for them to end (the end of ``async with``)."""
        for job in self._running:
            job.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
        self._running.clear()

    async def completed(self, next_job: Callable[[], Job[R] | None]) -> AsyncIterator[R]:
        """Each job's result as it ends (see the class)."""
        while True:
            while len(self._running) < self._concurrency:
                job = next_job()
                if job is None:
                    break
                self._running.add(asyncio.ensure_future(job()))
            if not self._running:
                return
            done, _ = await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)
            self._running -= done
            for finished in done:
                self._tick()
                yield finished.result()


class enforce:
    """Cancel the block when ``deadline`` expires (rescheduled as it progresses) and raise the
    deadline's ``TransportError`` instead of ``TimeoutError``."""

    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline
        self._loop = asyncio.get_running_loop()
        self._scope = timeout_at(self._when())

    def _when(self) -> float:
        return self._loop.time() + self._deadline.remaining()

    def _reschedule(self) -> None:
        _move(self._scope, self._when())

    async def __aenter__(self) -> None:
        await self._scope.__aenter__()
        self._deadline.on_change = self._reschedule

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._deadline.on_change = None
        try:
            await self._scope.__aexit__(exc_type, exc, tb)
        except asyncio.TimeoutError:
            raise self._deadline.error() from None


def default_transport(config: Config) -> AsyncTransport:
    """The async flavour's transport: aiohttp (chosen by measurement, docs/benchmarks.md)."""
    from .._transports.aiohttp import AiohttpTransport

    return AiohttpTransport(config)
