"""Fixtures of the fsspec tests: one emulator for the module's tests, a fresh account (API key)
per test, and the filesystem over it.

Without fsspec installed (the default ``tests`` session), nothing here is collected; the heavy
libraries (pandas, pyarrow, DuckDB, dask) are needed only by ``test_libraries.py``, which the
``fsspec`` nox session runs.
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

if importlib.util.find_spec("fsspec") is None:
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session")
def fs_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The one emulator of the fsspec tests (the only place that starts one)."""
    from agentbay_emulator import running

    with running(tmp_path_factory.mktemp("fsspec-emulator"), clear_delay=0.1) as url:
        yield url


@pytest.fixture
def fs_options(fs_endpoint: str) -> dict[str, Any]:
    """storage_options of a fresh, empty account on the emulator."""
    return {"api_key": f"fs-{uuid.uuid4().hex}", "endpoint": fs_endpoint, "timeout_ms": 10_000}


@pytest.fixture
def agentbay_fs(fs_options: dict[str, Any]) -> Any:
    """An AgentBayFileSystem of a fresh account, with one context named ``data``."""
    import fsspec

    fs = fsspec.filesystem("agentbay", **fs_options)
    fs.mkdir("data")
    return fs
