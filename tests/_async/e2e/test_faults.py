"""Retries against an emulator that throttles 15 % of calls."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentbay import AsyncAgentBay, Config
from agentbay_emulator import running


@pytest.fixture(scope="module")
def throttling_url() -> Iterator[str]:
    with running(faults="throttle=0.15,seed=11") as url:
        yield url


async def test_retries_carry_calls_through_throttling(throttling_url: str) -> None:
    async with AsyncAgentBay(
        "faults", Config(endpoint=throttling_url, timeout_ms=10_000)
    ) as client:
        results = [await client.context.get(name=f"c{i % 10}", create=True) for i in range(200)]
    assert sum(result.success for result in results) >= 199  # the goal: >= 99.5 %
    assert len({result.context_id for result in results if result.success}) == 10


async def test_without_retries_throttling_shows(throttling_url: str) -> None:
    cfg = Config(endpoint=throttling_url, timeout_ms=10_000, max_retries=0)
    async with AsyncAgentBay("faults-no-retry", cfg) as client:
        results = [await client.context.list() for _ in range(100)]
    failed = [result for result in results if not result.success]
    assert 3 <= len(failed) <= 40
    assert all(result.error_message.startswith("[Throttling.User]") for result in failed)
