"""A closed client's calls fail without sending, and their result says why in its code."""

from __future__ import annotations

import respx

from agentbay import Config
from tests._async.mocking import mocked
from tests.helpers import CONTEXT_DATA, ENDPOINT, ok


async def test_a_call_on_a_closed_client_fails_with_the_code_of_it() -> None:
    with respx.mock(base_url=ENDPOINT, assert_all_called=False) as api:
        route = api.post("/").mock(return_value=ok(CONTEXT_DATA))
        client = mocked(Config(endpoint=ENDPOINT, timeout_ms=5000))
        await client.aclose()
        result = await client.context.get(name="a")
    assert not route.called
    assert (result.success, result.code) == (False, "SDK.ClientClosed")
    assert result.error_message == "GetContext not sent: the client is closed"
