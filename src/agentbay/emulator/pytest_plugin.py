"""A pytest plugin with an ``agentbay_emulator`` fixture.

Enable it in a top-level ``conftest.py``::

    pytest_plugins = ["agentbay.emulator.pytest_plugin"]

and take the endpoint URL in a test::

    def test_contexts(agentbay_emulator: str) -> None:
        agent_bay = AgentBay(api_key="test", cfg=Config(agentbay_emulator, 10_000))
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import running


@pytest.fixture
def agentbay_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint URL (``http://127.0.0.1:<port>``) of a fresh emulator for one test.

    Any API key is accepted and is its own account; data lives in a pytest temporary
    directory; clearing takes 0.1 s.
    """
    with running(tmp_path_factory.mktemp("agentbay-emulator"), clear_delay=0.1) as endpoint:
        yield endpoint
