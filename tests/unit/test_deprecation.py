"""A deprecation warning points at the caller's line, where the fix goes, in both flavours.

(Not in the mutation run's selection: mutmut's trampolines add frames between a caller and the
function it calls, so there no warning can point at the caller.)"""

from __future__ import annotations

import httpx
import pytest
import respx

from agentbay import AgentBay, AsyncAgentBay, Config
from tests.helpers import API_KEY, ENDPOINT, ok


def deprecations(warned: pytest.WarningsRecorder) -> list[str]:
    """Where each deprecation warning points (any other warning, a ResourceWarning of another
    test's garbage say, is not this test's business)."""
    return [w.filename for w in warned if issubclass(w.category, DeprecationWarning)]


async def test_start_clear_warns_at_the_async_caller() -> None:
    client = AsyncAgentBay(
        API_KEY, Config(endpoint=ENDPOINT, timeout_ms=1000), http_client=httpx.AsyncClient()
    )
    async with client:
        with respx.mock(base_url=ENDPOINT) as api, pytest.warns(DeprecationWarning) as warned:
            api.post("/").mock(return_value=ok())
            await client.context.start_clear("ctx-1")
    assert deprecations(warned) == [__file__]


def test_start_clear_warns_at_the_sync_caller() -> None:
    client = AgentBay(
        API_KEY, Config(endpoint=ENDPOINT, timeout_ms=1000), http_client=httpx.Client()
    )
    with client, respx.mock(base_url=ENDPOINT) as api, pytest.warns(DeprecationWarning) as warned:
        api.post("/").mock(return_value=ok())
        client.context.start_clear("ctx-1")
    assert deprecations(warned) == [__file__]
