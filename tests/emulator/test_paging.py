"""Paging of ListContexts and DescribeContextFiles: stable tokens, strict parameters."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulator_support import Api

from agentbay_emulator import running

PAGING_400 = [
    "0",
    "-1",
    "101",
    "-" + "9" * 25,
    "9" * 25,
    "1.5",
    "1e3",
    "abc",
    " 5",
    "\uff15",
    "1_0",
]


def _files_page(api: Api, context_id: str, folder: str, **params: Any) -> dict[str, Any]:
    return api.call("DescribeContextFiles", ContextId=context_id, ParentFolderPath=folder, **params)


def _walk(api: Api, context_id: str, folder: str, size: int) -> list[str]:
    names: list[str] = []
    token = None
    while True:
        body = _files_page(api, context_id, folder, MaxResults=size, NextToken=token)
        assert len(body["Data"]) <= size
        names += [entry["FileName"] for entry in body["Data"]]
        token = body.get("NextToken")
        if token is None:
            return names
        assert body["Data"], "a NextToken after an empty page"


def test_token_pages_cover_a_folder_exactly_once(api: Api) -> None:
    context_id = api.create()
    for index in range(23):
        api.upload(context_id, f"/p/f{index:02d}", b".")
    for index in range(4):
        api.upload(context_id, f"/p/sub{index}/x", b".")
    names = _walk(api, context_id, "/p", 5)
    assert names == [f"sub{index}" for index in range(4)] + [f"f{index:02d}" for index in range(23)]
    last = _files_page(api, context_id, "/p", MaxResults=27)
    assert len(last["Data"]) == 27 and "NextToken" not in last  # exactly full: no token


def test_token_paging_is_stable_while_files_come_and_go(api: Api) -> None:
    context_id = api.create()
    initial = [f"f{index:02d}" for index in range(0, 40, 2)]  # f00, f02, ... f38
    for name in initial:
        api.upload(context_id, f"/s/{name}", b".")
    seen: list[str] = []
    removed: set[str] = set()
    ahead: set[str] = set()
    token = None
    turn = 0
    while True:
        body = _files_page(api, context_id, "/s", MaxResults=4, NextToken=token)
        page = [entry["FileName"] for entry in body["Data"]]
        seen += page
        token = body.get("NextToken")
        if token is None:
            break
        turn += 1
        if not page[-1].startswith("f"):
            continue
        last = int(page[-1][1:])
        # Behind the cursor: remove two entries already returned (odd turns) or add one (even
        # turns); ahead of it: remove the next one to come, add one next and one far ahead.
        behind = [page[0], page[-1]] if turn % 2 else []
        for name in (*behind, f"f{last + 2:02d}"):
            api.raw("DeleteContextFile", ContextId=context_id, FilePath=f"/s/{name}")
            removed.add(name)
        behind = [] if turn % 2 else [f"f{last - 1:02d}"]
        for name in (*behind, f"f{last + 1:02d}", f"g{turn:02d}"):
            api.upload(context_id, f"/s/{name}", b".")
        ahead |= {f"f{last + 1:02d}", f"g{turn:02d}"}
    assert len(seen) == len(set(seen)), "an entry came twice"
    assert seen == sorted(seen)
    kept = [name for name in initial if name not in removed]
    assert set(kept) <= set(seen), "an entry present all along was lost"
    assert ahead <= set(seen), "an entry added ahead of the cursor was missed"
    assert turn >= 5, seen


def test_a_token_can_be_replayed(api: Api) -> None:
    context_id = api.create()
    for index in range(6):
        api.upload(context_id, f"/f{index}", b".")
    token = _files_page(api, context_id, "/", MaxResults=2)["NextToken"]
    first = _files_page(api, context_id, "/", MaxResults=2, NextToken=token)
    again = _files_page(api, context_id, "/", MaxResults=2, NextToken=token)
    assert [e["FileName"] for e in first["Data"]] == [e["FileName"] for e in again["Data"]]
    assert first["NextToken"] == again["NextToken"]


def test_page_number_paging_still_works(api: Api) -> None:
    context_id = api.create()
    for index in range(9):
        api.upload(context_id, f"/n/f{index}", b".")
    pages = [
        [
            e["FileName"]
            for e in _files_page(api, context_id, "/n", PageNumber=p, PageSize=4)["Data"]
        ]
        for p in (1, 2, 3, 4)
    ]
    assert pages == [[f"f{i}" for i in range(4)], [f"f{i}" for i in range(4, 8)], ["f8"], []]


def _forged(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


FORGED = [
    _forged({"after": 10**21}),
    _forged({"after": -(10**21)}),
    _forged({"after": 3}),
    _forged({"after": "3"}),
    _forged({"after": [0, "a"]}),
    _forged([1, "f1"]),
    _forged(None),
    "garbage!",
    "a.b",
    ".",
    "ä.ö",
    "x" * 5000,
]


@pytest.mark.parametrize("token", FORGED)
def test_forged_tokens_are_refused(api: Api, token: str) -> None:
    context_id = api.create()
    api.upload(context_id, "/f", b".")
    body = api.fail("ListContexts", 400, NextToken=token)
    assert body["Code"] == "InvalidParameter.NextToken" and body["HttpStatusCode"] == 400
    body = api.fail("DescribeContextFiles", 400, ContextId=context_id, NextToken=token)
    assert body["Code"] == "InvalidParameter.NextToken"


def test_a_tampered_token_is_refused(api: Api) -> None:
    for index in range(3):
        api.create(f"t{index}")
    token = api.call("ListContexts", MaxResults=1)["NextToken"]
    payload, _, mac = token.partition(".")
    for bad in (_forged({"after": 10**21}) + "." + mac, payload + "." + mac[::-1], payload):
        assert api.fail("ListContexts", 400, NextToken=bad)["Code"] == "InvalidParameter.NextToken"


def test_tokens_belong_to_their_listing_and_account(client: httpx.Client) -> None:
    api, other = Api(client), Api(client)
    for index in range(3):
        api.create(f"c{index}")
        other.create(f"c{index}")
    first, second = api.create("first"), api.create("second")
    for context_id in (first, second):
        for index in range(3):
            api.upload(context_id, f"/a/f{index}", b".")
            api.upload(context_id, f"/b/f{index}", b".")
    contexts_token = api.call("ListContexts", MaxResults=1)["NextToken"]
    files_token = _files_page(api, first, "/a", MaxResults=1)["NextToken"]
    assert _files_page(api, first, "/a/", MaxResults=1, NextToken=files_token)["Data"]

    misuses = [
        (other, "ListContexts", {"NextToken": contexts_token}),  # another account
        (api, "ListContexts", {"NextToken": files_token}),  # files token for contexts
        (api, "DescribeContextFiles", {"ContextId": first, "NextToken": contexts_token}),
        (api, "DescribeContextFiles", {"ContextId": second, "ParentFolderPath": "/a"}),
        (api, "DescribeContextFiles", {"ContextId": first, "ParentFolderPath": "/b"}),
        (api, "DescribeContextFiles", {"ContextId": first, "ParentFolderPath": "/"}),
    ]
    for client_api, action, params in misuses:
        params.setdefault("NextToken", files_token)
        body = client_api.fail(action, 400, **params)
        assert body["Code"] == "InvalidParameter.NextToken", (action, params, body)


@pytest.mark.parametrize("value", PAGING_400)
def test_bad_paging_numbers_are_400(api: Api, value: str) -> None:
    context_id = api.create()
    for action, name, extra in [
        ("ListContexts", "MaxResults", {}),
        ("DescribeContextFiles", "MaxResults", {"ContextId": context_id}),
        ("DescribeContextFiles", "PageNumber", {"ContextId": context_id}),
        ("DescribeContextFiles", "PageSize", {"ContextId": context_id}),
    ]:
        if name == "PageNumber" and value == "101":
            continue  # a page number may well be 101
        body = api.fail(action, 400, **extra, **{name: value})
        assert body["Code"] == f"InvalidParameter.{name}", (action, name, body)
        assert len(body["Message"]) < 200


def test_a_page_number_beyond_the_limit_is_400(api: Api) -> None:
    context_id = api.create()
    body = api.fail("DescribeContextFiles", 400, ContextId=context_id, PageNumber=1_000_001)
    assert body["Code"] == "InvalidParameter.PageNumber"
    body = api.call("DescribeContextFiles", ContextId=context_id, PageNumber=1_000_000)
    assert body["Data"] == [] and body["Count"] == 0


def test_a_token_outlives_a_restart(tmp_path: Path) -> None:
    with running(tmp_path) as url, httpx.Client(base_url=url, timeout=30) as client:
        api = Api(client)
        for index in range(3):
            api.create(f"r{index}")
        token = api.call("ListContexts", MaxResults=2)["NextToken"]
    with running(tmp_path) as url, httpx.Client(base_url=url, timeout=30) as client:
        rest = Api(client, api.key).call("ListContexts", MaxResults=2, NextToken=token)
        assert [item["Name"] for item in rest["Data"]] == ["r2"]


def test_tokens_carry_long_non_ascii_names(api: Api) -> None:
    context_id = api.create()
    names = [char * 300 for char in "😀😁😂"]
    for name in names:
        api.upload(context_id, f"/{name}", b".")
    assert _walk(api, context_id, "/", 1) == names


def test_error_messages_stay_short(api: Api) -> None:
    body = api.fail("GetContext", ContextId="c" * 100_000)
    assert body["Code"] == "InvalidContext.NotFound" and len(body["Message"]) < 200
