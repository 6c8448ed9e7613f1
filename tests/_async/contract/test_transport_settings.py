"""The default transport's settings, as a user would notice them: proxies in the environment
are not used (the endpoint is called as configured) and a download gets storage's bytes as
stored, never decoded on the way."""

from __future__ import annotations

import gzip
import socket
from pathlib import Path

import pytest

from agentbay import AsyncAgentBay, Config
from tests._async.contract.test_contract import urls_then
from tests.helpers import API_KEY
from tests.hostile import Request, ok, reply, serving


def answer(conn: socket.socket, request: Request) -> bool:
    request.body()
    return reply(conn, 200, ok({"Id": "ctx-1", "Name": "a"}))


async def test_proxies_in_the_environment_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    with serving(answer) as proxy, serving(answer) as service:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
            monkeypatch.setenv(name, proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with AsyncAgentBay(
            API_KEY, Config(endpoint=service.url, timeout_ms=2000, max_retries=0)
        ) as client:
            assert (await client.context.get(name="a")).success
    assert (len(service.requests), len(proxy.requests)) == (1, 0)


STORED = gzip.compress(b"stored compressed, as the user uploaded it " * 50)


def always_gzip(conn: socket.socket, request: Request) -> bool:
    return reply(conn, 200, STORED, {"Content-Encoding": "gzip"})


async def test_a_download_keeps_a_stored_content_encoding(tmp_path: Path) -> None:
    destination = tmp_path / "blob.gz"
    with serving(urls_then(always_gzip)) as server:
        async with AsyncAgentBay(
            API_KEY, Config(endpoint=server.url, timeout_ms=2000, max_retries=0)
        ) as client:
            result = await client.context.download_file("ctx-1", "/blob.gz", str(destination))
    assert result.success and destination.read_bytes() == STORED
