"""A successful reply of the wrong shape is a failed result that says what was wrong, and the
fields a success leaves out read as documented."""

from __future__ import annotations

from typing import Any

import pytest
import respx

from agentbay import AsyncAgentBay
from tests.helpers import ok


async def call(mocked_bay: AsyncAgentBay, method: str) -> Any:
    if method == "list":
        return await mocked_bay.context.list()
    if method == "list_files":
        return await mocked_bay.context.list_files("ctx-1", "/")
    return await mocked_bay.context.get_clear_status("ctx-1")


@pytest.mark.parametrize(
    ("method", "data", "problem"),
    [
        ("list", "x", "Data is str, expected a list"),
        ("list", [1], "an item of Data is int, expected an object"),
        ("list_files", {"a": 1}, "Data is dict, expected a list"),
        ("list_files", ["a"], "an item of Data is str, expected an object"),
        ("get_clear_status", "x", "Data is str, expected an object"),
    ],
)
async def test_a_body_of_the_wrong_shape_says_what_was_wrong(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay, method: str, data: Any, problem: str
) -> None:
    api.post("/").mock(return_value=ok(data))
    result = await call(mocked_bay, method)
    assert (result.success, result.error_message) == (False, f"Malformed response: {problem}")
    assert (result.code, result.http_status_code) == ("SDK.MalformedResponse", 200)


async def test_a_page_of_files_keeps_its_request_and_status(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    api.post("/").mock(return_value=ok([], request_id="req-5", Count=0))
    result = await mocked_bay.context.list_files("ctx-1", "/")
    assert (result.success, result.request_id, result.http_status_code) == (True, "req-5", 200)


async def test_a_clearing_status_without_state_or_id_reads_clearing(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    api.post("/").mock(return_value=ok({}, request_id="req-6"))
    result = await mocked_bay.context.get_clear_status("ctx-1")
    assert (result.success, result.request_id) == (True, "req-6")
    assert (result.status, result.context_id) == ("clearing", "")


async def test_a_context_without_a_name_reads_as_empty_text(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    api.post("/").mock(return_value=ok([{"Id": "ctx-1"}]))
    (context,) = (await mocked_bay.context.list()).contexts
    assert (context.id, context.name, context.created_at) == ("ctx-1", "", None)
