"""Behaviour in time, in-process with an injected clock: URL expiry and clearing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulator_support import check_envelope, new_key, rpc_request
from starlette.applications import Starlette

from agentbay_emulator import create_app


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def app(tmp_path: Path, clock: Clock) -> AsyncIterator[Starlette]:
    application = create_app(tmp_path, url_ttl=60, clear_delay=5.0, clock=clock)
    yield application
    application.state.emulator.close()


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as client:
        yield client


async def call(http: httpx.AsyncClient, key: str, action: str, **params: Any) -> dict[str, Any]:
    response = await http.request(**rpc_request(action, key, params))
    body: dict[str, Any] = response.json()
    check_envelope(body)
    assert response.status_code == 200 and body["Success"], body
    return body


async def test_urls_expire_after_their_lifetime(http: httpx.AsyncClient, clock: Clock) -> None:
    key = new_key()
    context_id = (await call(http, key, "GetContext", Name="c", AllowCreate=True))["Data"]["Id"]
    up = (await call(http, key, "GetContextFileUploadUrl", ContextId=context_id, FilePath="/f"))[
        "Data"
    ]
    assert up["ExpireTime"] == 60
    assert up["Url"].startswith("http://emulator.test/files/")
    down = (
        await call(http, key, "GetContextFileDownloadUrl", ContextId=context_id, FilePath="/f")
    )["Data"]["Url"]
    clock.now += 59
    assert (await http.put(up["Url"], content=b"in time")).status_code == 200
    assert (await http.get(down)).content == b"in time"
    clock.now += 1
    for response in (await http.put(up["Url"], content=b"late"), await http.get(down)):
        assert response.status_code == 403
        assert response.json()["Code"] == "AccessDenied"
    fresh = (
        await call(http, key, "GetContextFileDownloadUrl", ContextId=context_id, FilePath="/f")
    )["Data"]["Url"]
    assert (await http.get(fresh)).content == b"in time"


async def test_clearing_lasts_clear_delay(http: httpx.AsyncClient, clock: Clock) -> None:
    key = new_key()
    context = (await call(http, key, "GetContext", Name="c", AllowCreate=True))["Data"]
    url = (
        await call(http, key, "GetContextFileUploadUrl", ContextId=context["Id"], FilePath="/f")
    )["Data"]["Url"]
    await http.put(url, content=b"x")
    clock.now += 100
    await call(http, key, "ClearContext", Id=context["Id"])
    states = []
    for step in (0.0, 4.9, 0.1, 10.0):
        clock.now += step
        data = (await call(http, key, "GetContext", ContextId=context["Id"]))["Data"]
        states.append(data["State"])
    assert states == ["clearing", "clearing", "available", "available"]
    listed = (await call(http, key, "ListContexts"))["Data"][0]
    assert listed["CreateTime"] == context["CreateTime"]
    assert listed["LastUsedTime"] != context["LastUsedTime"]  # clearing is a use
