"""The context actions: shapes, lookups, names, paging, renaming, deleting, clearing."""

from __future__ import annotations

import re
import time

import anyio
import httpx
import pytest
from emulator_support import CONTEXT_KEYS, Api, new_key, rpc_request

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
CONTEXT_ID = re.compile(r"^ctx-[a-z0-9]{16}$")


def test_create_returns_the_full_context_shape(api: Api) -> None:
    body = api.call("GetContext", Name="first", AllowCreate=True, LoginRegionId="cn-shanghai")
    assert body["HttpStatusCode"] == 200 and body["Code"] == "ok"
    data = body["Data"]
    assert set(data) == CONTEXT_KEYS
    assert CONTEXT_ID.match(data["Id"])
    assert data["Name"] == "first"
    assert TIME.match(data["CreateTime"]) and TIME.match(data["LastUsedTime"])
    assert data["State"] == "available"
    assert isinstance(data["OsType"], str)


def test_get_by_name_and_by_id_return_the_same_context(api: Api) -> None:
    context_id = api.create("same")
    by_name = api.call("GetContext", Name="same")["Data"]
    by_id = api.call("GetContext", ContextId=context_id, AllowCreate=False)["Data"]
    assert by_name == by_id and by_id["Id"] == context_id
    again = api.call("GetContext", Name="same", AllowCreate=True)["Data"]
    assert again["Id"] == context_id


@pytest.mark.parametrize("value", ["True", "true", "TRUE", "tRuE"])
def test_booleans_in_any_case_are_true(api: Api, value: str) -> None:
    body = api.call("GetContext", Name=f"b-{value}", AllowCreate=value)
    assert body["Data"]["Name"] == f"b-{value}"


@pytest.mark.parametrize("value", ["False", "false", "FALSE"])
def test_booleans_in_any_case_are_false(api: Api, value: str) -> None:
    body = api.fail("GetContext", Name="absent", AllowCreate=value)
    assert body["Code"] == "InvalidContext.NotFound"


def test_a_boolean_that_is_not_one_is_refused(api: Api) -> None:
    body = api.fail("GetContext", 400, Name="x", AllowCreate="yes")
    assert body["Code"] == "InvalidParameter.AllowCreate"
    assert body["HttpStatusCode"] == 400


def test_unknown_context_is_not_found_with_success_false(api: Api) -> None:
    for params in ({"Name": "nope"}, {"ContextId": "ctx-0000000000000000"}):
        body = api.fail("GetContext", 200, **params)
        assert body["Code"] == "InvalidContext.NotFound"
        assert body["HttpStatusCode"] == 404
        assert body["Message"]


def test_creating_by_context_id_is_refused(api: Api) -> None:
    body = api.fail("GetContext", 400, ContextId="ctx-0000000000000000", AllowCreate=True)
    assert body["Code"] == "InvalidParameter.AllowCreate"


def test_missing_parameters_are_http_400(api: Api) -> None:
    cases = {
        "GetContext": {},
        "ModifyContext": {"Id": "ctx-0000000000000000"},
        "DeleteContext": {},
        "ClearContext": {},
        "GetContextFileUploadUrl": {"ContextId": "ctx-0000000000000000"},
        "GetContextFileDownloadUrl": {"FilePath": "/a"},
        "DeleteContextFile": {"ContextId": "ctx-0000000000000000"},
        "DescribeContextFiles": {"ParentFolderPath": "/"},
    }
    for action, params in cases.items():
        body = api.fail(action, 400, **params)
        assert body["Code"] == "MissingParameter", (action, body)
        assert body["HttpStatusCode"] == 400


def test_unknown_action(api: Api) -> None:
    body = api.fail("CreateSandwich", 404)
    assert body["Code"] == "InvalidAction.NotFound"


def test_action_from_header_when_query_has_none(client: httpx.Client) -> None:
    key = new_key()
    request = rpc_request("ListContexts", key, {})
    del request["params"]["Action"]
    response = client.request(**request)
    assert response.status_code == 200 and response.json()["Success"] is True


def test_wrong_version_is_refused(client: httpx.Client) -> None:
    request = rpc_request("ListContexts", new_key(), {})
    request["params"]["Version"] = "2017-01-01"
    response = client.request(**request)
    assert response.status_code == 400 and response.json()["Code"] == "InvalidVersion"


def test_list_contexts_pages_with_tokens(api: Api) -> None:
    ids = [api.create(f"page-{index:02d}") for index in range(25)]
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        body = api.call("ListContexts", MaxResults=10, NextToken=token)
        pages += 1
        assert body["TotalCount"] == 25 and body["MaxResults"] == 10
        seen += [item["Id"] for item in body["Data"]]
        for item in body["Data"]:
            assert set(item) == {"Id", "Name", "CreateTime", "LastUsedTime", "State", "OsType"}
        if "NextToken" not in body:
            break
        token = body["NextToken"]
        assert isinstance(token, str) and token
    assert pages == 3
    assert seen == ids  # creation order, nothing twice, nothing missed


