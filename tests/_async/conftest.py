"""Fixtures of the async tests (generated into the sync ones)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator

import pytest
import respx

from agentbay import AsyncAgentBay, Config
from tests._async.mocking import mocked
from tests.helpers import ENDPOINT


@pytest.fixture
async def agent_bay(emulator_url: str, account_key: str) -> AsyncIterator[AsyncAgentBay]:
    """A client of the session's live emulator, on an account of its own (empty)."""
    async with AsyncAgentBay(
        account_key, Config(endpoint=emulator_url, timeout_ms=10_000)
    ) as client:
        yield client


@pytest.fixture
def api() -> Generator[respx.MockRouter, None, None]:
    """respx, answering for the fake service at ``ENDPOINT`` (routes unused are fine)."""
    with respx.mock(base_url=ENDPOINT, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def mocked_bay() -> AsyncIterator[AsyncAgentBay]:
    """A client of the fake service at ``ENDPOINT`` (through httpx, so respx answers), no
    retries."""
    async with mocked(Config(endpoint=ENDPOINT, timeout_ms=5000, max_retries=0)) as client:
        yield client
