"""Shared pytest configuration (async tests run on asyncio through pytest-asyncio, auto mode)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def emulator_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One live emulator for the whole session (clearing takes 0.2 s); each test uses its own
    API key, which the emulator treats as an account of its own."""
    from agentbay.emulator import running

    with running(tmp_path_factory.mktemp("emulator"), clear_delay=0.2) as url:
        yield url


@pytest.fixture
def account_key() -> str:
    """A fresh API key: an empty account on the emulator."""
    return f"key-{uuid.uuid4().hex}"