def test_list_contexts_default_page_is_ten(api: Api) -> None:
    for index in range(12):
        api.create(f"d{index}")
    body = api.call("ListContexts")
    assert len(body["Data"]) == 10 and body["MaxResults"] == 10 and "NextToken" in body
    last = api.call("ListContexts", NextToken=body["NextToken"])
    assert len(last["Data"]) == 2 and "NextToken" not in last


def test_list_contexts_is_stable_while_contexts_come_and_go(api: Api) -> None:
    ids = [api.create(f"s{index}") for index in range(6)]
    first = api.call("ListContexts", MaxResults=3)
    assert [item["Id"] for item in first["Data"]] == ids[:3]
    api.call("DeleteContext", Id=ids[2])  # the token's own context goes away
    newer = api.create("s-new")
    rest = api.call("ListContexts", MaxResults=10, NextToken=first["NextToken"])
    assert [item["Id"] for item in rest["Data"]] == [*ids[3:], newer]
    assert rest["TotalCount"] == 6


def test_empty_list_has_no_token(api: Api) -> None:
    body = api.call("ListContexts", MaxResults=5)
    assert body["Data"] == [] and body["TotalCount"] == 0 and "NextToken" not in body


def test_bad_paging_parameters(api: Api) -> None:
    assert api.fail("ListContexts", 400, MaxResults=0)["Code"] == "InvalidParameter.MaxResults"
    assert api.fail("ListContexts", 400, MaxResults="ten")["Code"] == "InvalidParameter.MaxResults"
    assert api.fail("ListContexts", 400, NextToken="garbage!")["Code"] == (
        "InvalidParameter.NextToken"
    )


def test_rename(api: Api) -> None:
    context_id = api.create("old")
    body = api.call("ModifyContext", Id=context_id, Name="new")
    assert "Data" not in body
    assert api.call("GetContext", Name="new")["Data"]["Id"] == context_id
    assert api.fail("GetContext", Name="old")["Code"] == "InvalidContext.NotFound"
    api.call("ModifyContext", Id=context_id, Name="new")  # to its own name: fine
    assert api.create("old") != context_id  # the old name is free again


def test_rename_onto_a_taken_name_fails(api: Api) -> None:
    first = api.create("taken")
    second = api.create("other")
    body = api.fail("ModifyContext", Id=second, Name="taken")
    assert body["Code"] == "InvalidContext.NameExists" and body["HttpStatusCode"] == 409
    assert api.call("GetContext", ContextId=second)["Data"]["Name"] == "other"
    assert api.call("GetContext", Name="taken")["Data"]["Id"] == first


def test_rename_unknown_context(api: Api) -> None:
    body = api.fail("ModifyContext", Id="ctx-0000000000000000", Name="x")
    assert body["Code"] == "InvalidContext.NotFound"


def test_delete(api: Api) -> None:
    context_id = api.create("doomed")
    api.upload(context_id, "/f.txt", b"data")
    body = api.call("DeleteContext", Id=context_id)
    assert "Data" not in body
    assert api.fail("GetContext", ContextId=context_id)["Code"] == "InvalidContext.NotFound"
    assert api.fail("DeleteContext", Id=context_id)["Code"] == "InvalidContext.NotFound"
    fresh = api.create("doomed")
    assert fresh != context_id and api.children(fresh) == []


def test_clear_goes_clearing_then_available(api: Api) -> None:
    context_id = api.create("to-clear")
    api.upload(context_id, "/a/b.txt", b"1")
    api.upload(context_id, "/c.txt", b"2")
    body = api.call("ClearContext", Id=context_id)
    assert "Data" not in body
    assert api.call("GetContext", ContextId=context_id)["Data"]["State"] == "clearing"
    assert api.children(context_id) == []
    deadline = time.monotonic() + 5
    while api.call("GetContext", ContextId=context_id)["Data"]["State"] == "clearing":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    data = api.call("GetContext", ContextId=context_id, AllowCreate=False)["Data"]
    assert data["State"] == "available" and data["Name"] == "to-clear"
    assert api.fail("ClearContext", Id="ctx-0000000000000000")["Code"] == "InvalidContext.NotFound"


def test_names_are_unique_per_account_not_globally(client: httpx.Client) -> None:
    alice, bob = Api(client), Api(client)
    assert alice.create("shared-name") != bob.create("shared-name")


async def test_concurrent_creates_of_one_name_make_one_context(
    shared_emulator: tuple[str, object],
) -> None:
    key = new_key()
    async with httpx.AsyncClient(base_url=shared_emulator[0], timeout=30) as http:
        results: list[dict[str, object]] = []

        async def create() -> None:
            response = await http.request(
                **rpc_request("GetContext", key, {"Name": "race", "AllowCreate": True})
            )
            results.append(response.json())

        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(create)
        listing = await http.request(**rpc_request("ListContexts", key, {"MaxResults": 100}))
    assert all(body["Success"] is True for body in results)
    ids = {body["Data"]["Id"] for body in results}  # type: ignore[index]
    assert len(ids) == 1
    assert listing.json()["TotalCount"] == 1
