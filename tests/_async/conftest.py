"""Fixtures of the async tests (generated into the sync ones)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from agentbay import AsyncAgentBay, Config


@pytest.fixture
async def agent_bay(emulator_url: str, account_key: str) -> AsyncIterator[AsyncAgentBay]:
    """A client of the session's live emulator, on an account of its own (empty)."""
    async with AsyncAgentBay(account_key, Config(emulator_url, 10_000)) as client:
        yield client
