"""The iterators against a scripted service: what each page request carries, what a failed or
repeated page raises, and which folders a recursive walk follows (a listing may be hostile)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

from agentbay import AgentBayError, AsyncAgentBay
from tests.helpers import form, ok, refused

Tree = dict[str, list[dict[str, Any]]]


def sent(route: respx.Route) -> list[dict[str, str]]:
    """The form of every request ``route`` answered, without the Authorization field."""
    forms = [form(call.request) for call in route.calls]
    return [{k: v for k, v in f.items() if k != "Authorization"} for f in forms]


def two_pages(first: list[dict[str, Any]], second: list[dict[str, Any]]) -> Callable[..., Any]:
    """Answers the first page with NextToken ``t2``, then the last page."""

    def answer(request: httpx.Request) -> httpx.Response:
        if "NextToken" in form(request):
            return ok(second, request_id="req-2")
        return ok(first, request_id="req-1", NextToken="t2")

    return answer


async def test_iter_contexts_asks_50_a_page_and_keeps_the_session_on_every_page(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    route = api.post("/").mock(side_effect=two_pages([{"Id": "c1"}], [{"Id": "c2"}]))
    contexts = [c async for c in mocked_bay.context.iter_contexts(session_id="s-1")]
    assert [c.id for c in contexts] == ["c1", "c2"]
    assert sent(route) == [
        {"MaxResults": "50", "SessionId": "s-1"},
        {"MaxResults": "50", "NextToken": "t2", "SessionId": "s-1"},
    ]


async def test_iter_files_asks_100_a_page_by_token(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    route = api.post("/").mock(
        side_effect=two_pages([{"FilePath": "/d/a"}], [{"FilePath": "/d/b"}])
    )
    entries = [e async for e in mocked_bay.context.iter_files("ctx-1", "/d")]
    assert [e.file_path for e in entries] == ["/d/a", "/d/b"]
    where = {"ContextId": "ctx-1", "ParentFolderPath": "/d", "MaxResults": "100"}
    assert sent(route) == [where, {**where, "NextToken": "t2"}]


async def drain(mocked_bay: AsyncAgentBay, what: str) -> list[Any]:
    if what == "contexts":
        return [c async for c in mocked_bay.context.iter_contexts()]
    return [e async for e in mocked_bay.context.iter_files("ctx-1", "/")]


@pytest.mark.parametrize("what", ["contexts", "files"])
async def test_a_repeated_page_names_what_was_listed_and_the_request(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay, what: str
) -> None:
    api.post("/").mock(return_value=ok([{"Id": "c", "FilePath": "/f"}], "req-7", NextToken="t"))
    with pytest.raises(AgentBayError) as caught:
        await drain(mocked_bay, what)
    assert (
        str(caught.value) == f"Failed to list {what}: the service repeated a page it already sent"
    )
    assert (caught.value.code, caught.value.request_id) == ("SDK.RepeatedPage", "req-7")


@pytest.mark.parametrize("what", ["contexts", "files"])
async def test_a_failed_page_raises_the_service_failure(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay, what: str
) -> None:
    api.post("/").mock(return_value=refused("Forbidden.Page", "no", 403, request_id="req-9"))
    with pytest.raises(AgentBayError) as caught:
        await drain(mocked_bay, what)
    assert str(caught.value) == f"Failed to list {what}: [Forbidden.Page] no"
    error = caught.value
    assert (error.code, error.request_id, error.http_status_code) == (
        "Forbidden.Page",
        "req-9",
        403,
    )


def folder(path: str) -> dict[str, Any]:
    return {"FilePath": path, "FileName": path.rsplit("/", 1)[-1], "FileType": "folder"}


def file(path: str) -> dict[str, Any]:
    return {"FilePath": path, "FileName": path.rsplit("/", 1)[-1], "FileType": "file"}


def serve_tree(api: respx.MockRouter, tree: Tree) -> respx.Route:
    """Answer DescribeContextFiles from ``tree``: {folder: its entries}, one page each (the
    folder asked for with or without its final slash)."""

    def answer(request: httpx.Request) -> httpx.Response:
        folder = form(request)["ParentFolderPath"]
        return ok(tree.get(folder, tree.get(folder.rstrip("/") or "/", [])))

    return api.post("/").mock(side_effect=answer)


async def walk(mocked_bay: AsyncAgentBay, top: str) -> list[str]:
    found = mocked_bay.context.iter_files("ctx-1", top, recursive=True)
    return [entry.file_path async for entry in found]


async def test_a_recursive_walk_from_the_root_reaches_every_folder(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    route = serve_tree(
        api,
        {
            "/": [folder("/a"), folder("/X"), file("/top")],
            "/a": [folder("/a/b"), file("/a/f")],
            "/a/b": [file("/a/b/g")],
            "/X": [file("/X/h")],
        },
    )
    found = await walk(mocked_bay, "/")
    assert found[0] == "/top"  # the root's page comes first; then sibling folders at once
    assert sorted(found) == sorted(["/top", "/a/f", "/a/b/g", "/X/h"])
    asked = [f["ParentFolderPath"] for f in sent(route)]
    assert asked[0] == "/" and sorted(asked) == ["/", "/X/", "/a/", "/a/b/"]
    assert asked.index("/a/") < asked.index("/a/b/")


async def test_a_recursive_walk_follows_each_folder_once_and_only_below(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    route = serve_tree(
        api,
        {
            "/t/": [folder("/t/a"), folder("/t/a/"), folder("/t"), folder("/elsewhere")],
            "/t/a": [file("/t/a/f"), folder("/t/a")],
            "/X": [folder("/Y")],
        },
    )
    assert await walk(mocked_bay, "/t/") == ["/t/a/f"]
    assert await walk(mocked_bay, "/X") == []
    assert [f["ParentFolderPath"] for f in sent(route)] == ["/t/", "/t/a/", "/X/"]
