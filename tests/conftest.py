"""Shared pytest configuration (async tests run on asyncio through pytest-asyncio, auto mode)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# A loaded 2-core CI machine runs an example in seconds now and then: no per-example deadline,
# no health check on slow data generation; the per-test timeout still bounds every test.
settings.register_profile("agentbay", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("agentbay")


@pytest.fixture(scope="session")
def emulator_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One live emulator for the whole session (clearing takes 0.2 s); each test uses its own
    API key, which the emulator treats as an account of its own."""
    from agentbay_emulator import running

    with running(tmp_path_factory.mktemp("emulator"), clear_delay=0.2) as url:
        yield url


@pytest.fixture
def account_key() -> str:
    """A fresh API key: an empty account on the emulator."""
    return f"key-{uuid.uuid4().hex}"


TESTS = Path(__file__).resolve().parent
ORDER = ("unit", "contract", "e2e", "emulator", "fsspec", "repo")
"""The kinds of test, quickest first: ``pytest -x`` meets a failing unit test in seconds,
before the contract tests' sockets, the end-to-end runs and the repository's own checks."""


def _kind(item: pytest.Item) -> int:
    """Where ``item`` stands in :data:`ORDER` (its folder: ``tests/unit``, ``tests/_async/e2e``,
    ...); after them all when in none."""
    try:
        folders = Path(str(item.path)).relative_to(TESTS).parts[:-1]
    except ValueError:  # not below tests/ (soak/, say)
        return len(ORDER)
    return next((rank for rank, kind in enumerate(ORDER) if kind in folders), len(ORDER))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run unit tests first, then contract, end-to-end, the emulator's, fsspec's and the
    repository's checks (a stable sort: each file keeps its order).

    Under mutation testing (``nox -s mutate``), run the quickest tests first instead: mutmut
    stops at the first failure, so a mutant a unit test kills costs milliseconds, not a
    contract test's seconds. mutmut runs pytest in ``mutants/`` with the durations it measured
    there."""
    stats = Path("mutmut-stats.json")
    if not os.environ.get("MUTANT_UNDER_TEST") or not stats.exists():
        items.sort(key=_kind)
        return
    durations = json.loads(stats.read_text(encoding="utf-8")).get("duration_by_test", {})
    items.sort(key=lambda item: durations.get(item.nodeid, 0.0))
