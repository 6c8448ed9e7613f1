"""Configuration of the soak tests (``pytest soak -q``; not part of the default ``tests`` run)."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio."""
    return "asyncio"
