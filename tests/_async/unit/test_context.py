"""The context service against a mocked HTTP layer: the exact wire form and every result field."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
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
from tests._async.mocking import mocked
from tests.helpers import API_KEY, CONTEXT_DATA, ENDPOINT, action, form, ok, refused


@pytest.fixture
async def mocked_bay() -> AsyncIterator[AsyncAgentBay]:
    cfg = Config(endpoint=ENDPOINT, timeout_ms=5000, region_id="cn-shanghai", max_retries=0)
    async with mocked(cfg) as client:
        yield client


# --------------------------------------------------------------------------- the wire form


async def test_get_by_name_sends_the_rpc_form(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    route = api.post("/").mock(return_value=ok(CONTEXT_DATA))

    await mocked_bay.context.get(name="my context")

    request = route.calls.last.request
    assert request.method == "POST"
    assert request.url.path == "/"
    query = request.url.params
    assert query["Action"] == "GetContext"
    assert query["Version"] == "2025-05-06"
    assert query["Format"] == "json"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", query["Timestamp"])
    assert len(query["SignatureNonce"]) >= 16
    assert "Authorization" not in query and API_KEY not in str(request.url)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["x-acs-action"] == "GetContext"
    assert request.headers["x-acs-version"] == "2025-05-06"
    assert request.headers["user-agent"].startswith("agentbay-contexts/")
    assert form(request) == {
        "Authorization": f"Bearer {API_KEY}",
        "Name": "my context",
        "AllowCreate": "false",
    }
    keys = [pair.split("=")[0] for pair in request.content.decode().split("&")]
    assert keys == sorted(keys)


async def test_each_attempt_has_a_fresh_nonce(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    route = api.post("/").mock(return_value=ok(CONTEXT_DATA))
    await mocked_bay.context.get(name="a")
    await mocked_bay.context.get(name="a")
    nonces = {call.request.url.params["SignatureNonce"] for call in route.calls}
    assert len(nonces) == 2


async def test_get_parses_every_context_field(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    api.post("/").mock(return_value=ok(CONTEXT_DATA, request_id="req-42"))

    result = await mocked_bay.context.get(name="my-context")

    assert result.success is True
    assert result.request_id == "req-42"
    assert result.context_id == "ctx-04bdwfj7u22a1s30g"
    assert result.error_message == ""
    assert result.context == Context(
        id="ctx-04bdwfj7u22a1s30g",
        name="my-context",
        created_at="2025-05-29T12:00:00Z",
        last_used_at="2025-05-30T08:30:00Z",
    )


async def test_get_with_create_sends_allow_create_and_region(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    route = api.post("/").mock(return_value=ok(CONTEXT_DATA))

    result = await mocked_bay.context.get(name="new-context", create=True)

    assert result.success
    assert form(route.calls.last.request) == {
        "Authorization": f"Bearer {API_KEY}",
        "Name": "new-context",
        "AllowCreate": "true",
        "LoginRegionId": "cn-shanghai",
    }


async def test_create_is_get_with_create(api: respx.MockRouter, mocked_bay: AsyncAgentBay) -> None:
    route = api.post("/").mock(return_value=ok(CONTEXT_DATA))

    result = await mocked_bay.context.create("new-context")

    assert result.context_id == CONTEXT_DATA["Id"]
    sent = form(route.calls.last.request)
    assert (action(route.calls.last.request), sent["Name"], sent["AllowCreate"]) == (
        "GetContext",
        "new-context",
        "true",
    )


async def test_get_by_id(api: respx.MockRouter, mocked_bay: AsyncAgentBay) -> None:
    route = api.post("/").mock(return_value=ok(CONTEXT_DATA))

    result = await mocked_bay.context.get(context_id="ctx-04bdwfj7u22a1s30g")

    assert result.context is not None and result.context.name == "my-context"
    assert form(route.calls.last.request) == {
        "Authorization": f"Bearer {API_KEY}",
        "ContextId": "ctx-04bdwfj7u22a1s30g",
        "AllowCreate": "false",
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"create": True},
        {"context_id": "ctx-1", "create": True},
        {"name": "a", "context_id": "ctx-1"},
        {"name": ""},
        {"name": "a\0b"},
        {"context_id": 42},
    ],
)
async def test_get_refuses_bad_arguments_before_sending(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay, kwargs: dict[str, object]
) -> None:
    route = api.post("/").mock(return_value=ok(CONTEXT_DATA))
    with pytest.raises(AgentBayError):
        await mocked_bay.context.get(**kwargs)  # type: ignore[arg-type]
    assert not route.called


async def test_list_defaults_to_ten_and_parses_the_page(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    second = {**CONTEXT_DATA, "Id": "ctx-2", "Name": "other"}
    route = api.post("/").mock(
        return_value=ok([CONTEXT_DATA, second], NextToken="tok-2", MaxResults=10, TotalCount=12)
    )

    result = await mocked_bay.context.list()

    assert action(route.calls.last.request) == "ListContexts"
    assert form(route.calls.last.request) == {
        "Authorization": f"Bearer {API_KEY}",
        "MaxResults": "10",
    }
    assert result.success and result.request_id == "req-1"
    assert [c.id for c in result.contexts] == ["ctx-04bdwfj7u22a1s30g", "ctx-2"]
    assert result.contexts[1].name == "other"
    assert (result.next_token, result.max_results, result.total_count) == ("tok-2", 10, 12)


async def test_list_sends_the_paging_params(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    route = api.post("/").mock(return_value=ok([], MaxResults=20, TotalCount=0))

    result = await mocked_bay.context.list(
        ContextListParams(max_results=20, next_token="tok-2", session_id="s-1")
    )

    assert form(route.calls.last.request) == {
        "Authorization": f"Bearer {API_KEY}",
        "MaxResults": "20",
        "NextToken": "tok-2",
        "SessionId": "s-1",
    }
    assert result.contexts == [] and result.next_token is None and result.total_count == 0


async def test_list_refuses_a_page_size_below_one(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    route = api.post("/").mock(return_value=ok([]))
    with pytest.raises(AgentBayError, match="max_results"):
        await mocked_bay.context.list(ContextListParams(max_results=0))
    assert not route.called


async def test_update_renames_with_modify_context(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    route = api.post("/").mock(return_value=ok(request_id="req-mod"))
    context = Context(id="ctx-1", name="old")
    context.name = "new-name"

    result = await mocked_bay.context.update(context)

    assert action(route.calls.last.request) == "ModifyContext"
    assert form(route.calls.last.request) == {
        "Authorization": f"Bearer {API_KEY}",
        "Id": "ctx-1",
        "Name": "new-name",
    }
    assert (result.success, result.data, result.request_id) == (True, True, "req-mod")


async def test_update_reports_a_refusal_as_a_failed_result(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    api.post("/").mock(return_value=refused("InvalidContext.NameExists", "name taken"))
    result = await mocked_bay.context.update(Context(id="ctx-1", name="taken"))
    assert not result.success
    assert result.error_message == "[InvalidContext.NameExists] name taken"
    assert result.request_id == "req-err"


async def test_update_and_delete_raise_when_the_service_is_unreachable(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    api.post("/").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(AgentBayError, match="update context ctx-1"):
        await mocked_bay.context.update(Context(id="ctx-1", name="n"))
    with pytest.raises(AgentBayError, match="delete context ctx-1"):
        await mocked_bay.context.delete(Context(id="ctx-1", name="n"))


async def test_delete(api: respx.MockRouter, mocked_bay: AsyncAgentBay) -> None:
    route = api.post("/").mock(return_value=ok(request_id="req-del"))

    result = await mocked_bay.context.delete(Context(id="ctx-1", name="n"))

    assert action(route.calls.last.request) == "DeleteContext"
    assert form(route.calls.last.request) == {"Authorization": f"Bearer {API_KEY}", "Id": "ctx-1"}
    assert result.success and result.request_id == "req-del"


async def test_update_and_delete_refuse_what_is_not_a_context(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    route = api.post("/").mock(return_value=ok())
    with pytest.raises(AgentBayError, match="Context"):
        await mocked_bay.context.delete("ctx-1")  # type: ignore[arg-type]
    with pytest.raises(AgentBayError, match=r"context\.name"):
        await mocked_bay.context.update(Context(id="ctx-1", name=""))
    assert not route.called


@pytest.mark.parametrize(
    ("method", "wire_action"),
    [
        ("get_file_download_url", "GetContextFileDownloadUrl"),
        ("get_file_upload_url", "GetContextFileUploadUrl"),
    ],
)
async def test_file_urls(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay, method: str, wire_action: str
) -> None:
    url = "https://oss.example/ctx-1/a.txt?sig=abc"
    route = api.post("/").mock(return_value=ok({"Url": url, "ExpireTime": 3600}))

    result = await getattr(mocked_bay.context, method)("ctx-1", "/data/a.txt")

    assert action(route.calls.last.request) == wire_action
    assert form(route.calls.last.request) == {
        "Authorization": f"Bearer {API_KEY}",
        "ContextId": "ctx-1",
        "FilePath": "/data/a.txt",
    }
    assert (result.success, result.url, result.expire_time) == (True, url, 3600)


async def test_delete_file(api: respx.MockRouter, mocked_bay: AsyncAgentBay) -> None:
    route = api.post("/").mock(return_value=ok())

    result = await mocked_bay.context.delete_file("ctx-1", "/data/a.txt")

    assert action(route.calls.last.request) == "DeleteContextFile"
    assert form(route.calls.last.request)["FilePath"] == "/data/a.txt"
    assert result.success


async def test_list_files_sends_page_number_and_size_and_parses_entries(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    entry = {
        "FileId": "f-1",
        "FileName": "a.txt",
        "FilePath": "/data/a.txt",
        "FileType": "file",
        "GmtCreate": "2025-05-29T12:00:00Z",
        "GmtModified": "2025-05-29T12:01:00Z",
        "Size": 5,
        "Status": "ready",
    }
    route = api.post("/").mock(return_value=ok([entry], Count=7))

    result = await mocked_bay.context.list_files("ctx-1", "/data", page_number=2, page_size=3)

    assert action(route.calls.last.request) == "DescribeContextFiles"
    assert form(route.calls.last.request) == {
        "Authorization": f"Bearer {API_KEY}",
        "ContextId": "ctx-1",
        "ParentFolderPath": "/data",
        "PageNumber": "2",
        "PageSize": "3",
    }
    assert result.success and result.count == 7
    (got,) = result.entries
    assert (got.file_id, got.file_name, got.file_path, got.file_type) == (
        "f-1",
        "a.txt",
        "/data/a.txt",
        "file",
    )
    assert (got.gmt_create, got.gmt_modified, got.size, got.status) == (
        "2025-05-29T12:00:00Z",
        "2025-05-29T12:01:00Z",
        5,
        "ready",
    )


async def test_list_files_defaults_and_bad_paging(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    route = api.post("/").mock(return_value=ok([], Count=0))
    result = await mocked_bay.context.list_files("ctx-1", "/")
    assert result.entries == [] and result.count == 0
    sent = form(route.calls.last.request)
    assert (sent["PageNumber"], sent["PageSize"]) == ("1", "50")
    with pytest.raises(AgentBayError, match="page_size"):
        await mocked_bay.context.list_files("ctx-1", "/", page_size=0)
    with pytest.raises(AgentBayError, match="parent_folder_path"):
        await mocked_bay.context.list_files("ctx-1", "")
    assert route.call_count == 1


async def test_list_files_pages_by_token_when_asked(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    route = api.post("/").mock(return_value=ok([], Count=0, NextToken="t-2"))
    first = await mocked_bay.context.list_files("ctx-1", "/d", max_results=7)
    assert form(route.calls.last.request) == {
        "Authorization": f"Bearer {API_KEY}",
        "ContextId": "ctx-1",
        "ParentFolderPath": "/d",
        "MaxResults": "7",
    }
    assert first.next_token == "t-2"
    await mocked_bay.context.list_files("ctx-1", "/d", next_token="t-2")
    sent = form(route.calls.last.request)
    assert sent["NextToken"] == "t-2" and "PageNumber" not in sent and "MaxResults" not in sent
    with pytest.raises(AgentBayError, match="max_results"):
        await mocked_bay.context.list_files("ctx-1", "/", max_results=0)
    assert route.call_count == 2


async def test_failures_carry_code_message_and_status(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    api.post("/").mock(
        side_effect=[
            refused("InvalidContext.NotFound", "no such context", 404),
            refused("InvalidContext.NotFound", "no such context", 404),
            httpx.ConnectError("refused"),
            ok({"Id": 5}),
        ]
    )
    deleted = await mocked_bay.context.delete_file("ctx-1", "/a")
    assert (deleted.code, deleted.message, deleted.http_status_code) == (
        "InvalidContext.NotFound",
        "no such context",
        404,
    )
    assert deleted.error_message == "[InvalidContext.NotFound] no such context"
    with pytest.raises(AgentBayError) as caught:
        await mocked_bay.context.clear_async("ctx-1")
    assert (caught.value.code, caught.value.http_status_code) == ("InvalidContext.NotFound", 404)
    unreachable = await mocked_bay.context.list()
    assert (unreachable.code, unreachable.http_status_code) == ("SDK.ConnectionFailed", 0)
    malformed = await mocked_bay.context.get(name="a")
    assert malformed.code == "SDK.MalformedResponse" and malformed.http_status_code == 200
    assert malformed.get_request_id() == "req-1"


async def test_clear_async_starts_clearing(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    route = api.post("/").mock(return_value=ok(request_id="req-clear"))

    result = await mocked_bay.context.clear_async("ctx-1")

    assert action(route.calls.last.request) == "ClearContext"
    assert form(route.calls.last.request) == {"Authorization": f"Bearer {API_KEY}", "Id": "ctx-1"}
    assert (result.success, result.status, result.context_id, result.request_id) == (
        True,
        "clearing",
        "ctx-1",
        "req-clear",
    )


async def test_clear_async_raises_when_refused(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    api.post("/").mock(return_value=refused("InvalidContext.NotFound", "no such context", 400))
    with pytest.raises(AgentBayError, match=r"\[InvalidContext.NotFound\] no such context") as info:
        await mocked_bay.context.clear_async("ctx-missing")
    assert info.value.code == "InvalidContext.NotFound"
    assert info.value.request_id == "req-err"


async def test_start_clear_is_a_deprecated_alias(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    route = api.post("/").mock(return_value=ok())
    with pytest.warns(DeprecationWarning, match="clear_async"):
        result = await mocked_bay.context.start_clear("ctx-1")
    assert action(route.calls.last.request) == "ClearContext"
    assert result.status == "clearing"


async def test_get_clear_status_reads_the_state(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    route = api.post("/").mock(return_value=ok({**CONTEXT_DATA, "State": "clearing"}))

    result = await mocked_bay.context.get_clear_status("ctx-04bdwfj7u22a1s30g")

    assert form(route.calls.last.request) == {
        "Authorization": f"Bearer {API_KEY}",
        "ContextId": "ctx-04bdwfj7u22a1s30g",
        "AllowCreate": "false",
    }
    assert (result.success, result.status, result.context_id) == (
        True,
        "clearing",
        "ctx-04bdwfj7u22a1s30g",
    )


async def test_clear_polls_until_available(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    clearing = {**CONTEXT_DATA, "State": "clearing"}
    route = api.post("/").mock(
        side_effect=[ok(request_id="req-start"), ok(clearing), ok(clearing), ok(CONTEXT_DATA)]
    )

    result = await mocked_bay.context.clear("ctx-1", timeout=5, poll_interval=0.01)

    assert [action(call.request) for call in route.calls] == [
        "ClearContext",
        "GetContext",
        "GetContext",
        "GetContext",
    ]
    assert (result.success, result.status, result.request_id, result.context_id) == (
        True,
        "available",
        "req-start",
        "ctx-1",
    )


async def test_clear_times_out(api: respx.MockRouter, mocked_bay: AsyncAgentBay) -> None:
    api.post("/").mock(side_effect=[ok()] + [ok({**CONTEXT_DATA, "State": "clearing"})] * 50)
    with pytest.raises(ClearanceTimeoutError):
        await mocked_bay.context.clear("ctx-1", timeout=0.05, poll_interval=0.01)  # type: ignore[arg-type]


async def test_clear_raises_when_polling_fails(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    api.post("/").mock(side_effect=[ok(), refused("InvalidContext.NotFound", "gone")])
    with pytest.raises(AgentBayError, match="gone") as info:
        await mocked_bay.context.clear("ctx-1", timeout=5, poll_interval=0.01)
    assert not isinstance(info.value, ClearanceTimeoutError)


async def test_clear_refuses_negative_durations(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    route = api.post("/").mock(return_value=ok())
    with pytest.raises(AgentBayError, match="timeout"):
        await mocked_bay.context.clear("ctx-1", timeout=-1)
    with pytest.raises(AgentBayError, match="poll_interval"):
        await mocked_bay.context.clear("ctx-1", poll_interval=-0.5)
    assert not route.called


@pytest.mark.parametrize(
    ("method", "args", "named"),
    [
        ("get_file_download_url", ("", "/a"), "context_id"),
        ("get_file_upload_url", ("ctx-1", ""), "file_path"),
        ("get_file_upload_url", ("ctx-1", "/a\0b"), "file_path"),
        ("delete_file", (7, "/a"), "context_id"),
        ("delete_file", ("ctx-1", None), "file_path"),
        ("list_files", ("ctx-1", "/", 0), "page_number"),
        ("list_files", ("ctx-1", "/", 1, "10"), "page_size"),
        ("clear_async", ("",), "context_id"),
        ("get_clear_status", ("ctx\0",), "context_id"),
        ("clear", ("ctx-1", 1, float("nan")), "poll_interval"),
        ("update", (Context(id="", name="n"),), "context.id"),
        ("delete", (Context(id="ctx\0", name="n"),), "context.id"),
        ("upload_file", ("ctx-1", "", b"x"), "file_path"),
        ("upload_file", ("ctx-1", "/a", 42), "source"),
        ("download_file", ("", "/a", "out.bin"), "context_id"),
    ],
)
async def test_bad_arguments_are_refused_before_sending(
    api: respx.MockRouter,
    mocked_bay: AsyncAgentBay,
    method: str,
    args: tuple[object, ...],
    named: str,
) -> None:
    route = api.post("/").mock(return_value=ok())
    with pytest.raises(AgentBayError, match=re.escape(named)):
        await getattr(mocked_bay.context, method)(*args)
    assert not route.called


# --------------------------------------------------------------------------- failures


async def test_api_failure_is_a_failed_result(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    api.post("/").mock(return_value=refused("InvalidContext.NotFound", "not found", 400))
    result = await mocked_bay.context.get(context_id="ctx-x")
    assert (result.success, result.context, result.request_id) == (False, None, "req-err")
    assert result.error_message == "[InvalidContext.NotFound] not found"


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx.Response(502, text="<html><body>Bad Gateway</body></html>"), "not JSON"),
        (httpx.Response(200, text="[1, 2]"), "not a JSON object"),
        (httpx.Response(200, text='{"RequestId": "r", "Succ'), "not JSON"),
        (httpx.Response(500, json={"RequestId": "r"}), "HTTP500"),
        (ok({"Id": 5, "Name": "x"}), "Malformed response: Id"),
        (ok("a string"), "Malformed response: Data"),
    ],
)
async def test_odd_responses_are_failed_results(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay, response: httpx.Response, expected: str
) -> None:
    api.post("/").mock(return_value=response)
    result = await mocked_bay.context.get(name="a")
    assert not result.success
    assert expected in result.error_message


async def test_network_errors_and_timeouts_are_failed_results(
    api: respx.MockRouter, mocked_bay: AsyncAgentBay
) -> None:
    api.post("/").mock(side_effect=[httpx.ConnectError("boom"), httpx.ReadTimeout("slow")])
    first = await mocked_bay.context.list()
    second = await mocked_bay.context.get_file_upload_url("ctx-1", "/a")
    assert (
        not first.success
        and first.error_message == "Network error: cannot connect to agentbay.test"
    )
    assert not second.success and "timed out after 5000 ms" in second.error_message


async def test_transient_failures_are_retried(api: respx.MockRouter) -> None:
    route = api.post("/").mock(
        side_effect=[
            refused("Throttling", "slow down", 503),
            httpx.ConnectError("reset"),
            ok(CONTEXT_DATA),
        ]
    )
    cfg = Config(endpoint=ENDPOINT, timeout_ms=5000, max_retries=3)
    async with mocked(cfg) as client:
        result = await client.context.get(name="a")
    assert result.success and route.call_count == 3


async def test_refusals_are_not_retried(api: respx.MockRouter) -> None:
    route = api.post("/").mock(return_value=refused("InvalidContext.NotFound", "no", 400))
    async with mocked(Config(endpoint=ENDPOINT, timeout_ms=5000)) as client:
        result = await client.context.get(name="a")
    assert not result.success and route.call_count == 1


async def test_retries_stop_at_max_retries(api: respx.MockRouter) -> None:
    route = api.post("/").mock(
        return_value=httpx.Response(
            503, json={"Code": "Throttling", "Message": "later"}, headers={"Retry-After": "0"}
        )
    )
    async with mocked(Config(endpoint=ENDPOINT, timeout_ms=5000, max_retries=2)) as client:
        result = await client.context.get(name="a")
    assert route.call_count == 3
    assert result.error_message == "[Throttling] later (after 3 attempts)"


# --------------------------------------------------------------------------- the client


async def test_uses_an_injected_http_client_and_leaves_it_open(api: respx.MockRouter) -> None:
    api.post("/").mock(return_value=ok(CONTEXT_DATA))
    async with httpx.AsyncClient(headers={"x-trace": "t-1"}) as http_client:
        async with AsyncAgentBay(
            API_KEY, Config(endpoint=ENDPOINT, timeout_ms=5000), http_client=http_client
        ) as c:
            await c.context.get(name="a")
        assert api.calls.last.request.headers["x-trace"] == "t-1"
        assert not http_client.is_closed


def test_an_http_client_of_the_other_flavour_is_refused() -> None:
    with pytest.raises(AgentBayError, match=r"http_client must be an httpx\.AsyncClient"):
        AsyncAgentBay(API_KEY, Config(endpoint=ENDPOINT, timeout_ms=5000), http_client=object())  # type: ignore[arg-type]


async def test_the_key_never_shows(api: respx.MockRouter, mocked_bay: AsyncAgentBay) -> None:
    api.post("/").mock(side_effect=httpx.ConnectError("refused"))
    result = await mocked_bay.context.get(name="a")
    assert API_KEY not in repr(mocked_bay) and API_KEY not in repr(mocked_bay.context)
    assert API_KEY not in repr(result) and API_KEY not in repr(mocked_bay.config)
    with pytest.raises(AgentBayError) as info:
        await mocked_bay.context.delete(Context(id="ctx-1", name="n"))
    assert API_KEY not in str(info.value)
