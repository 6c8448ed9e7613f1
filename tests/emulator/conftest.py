"""Fixtures of the emulator's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from emulator_support import Api

from agentbay_emulator import running
from agentbay_emulator.pytest_plugin import agentbay_emulator

__all__ = ["agentbay_emulator"]


@pytest.fixture(scope="session")
def shared_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One emulator for the tests that only need an account of their own: (url, data dir)."""
    data_dir = tmp_path_factory.mktemp("shared-emulator")
    with running(data_dir, clear_delay=0.3) as url:
        yield url, data_dir


@pytest.fixture
def client(shared_emulator: tuple[str, Path]) -> Iterator[httpx.Client]:
    """An HTTP client of the shared emulator."""
    with httpx.Client(base_url=shared_emulator[0], timeout=30) as http:
        yield http


@pytest.fixture
def api(client: httpx.Client) -> Api:
    """An RPC client with a fresh account on the shared emulator."""
    return Api(client)
