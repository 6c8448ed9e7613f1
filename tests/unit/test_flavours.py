"""Both flavours return equal results for the same responses."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import respx

from agentbay import AgentBay, AsyncAgentBay, Config, Context, ContextListParams
from tests.helpers import API_KEY, CONTEXT_DATA, ENDPOINT, ok, refused

ENTRY = {"FileId": "f", "FileName": "a", "FilePath": "/a", "FileType": "file", "Size": 3}
URL = {"Url": "https://oss.example/x?sig=1", "ExpireTime": 3600}
# (method, args, response) for every seed method, successes and failures.
CALLS: list[tuple[str, tuple[Any, ...], httpx.Response]] = [
    ("list", (ContextListParams(max_results=2),), ok([CONTEXT_DATA], NextToken="t", TotalCount=3)),
    ("list", (), refused("Forbidden", "no")),
    ("get", ("my-context",), ok(CONTEXT_DATA)),
    ("get", ("my-context", True), refused("InvalidContext.NotFound", "gone", 400)),
    ("create", ("fresh",), ok(CONTEXT_DATA)),
    ("update", (Context(id="ctx-1", name="n"),), ok()),
    ("delete", (Context(id="ctx-1", name="n"),), refused("InvalidContext.NotFound", "gone")),
    ("get_file_download_url", ("ctx-1", "/a"), ok(URL)),
    ("get_file_upload_url", ("ctx-1", "/a"), httpx.Response(502, text="<html>")),
    ("delete_file", ("ctx-1", "/a"), ok()),
    ("list_files", ("ctx-1", "/", 2, 10), ok([ENTRY], Count=11)),
    ("clear_async", ("ctx-1",), ok()),
    ("get_clear_status", ("ctx-1",), ok({**CONTEXT_DATA, "State": "clearing"})),
]


def run_sync() -> list[Any]:
    with AgentBay(
        API_KEY,
        Config(endpoint=ENDPOINT, timeout_ms=1000, max_retries=0),
        http_client=httpx.Client(),
    ) as client:
        return [getattr(client.context, name)(*args) for name, args, _ in CALLS]


async def run_async() -> list[Any]:
    cfg = Config(endpoint=ENDPOINT, timeout_ms=1000, max_retries=0)
    async with AsyncAgentBay(API_KEY, cfg, http_client=httpx.AsyncClient()) as client:
        return [await getattr(client.context, name)(*args) for name, args, _ in CALLS]


def test_both_flavours_give_equal_results() -> None:
    with respx.mock(base_url=ENDPOINT) as api:
        api.post("/").mock(side_effect=[response for _, _, response in CALLS])
        sync_results = run_sync()
    with respx.mock(base_url=ENDPOINT) as api:
        api.post("/").mock(side_effect=[response for _, _, response in CALLS])
        async_results = anyio.run(run_async)
    assert sync_results == async_results
    assert [r.success for r in sync_results] == [
        True,
        False,
        True,
        False,
        True,
        True,
        False,
        True,
        False,
        True,
        True,
        True,
        True,
    ]
