"""fsspec's own test suite for implementations (``fsspec.tests.abstract``: copy, get, put, pipe
and open), run against the emulator.

The store has no empty folders (a folder exists only as the prefix of a file), so, as s3fs does,
``supports_empty_directories`` is False: the suite then expects folders copied without files to
leave nothing behind.
"""

from __future__ import annotations

import posixpath
import uuid
from collections.abc import Callable
from typing import Any

import fsspec
import pytest
from fsspec.tests.abstract import AbstractFixtures
from fsspec.tests.abstract.copy import AbstractCopyTests
from fsspec.tests.abstract.get import AbstractGetTests
from fsspec.tests.abstract.open import AbstractOpenTests
from fsspec.tests.abstract.pipe import AbstractPipeTests
from fsspec.tests.abstract.put import AbstractPutTests


class AgentBayFixtures(AbstractFixtures):  # type: ignore[misc]
    @pytest.fixture(scope="class")
    @classmethod
    def fs(cls, fs_endpoint: str) -> Any:
        # One account for the class; each test works in a folder of its own (fs_path).
        options = {"api_key": f"abstract-{uuid.uuid4().hex}", "endpoint": fs_endpoint}
        fs = fsspec.filesystem("agentbay", timeout_ms=10_000, **options)
        fs.makedirs("suite", exist_ok=True)
        return fs

    @pytest.fixture
    def fs_join(self) -> Callable[..., str]:
        return posixpath.join

    @pytest.fixture
    def fs_path(self) -> str:
        return f"suite/{uuid.uuid4().hex}"

    @pytest.fixture
    def supports_empty_directories(self) -> bool:
        return False


class TestAgentBayCopy(AbstractCopyTests, AgentBayFixtures):  # type: ignore[misc]
    pass


class TestAgentBayGet(AbstractGetTests, AgentBayFixtures):  # type: ignore[misc]
    pass


class TestAgentBayPut(AbstractPutTests, AgentBayFixtures):  # type: ignore[misc]
    pass


class TestAgentBayPipe(AbstractPipeTests, AgentBayFixtures):  # type: ignore[misc]
    pass


class TestAgentBayOpen(AbstractOpenTests, AgentBayFixtures):  # type: ignore[misc]
    pass
