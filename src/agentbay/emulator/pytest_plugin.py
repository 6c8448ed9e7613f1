"""A pytest plugin: a fresh emulator per test, one for the whole session, and fresh API keys.

Installing agentbay-contexts registers it (a ``pytest11`` entry point); with plugin autoloading
off, enable it in a top-level ``conftest.py``::

    pytest_plugins = ["agentbay.emulator.pytest_plugin"]

Loading it imports neither Starlette nor uvicorn; the emulator fixtures need the ``emulator``
extra. Take the endpoint URL in a test::

    def test_contexts(agentbay_emulator: str) -> None:
        cfg = Config(endpoint=agentbay_emulator, timeout_ms=10_000)
        agent_bay = AgentBay(api_key="test", cfg=cfg)

    def test_faster(agentbay_emulator_session: str, agentbay_api_key: str) -> None:
        cfg = Config(endpoint=agentbay_emulator_session, timeout_ms=10_000)
        agent_bay = AgentBay(api_key=agentbay_api_key, cfg=cfg)  # an empty account
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest


@pytest.fixture
def agentbay_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint URL (``http://127.0.0.1:<port>``) of a fresh emulator for one test.

    Any API key is accepted and is its own account; data lives in a pytest temporary
    directory; clearing takes 0.1 s. Starting and stopping it takes a few milliseconds.
    """
    from . import running

    with running(tmp_path_factory.mktemp("agentbay-emulator"), clear_delay=0.1) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def agentbay_emulator_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint URL of one emulator shared by every test of the session.

    Data persists from test to test: a test that needs an empty account takes
    ``agentbay_api_key`` (each API key is an account of its own). Clearing takes 0.1 s.
    """
    from . import running

    with running(tmp_path_factory.mktemp("agentbay-emulator-session"), clear_delay=0.1) as url:
        yield url


@pytest.fixture
def agentbay_api_key() -> str:
    """A new API key for each test: on any emulator, an account of its own, empty at first."""
    return f"test-{uuid.uuid4().hex}"
