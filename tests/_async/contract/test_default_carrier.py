"""The default carrier (aiohttp; urllib3 when generated) puts exactly the protocol on the wire."""

from __future__ import annotations

from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

from agentbay import AsyncAgentBay, Config
from agentbay._models import FileUrlResult
from tests.helpers import API_KEY, CONTEXT_DATA
from tests.recorder import recording

ANSWER = {"RequestId": "r-1", "Success": True, "Code": "", "Message": "", "Data": CONTEXT_DATA}


async def test_an_rpc_call_on_the_wire() -> None:
    with recording(ANSWER) as (url, received):
        async with AsyncAgentBay(API_KEY, Config(endpoint=url, timeout_ms=5000)) as client:
            result = await client.context.get(name="a b", create=True)
    assert result.success and result.context_id == CONTEXT_DATA["Id"]
    (request,) = received
    path, query = urlsplit(request.path).path, parse_qs(urlsplit(request.path).query)
    assert (request.method, path) == ("POST", "/")
    assert {k: v[0] for k, v in query.items() if k in ("Action", "Version", "Format")} == {
        "Action": "GetContext",
        "Version": "2025-05-06",
        "Format": "json",
    }
    assert "Timestamp" in query and "SignatureNonce" in query
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["x-acs-action"] == "GetContext"
    assert request.headers["x-acs-version"] == "2025-05-06"
    assert request.headers["user-agent"].startswith("agentbay-contexts/")
    assert dict(parse_qsl(request.body.decode())) == {
        "AllowCreate": "true",
        "Authorization": f"Bearer {API_KEY}",
        "Name": "a b",
        "LoginRegionId": "cn-hangzhou",  # the default region, sent on create as 0.22.3 does
    }


async def test_an_upload_sends_only_the_bytes_and_their_length(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with recording(ANSWER) as (url, received):
        async with AsyncAgentBay(API_KEY, Config(endpoint=url, timeout_ms=5000)) as client:

            async def presigned(context_id: str, file_path: str) -> FileUrlResult:
                return FileUrlResult("r-2", True, f"{url}/put?sig=a%2Fb%3D", 3600)

            monkeypatch.setattr(client.context, "get_file_upload_url", presigned)
            result = await client.context.upload_file("ctx-1", "/a.bin", b"x" * 3000)
    assert result.success and result.data == 3000
    (request,) = received
    assert (request.method, request.path) == ("PUT", "/put?sig=a%2Fb%3D")
    assert request.body == b"x" * 3000
    assert request.headers["content-length"] == "3000"
    # A presigned URL signs its headers: nothing may be added on the way.
    assert "content-type" not in request.headers
