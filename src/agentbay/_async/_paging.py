"""The one paginator: token paging with a guard against a repeated token, for every listing
(``iter_contexts``, ``iter_files`` and the folder transfers' listing).

Example::

    async def fetch(token: str | None) -> ContextFileListResult:
        return await service.list_files(ctx_id, "/data", max_results=50, next_token=token)

    async for page in pages(fetch, "list files"):
        print(page.entries)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, TypeVar

from .. import _results
from .._models import ContextFileListResult, ContextListResult

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
