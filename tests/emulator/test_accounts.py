"""API keys: each key is an account; --api-key restricts; missing keys are refused."""

from __future__ import annotations

from pathlib import Path

import httpx
from emulator_support import Api, check_envelope, rpc_request

from agentbay_emulator import running


def test_accounts_are_isolated(client: httpx.Client) -> None:
    alice, bob = Api(client), Api(client)
    alice_id = alice.create("mine")
    assert bob.call("ListContexts")["TotalCount"] == 0
    assert bob.fail("GetContext", Name="mine")["Code"] == "InvalidContext.NotFound"
    assert bob.fail("GetContext", ContextId=alice_id)["Code"] == "InvalidContext.NotFound"
    for action, params in (
        ("ModifyContext", {"Id": alice_id, "Name": "stolen"}),
        ("DeleteContext", {"Id": alice_id}),
        ("ClearContext", {"Id": alice_id}),
    ):
        assert bob.fail(action, **params)["Code"] == "InvalidContext.NotFound"
    assert alice.call("GetContext", ContextId=alice_id)["Data"]["Name"] == "mine"


def test_missing_key_is_401(api: Api) -> None:
    for key in (None, "   "):
        body = api.fail("ListContexts", 401, key=key)
        assert body["Code"] == "Unauthorized" and body["HttpStatusCode"] == 401


def test_authorization_must_be_bearer(client: httpx.Client) -> None:
    request = rpc_request("ListContexts", None, {})
    request["data"]["Authorization"] = "Basic abc"
    response = client.request(**request)
    assert response.status_code == 401 and response.json()["Code"] == "Unauthorized"


def test_authorization_header_is_a_fallback(client: httpx.Client) -> None:
    api = Api(client)
    api.create("via-body")
    request = rpc_request("ListContexts", None, {})
    request["headers"]["authorization"] = f"Bearer {api.key}"
    response = client.request(**request)
    assert response.status_code == 200 and response.json()["TotalCount"] == 1


def test_authorization_in_the_query_string_is_ignored(client: httpx.Client) -> None:
    request = rpc_request("ListContexts", None, {})
    request["params"]["Authorization"] = "Bearer sneaky"
    assert client.request(**request).status_code == 401


def test_api_key_restriction(tmp_path: Path) -> None:
    with (
        running(tmp_path, api_keys=["good-1", "good-2"]) as url,
        httpx.Client(base_url=url) as http,
    ):
        one, two, bad = Api(http, "good-1"), Api(http, "good-2"), Api(http, "bad")
        one.create("a")
        assert two.call("ListContexts")["TotalCount"] == 0  # still separate accounts
        body = bad.fail("ListContexts", 401)
        assert body["Code"] == "InvalidApiKey" and body["HttpStatusCode"] == 401
        check_envelope(body)
        assert bad.fail("GetContext", 401, Name="a", AllowCreate=True)["Code"] == "InvalidApiKey"
        assert one.call("ListContexts")["TotalCount"] == 1
