"""Every bad argument is refused before anything is sent, with a message naming the argument
as the caller wrote it (the message is what a user reads to fix the call)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import respx

from agentbay import (
    AgentBayError,
    AsyncAgentBay,
    ClearanceTimeoutError,
    Config,
    Context,
    ContextListParams,
)
from tests.helpers import API_KEY, ENDPOINT

SURROGATE = "is not valid text: it holds a lone surrogate (undecodable bytes?)"


async def drain(items: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in items]


CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    ("list", (ContextListParams(max_results=0),), {}, "max_results must be >= 1, got 0"),
    ("list", (ContextListParams(next_token="t\udcff"),), {}, f"next_token {SURROGATE}"),
    ("list", (ContextListParams(session_id="s\udcff"),), {}, f"session_id {SURROGATE}"),
    ("get", (), {"name": " "}, "name must not be empty"),
    ("get", (), {}, "Either 'name' or 'context_id' must be provided"),
    (
        "get",
        (),
        {"name": "a", "context_id": "c"},
        "Provide either 'name' or 'context_id', not both",
    ),
    (
        "get",
        (),
        {"context_id": "c", "create": True},
        "create=True is only allowed with 'name', not with 'context_id'",
    ),
    ("get", (), {"context_id": ""}, "context_id must not be empty"),
    ("update", ("ctx-1",), {}, "context must be a Context, got str"),
    ("update", (Context("", "a"),), {}, "context.id must not be empty"),
    ("update", (Context("ctx-1", ""),), {}, "context.name must not be empty"),
    ("delete", (None,), {}, "context must be a Context, got NoneType"),
    ("delete", (Context("", "a"),), {}, "context.id must not be empty"),
    ("get_file_download_url", ("", "/a"), {}, "context_id must not be empty"),
    ("get_file_download_url", ("ctx-1", ""), {}, "file_path must not be empty"),
    ("get_file_upload_url", ("", "/a"), {}, "context_id must not be empty"),
    ("get_file_upload_url", ("ctx-1", "a\0"), {}, "file_path must not contain NUL characters"),
    ("delete_file", ("", "/a"), {}, "context_id must not be empty"),
    ("delete_file", ("ctx-1", ""), {}, "file_path must not be empty"),
    ("list_files", ("", "/"), {}, "context_id must not be empty"),
    ("list_files", ("ctx-1", ""), {}, "parent_folder_path must not be empty"),
    ("list_files", ("ctx-1", "/"), {"page_number": 0}, "page_number must be >= 1, got 0"),
    ("list_files", ("ctx-1", "/"), {"page_size": 0}, "page_size must be >= 1, got 0"),
    ("list_files", ("ctx-1", "/"), {"max_results": 0}, "max_results must be >= 1, got 0"),
    ("list_files", ("ctx-1", "/"), {"next_token": "t\udcff"}, f"next_token {SURROGATE}"),
    ("clear_async", ("",), {}, "context_id must not be empty"),
    ("get_clear_status", ("",), {}, "context_id must not be empty"),
    ("clear", ("",), {}, "context_id must not be empty"),
    ("clear", ("ctx-1",), {"timeout": -1}, "timeout must be >= 0, got -1"),
    ("clear", ("ctx-1",), {"timeout": True}, "timeout must be a number of seconds, got bool"),
    (
        "clear",
        ("ctx-1",),
        {"poll_interval": "2"},
        "poll_interval must be a number of seconds, got str",
    ),
    ("upload_file", ("", "/a", b"x"), {}, "context_id must not be empty"),
    ("upload_file", ("ctx-1", "", b"x"), {}, "file_path must not be empty"),
    ("upload_file", ("ctx-1", "/a", b"x"), {"timeout": -1}, "timeout must be >= 0, got -1"),
    ("download_file", ("", "/a", "out.bin"), {}, "context_id must not be empty"),
    ("download_file", ("ctx-1", " ", "out.bin"), {}, "file_path must not be empty"),
    ("download_file", ("ctx-1", "/a", "out.bin"), {"timeout": -1}, "timeout must be >= 0, got -1"),
]


@pytest.mark.parametrize(("method", "args", "kwargs", "message"), CASES)
async def test_a_bad_argument_is_named_in_the_error(
    api: respx.MockRouter,
    mocked_bay: AsyncAgentBay,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    message: str,
) -> None:
    route = api.post("/")
    with pytest.raises(AgentBayError) as caught:
        await getattr(mocked_bay.context, method)(*args, **kwargs)
    assert str(caught.value) == message
    assert not route.called


ITERATOR_CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    ("iter_contexts", (), {"page_size": 0}, "page_size must be >= 1, got 0"),
    ("iter_contexts", (), {"session_id": "s\udcff"}, f"session_id {SURROGATE}"),
    ("iter_files", ("ctx-1", "/"), {"page_size": "9"}, "page_size must be an int, got str"),
    ("iter_files", ("ctx-1", " "), {}, "parent_folder_path must not be empty"),
    ("iter_files", ("", "/"), {}, "context_id must not be empty"),
]


@pytest.mark.parametrize(("method", "args", "kwargs", "message"), ITERATOR_CASES)
async def test_a_bad_iterator_argument_is_named_in_the_error(
    api: respx.MockRouter,
    mocked_bay: AsyncAgentBay,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    message: str,
) -> None:
    route = api.post("/")
    with pytest.raises(AgentBayError) as caught:
        await drain(getattr(mocked_bay.context, method)(*args, **kwargs))
    assert str(caught.value) == message
    assert not route.called


async def test_clear_with_no_time_gives_up_at_once(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    route = api.post("/")
    with pytest.raises(ClearanceTimeoutError) as caught:
        await mocked_bay.context.clear("ctx-1", timeout=0)
    assert str(caught.value) == "Context ctx-1 was still clearing after 0 s"
    assert not route.called


def test_the_client_shows_its_endpoint_never_its_key() -> None:
    client = AsyncAgentBay(API_KEY, Config(endpoint="http://127.0.0.1:9/api", timeout_ms=1000))
    assert repr(client) == f"{type(client).__name__}(endpoint='http://127.0.0.1:9/api')"
    assert type(client).__name__ in ("AsyncAgentBay", "AgentBay")


def test_an_http_client_of_the_other_kind_is_named() -> None:
    with pytest.raises(AgentBayError) as caught:
        AsyncAgentBay(API_KEY, Config(endpoint=ENDPOINT, timeout_ms=1000), http_client="httpx")  # type: ignore[arg-type]
    assert str(caught.value) == "http_client must be an httpx.AsyncClient, got str"
