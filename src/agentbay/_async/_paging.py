"""The one paginator: token paging with a guard against a repeated token, for every listing
(``iter_contexts``, ``iter_files``), and the one recursive walk of a context folder
(``iter_files(recursive=True)``; the folder transfers drive the same :class:`RemoteWalk`).

Example::

    async def fetch(token: str | None) -> ContextFileListResult:
        return await service.list_files(ctx_id, "/data", max_results=50, next_token=token)

    async for page in pages(fetch, "list files"):
        print(page.entries)
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from typing import Protocol, TypeVar

from .. import _results
from .._folders import RemoteWalk, below
from .._models import ContextFileEntry, ContextFileListResult, ContextListResult
from ._io import Job, Jobs

P = TypeVar("P", ContextListResult, ContextFileListResult)
P_co = TypeVar("P_co", ContextListResult, ContextFileListResult, covariant=True)


class Fetch(Protocol[P_co]):
    """``fetch(token)``: the page at ``token`` (the first page for None)."""

    async def __call__(self, token: str | None, /) -> P_co: ...


async def pages(fetch: Fetch[P], doing: str) -> AsyncIterator[P]:
    """Every page ``fetch(token)`` gives, from ``fetch(None)``, following ``next_token``.

    Raises :class:`~agentbay.AgentBayError` for a page that fails (with the service's
    ``code``) and for a token the service repeats (it would page forever); ``doing`` names the
    listing in the message (``"list files"``).
    """
    token: str | None = None
    seen_tokens: set[str] = set()
    while True:
        page = await fetch(token)
        if not page.success:
            raise _results.page_error(doing, page, page.error_message)
        yield page
        if not page.next_token:
            return
        if page.next_token in seen_tokens:
            raise _results.repeated_page(doing, page.request_id)
        seen_tokens.add(page.next_token)
        token = page.next_token


class FolderFetch(Protocol):
    """``fetch(folder, token)``: the page of ``folder``'s entries at ``token``."""

    async def __call__(self, folder: str, token: str | None, /) -> ContextFileListResult: ...


async def walk(fetch: FolderFetch, root: str, concurrency: int) -> AsyncIterator[ContextFileEntry]:
    """Every entry below ``root`` but the folders, walking each folder once, up to
    ``concurrency`` pages at a time (sibling folders at once; a folder's pages one after
    another). Entries come page by page as pages arrive: a folder's in the order listed, but
    those of different folders may interleave. Folders are asked for as ``"/root/sub/"``.

    Raises :class:`~agentbay.AgentBayError` as :func:`pages` does; the pages still being
    fetched are then cancelled (and when the caller stops early).
    """
    folders = RemoteWalk(root)
    folders.visit(folders.root)

    async def page(folder: str, token: str | None) -> tuple[str, ContextFileListResult]:
        return folder, await fetch(folder, token)

    def next_job() -> Job[tuple[str, ContextFileListResult]] | None:
        request = folders.request()
        return None if request is None else functools.partial(page, *request)

    async with Jobs[tuple[str, ContextFileListResult]](concurrency) as jobs:
        async for folder, listed in jobs.completed(next_job):
            for entry in folders.take(folder, listed):
                if (entry.file_type or "").lower() != "folder":
                    yield entry
                else:
                    key = below(entry.file_path, folder)
                    if key is not None:
                        folders.visit(key)
