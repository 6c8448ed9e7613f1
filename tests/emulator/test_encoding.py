"""Parameters must be UTF-8: invalid bytes are refused, never replaced."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator_support import Api, check_envelope, new_key, rpc_request


def _raw(client: httpx.Client, action: str, body: bytes, query: bytes = b"") -> httpx.Response:
    """An RPC request whose form body (and extra query string) are sent byte for byte."""
    request: dict[str, Any] = rpc_request(action, None, {})
    url = httpx.URL("/", params=request["params"])
    if query:
        url = url.copy_with(query=url.query + b"&" + query)
    headers = {**request["headers"], "content-type": "application/x-www-form-urlencoded"}
    response = client.post(url, content=body, headers=headers)
    check_envelope(response.json())
    return response


def _auth(key: str) -> bytes:
    return b"Authorization=Bearer+" + key.encode()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"Name=x%FF%FE&AllowCreate=true", "InvalidParameter.Name"),
        (b"Name=x%FE%FF&AllowCreate=true", "InvalidParameter.Name"),
        (b"Name=x\xff\xfe&AllowCreate=true", "InvalidParameter.Name"),  # raw, not escaped
        (b"Name=%C3&AllowCreate=true", "InvalidParameter.Name"),  # cut short
        (b"Name=%ED%A0%80&AllowCreate=true", "InvalidParameter.Name"),  # a lone surrogate
        (b"Name=%C0%AF&AllowCreate=true", "InvalidParameter.Name"),  # overlong '/'
        (b"Name=ok&AllowCreate=true&Unused=%FF", "InvalidParameter.Unused"),
        (b"Name=ok&AllowCreate=true&%FF=1", "InvalidParameter.Encoding"),
        (b"Name=ok&AllowCreate=true&a%20b=%FF", "InvalidParameter.Encoding"),
    ],
)
def test_invalid_utf8_in_the_body_is_400(client: httpx.Client, body: bytes, code: str) -> None:
    key = new_key()
    response = _raw(client, "GetContext", body + b"&" + _auth(key))
    assert response.status_code == 400, response.json()
    assert response.json()["Code"] == code
    listed = Api(client, key).call("ListContexts")
    assert listed["Data"] == []  # nothing was created


def test_invalid_utf8_in_the_query_is_400(client: httpx.Client) -> None:
    key = new_key()
    response = _raw(client, "GetContext", b"AllowCreate=true&" + _auth(key), b"Name=x%FF")
    assert response.status_code == 400 and response.json()["Code"] == "InvalidParameter.Name"
    response = _raw(client, "ListContexts", _auth(key), b"Action=%FF")
    assert response.status_code == 400 and response.json()["Code"] == "InvalidParameter.Action"


def test_two_invalid_names_never_meet(client: httpx.Client) -> None:
    key = new_key()
    for name in (b"x%FF%FE", b"x%FE%FF"):
        response = _raw(client, "GetContext", b"AllowCreate=true&Name=" + name + b"&" + _auth(key))
        assert response.status_code == 400
    assert Api(client, key).call("ListContexts")["TotalCount"] == 0


def test_invalid_utf8_paths_are_400(client: httpx.Client) -> None:
    api = Api(client)
    context_id = api.create().encode()
    auth = _auth(api.key)
    cases = [
        ("GetContextFileUploadUrl", b"FilePath=/a%FF", "InvalidParameter.FilePath"),
        ("GetContextFileDownloadUrl", b"FilePath=/a%FF", "InvalidParameter.FilePath"),
        ("DeleteContextFile", b"FilePath=/a%FF", "InvalidParameter.FilePath"),
        ("DescribeContextFiles", b"ParentFolderPath=/a%FF", "InvalidParameter.ParentFolderPath"),
        ("DescribeContextFiles", b"NextToken=%FF", "InvalidParameter.NextToken"),
    ]
    for action, field, code in cases:
        response = _raw(client, action, b"ContextId=" + context_id + b"&" + field + b"&" + auth)
        assert response.status_code == 400 and response.json()["Code"] == code, (action, field)


def test_valid_utf8_still_round_trips(client: httpx.Client) -> None:
    key = new_key()
    body = b"Name=caf%C3%A9+%F0%9F%98%80&AllowCreate=true&" + _auth(key)
    response = _raw(client, "GetContext", body)
    assert response.status_code == 200 and response.json()["Data"]["Name"] == "café 😀"
    raw = _raw(client, "GetContext", "Name=café 😀&".encode() + _auth(key))  # unescaped UTF-8
    assert raw.json()["Data"]["Id"] == response.json()["Data"]["Id"]
