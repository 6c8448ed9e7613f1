"""The suite runs its quickest tests first (tests/conftest.py): unit, contract, e2e, the
emulator's, fsspec's, then the repository's checks, each file in its own order; so that
``pytest -x`` stops at a failing unit test in seconds."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests import conftest

TESTS = conftest.TESTS


def items(*paths: str) -> list[Any]:
    return [SimpleNamespace(path=TESTS / path, name=f"{path}#{i}") for i, path in enumerate(paths)]


def test_unit_tests_come_first_and_each_file_keeps_its_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MUTANT_UNDER_TEST", raising=False)
    collected = items(
        "repo/test_docs.py",
        "_sync/e2e/test_transfers.py",
        "emulator/test_files.py",
        "contract/test_tls.py",
        "unit/test_reply.py",
        "_async/unit/test_context.py",
        "fsspec/test_abstract.py",
        "unit/test_reply.py",
        "helpers_elsewhere/test_x.py",
    )

    conftest.pytest_collection_modifyitems(collected)

    assert [item.name for item in collected] == [
        "unit/test_reply.py#4",
        "_async/unit/test_context.py#5",
        "unit/test_reply.py#7",
        "contract/test_tls.py#3",
        "_sync/e2e/test_transfers.py#1",
        "emulator/test_files.py#2",
        "fsspec/test_abstract.py#6",
        "repo/test_docs.py#0",
        "helpers_elsewhere/test_x.py#8",
    ]


def test_every_test_file_is_in_a_folder_of_the_order() -> None:
    """A test file left at the top of tests/ (or in a new folder) would run last, unordered."""
    stray = [
        path.relative_to(TESTS).as_posix()
        for path in TESTS.rglob("test_*.py")
        if conftest._kind(SimpleNamespace(path=path)) == len(conftest.ORDER)  # type: ignore[arg-type]
    ]
    assert stray == []
