"""The command line's pure pieces, without a server: the line an interrupted folder transfer
prints, the plain-HTTP hint's endpoint, a listing's rows and sizes, the progress columns."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from agentbay._cli_progress import _one_line, human_size, shorten
from agentbay._config import DEFAULT_ENDPOINT
from agentbay._models import ContextFileEntry
from agentbay.cli import _file_row, _interrupted, _State, _when


@pytest.mark.parametrize(
    ("files", "line"),
    [
        (None, "Interrupted before any file moved."),
        (
            (3, 1, 6, 10),
            "Interrupted: 3 of 10 files landed, 1 failed, 2 stopped midway, 4 never started",
        ),
        (
            (5, 2, 6, 10),  # counts read a moment apart: never a negative midway
            "Interrupted: 5 of 10 files landed, 2 failed, 0 stopped midway, 4 never started",
        ),
    ],
)
def test_an_interrupted_folder_transfer_says_what_it_did(files: Any, line: str) -> None:
    assert _interrupted(SimpleNamespace(files=files)) == line  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("endpoint", "environment", "hint"),
    [
        ("https://h.test:8765/", None, "http://h.test:8765"),
        (" h.test:8765 ", None, "http://h.test:8765"),
        ("https://h.test/a://b", None, "http://h.test/a://b"),
        ("https://PROXY.TEST/X/", None, "http://PROXY.TEST/X"),  # only the slash goes
        (None, "https://env.test:1/", "http://env.test:1"),
        (None, None, f"http://{DEFAULT_ENDPOINT}"),  # a host: the cloud's
    ],
)
def test_the_plain_http_hint_names_the_endpoint_in_use(
    monkeypatch: pytest.MonkeyPatch, endpoint: str | None, environment: str | None, hint: str
) -> None:
    monkeypatch.delenv("AGENTBAY_ENDPOINT", raising=False)
    if environment is not None:
        monkeypatch.setenv("AGENTBAY_ENDPOINT", environment)
    state = _State()
    state.endpoint = endpoint

    assert state.plain_http_endpoint() == hint


def entry(**fields: Any) -> ContextFileEntry:
    values: dict[str, Any] = {"file_id": "f", "file_name": "a", "file_path": "/a", **fields}
    return ContextFileEntry(**values)


@pytest.mark.parametrize(
    ("listed", "exact", "row"),
    [
        (entry(file_type="file", size=2048), False, ("file", "2.0 KiB", "-", "/a")),
        (entry(file_type="file", size=2048), True, ("file", "2048", "-", "/a")),
        (entry(file_type="folder", size=4096), True, ("folder", "-", "-", "/a")),
        (
            entry(size=None, gmt_modified="2025-05-29T12:00:00Z"),
            True,
            ("-", "-", "2025-05-29 12:00", "/a"),
        ),
    ],
)
def test_a_listing_row(listed: ContextFileEntry, exact: bool, row: tuple[str, ...]) -> None:
    assert _file_row(listed, exact) == row


@pytest.mark.parametrize(
    ("stamp", "shown"),
    [
        (None, "-"),
        ("", "-"),
        ("2025-05-29T12:00:00Z", "2025-05-29 12:00"),
        ("Thu, 29 May 2025 12:00:00 GMT", "Thu, 29 May 2025 12:00:00 GMT"),
    ],
)
def test_a_time_in_a_table(stamp: str | None, shown: str) -> None:
    assert _when(stamp) == shown


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (1023, "1023 bytes"),
        (1024, "1.0 KiB"),
        (1_048_524, "1023.9 KiB"),  # 1023.95 KiB and up would print as 1024.0 KiB
        (1_048_525, "1.0 MiB"),
        (5 * 1024**7, "5120.0 EiB"),  # past the last unit: still in it
    ],
)
def test_human_sizes(count: int, shown: str) -> None:
    assert human_size(count) == shown


def test_a_progress_column_never_wraps() -> None:
    column = _one_line()
    assert (column.no_wrap, column.overflow) == (True, "ellipsis")
    assert shorten("/2025/reports/q1.pdf", 10) == "…ts/q1.pdf"
    assert shorten("/short", 10) == "/short"


def test_shorten_keeps_a_text_that_fits_exactly() -> None:
    assert shorten("/a/b.txt", 8) == "/a/b.txt"
    assert shorten("/a/b.txt", 7) == "…/b.txt"


def test_the_label_keeps_eight_characters_on_a_narrow_terminal() -> None:
    from rich.console import Console
    from rich.progress import Task

    from agentbay._cli_progress import _LabelColumn

    narrow = Console(width=12)  # a third of it is 4: the label keeps 8 all the same
    task = Task(0, "/reports/2025/q1.pdf", None, 0, _get_time=lambda: 0.0)
    assert _LabelColumn(narrow).render(task).plain == "…/q1.pdf"


def test_the_bytes_and_the_rate_show_nothing_before_they_are_known() -> None:
    from rich.progress import Task

    from agentbay._cli_progress import _BytesColumn, _RateColumn

    listing = Task(0, "/photos", None, 0, _get_time=lambda: 0.0)  # no total, no byte yet
    assert _BytesColumn(binary_units=True).render(listing).plain == ""
    assert _RateColumn().render(listing).plain == ""
    started = Task(0, "/photos", 2048, 1024, _get_time=lambda: 0.0)
    assert _BytesColumn(binary_units=True).render(started).plain == "1.0/2.0 KiB"
