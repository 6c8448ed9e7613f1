"""The progress bar of the ``agentbay`` command: one line on stderr, drawn only on a terminal.

It shows the bytes done and total, the rate and the time left, fits the terminal's width
(redrawn in place, never stacked), and for a folder transfer the files done and total too (and
the failed ones, apart). Sizes and rates are in one unit family, powers of 1024 (KiB, MiB/s).
It needs rich (the ``cli`` extra). Example::

    with TransferBar("/docs/report.pdf") as bar:  # bar(done, total): the SDK's callback
        agent_bay.context.upload_file(context_id, "/docs/report.pdf", "report.pdf", progress=bar)

    with TransferBar("/photos", files=True) as bar:  # a folder: one bar for all its files
        bar.update(done_bytes, total_bytes, done_files, total_files, failed_files=1)
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Column
from rich.text import Text

from ._sync._io import Closing

LABEL_SHARE = 1 / 3
"""The largest part of the terminal's width the label takes; longer labels lose their start."""

BINARY_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def human_size(count: int) -> str:
    """``count`` bytes for a person, in powers of 1024 (as the progress bar shows them).

    >>> human_size(5), human_size(2_097_159), human_size(1_503_238_553)
    ('5 bytes', '2.0 MiB', '1.4 GiB')
    """
    if count < 1024:
        return f"{count} byte" + ("" if count == 1 else "s")
    value = float(count)
    for unit in BINARY_UNITS:
        value /= 1024
        if value < 1023.95 or unit == BINARY_UNITS[-1]:
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def _one_line() -> Column:
    """A column that never wraps: on a narrow terminal its text ends in an ellipsis instead."""
    return Column(no_wrap=True, overflow="ellipsis")


def shorten(text: str, width: int) -> str:
    """``text`` cut from the left to at most ``width`` (> 1) characters, keeping its end.

    >>> shorten("/2025/reports/q1.pdf", 10)
    '…ts/q1.pdf'
    """
    return text if len(text) <= width else "…" + text[len(text) - width + 1 :]


class _LabelColumn(ProgressColumn):
    """The task's description, shortened to its share of the console's current width."""

    def __init__(self, console: Console) -> None:
        super().__init__(table_column=_one_line())
        self._console = console

    def render(self, task: Task) -> Text:
        """The label, at most ``LABEL_SHARE`` of the width (at least 8 characters)."""
        return Text(shorten(task.description, max(8, int(self._console.width * LABEL_SHARE))))


class _BytesColumn(DownloadColumn):
    """Bytes done and total in KiB/MiB/GiB; nothing before the first byte of an unknown total
    (a folder still being listed), rather than ``0/? bytes``."""

    def render(self, task: Task) -> Text:
        """``1.0/1.4 GiB``, or nothing yet."""
        if task.total is None and not task.completed:
            return Text("")
        return super().render(task)


class _RateColumn(ProgressColumn):
    """The rate, in the units of the sizes beside it (``112.3 MiB/s``); nothing until known."""

    def render(self, task: Task) -> Text:
        """The rate, or nothing."""
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{human_size(int(speed))}/s")


class TransferBar(Closing):
    """A progress bar for one transfer of ``label`` (a path), on ``console`` (stderr).

    Call it as ``bar(done, total)`` (the SDK's ``progress`` callback), or ``bar.update(...)``
    with file counts when ``files`` is true. Nothing is drawn unless the console is a terminal
    (nor when ``shown`` is false).
    """

    def __init__(
        self,
        label: str,
        *,
        console: Console | None = None,
        files: bool = False,
        shown: bool = True,
    ) -> None:
        self._console = console or Console(stderr=True)
        columns: list[ProgressColumn] = [
            _LabelColumn(self._console),
            BarColumn(bar_width=None, table_column=Column(no_wrap=True, ratio=1, min_width=5)),
            _BytesColumn(binary_units=True, table_column=_one_line()),
            _RateColumn(table_column=_one_line()),
            TimeRemainingColumn(table_column=_one_line()),
        ]
        if files:
            columns.insert(2, TextColumn("{task.fields[files]}", table_column=_one_line()))
        drawn = shown and self._console.is_terminal and not self._console.is_dumb_terminal
        self._progress = Progress(
            *columns,
            console=self._console,
            disable=not drawn,
            expand=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task = self._progress.add_task(label, total=None, files="listing…" if files else "")
        self.files: tuple[int, int, int, int] | None = None
        """The last file counts shown: (landed, failed, started, total); None before any."""
        self.text = ""
        """The last file counts, as shown."""

    def update(
        self,
        done_bytes: int,
        total_bytes: int | None,
        done_files: int | None = None,
        total_files: int | None = None,
        *,
        failed_files: int = 0,
        started_files: int = 0,
        phase: str = "transferring",
        found_files: int = 0,
        found_bytes: int = 0,
    ) -> None:
        """Show ``done_bytes`` of ``total_bytes`` (None: unknown) and, if given, the files that
        landed of all, and the failed ones apart. Takes the SDK's folder progress keywords:
        while the folders are still walked or listed (``phase``), the total is not final, so
        the bar shows it as unknown and says how many files were found so far.

        >>> bar = TransferBar("/photos", files=True, shown=False)
        >>> bar.update(0, 0, 0, 0, phase="listing", found_files=1200, found_bytes=5 << 20)
        >>> bar.text
        'listing: 1200 found, 0/0 files'
        """
        discovering = phase != "transferring"
        total = None if discovering else total_bytes
        self._progress.update(self._task, completed=done_bytes, total=total)
        if done_files is not None and total_files is not None:
            self.files = (done_files, failed_files, started_files, total_files)
            text = f"{phase}: {found_files} found, " if discovering else ""
            text += f"{done_files}/{total_files} files"
            text += f", {failed_files} failed" if failed_files else ""
            self.text = text
            self._progress.update(self._task, files=text)

    def __call__(self, done: int, total: int | None) -> None:
        """The SDK's progress callback: ``done`` bytes of ``total`` (None when unknown)."""
        self.update(done, total)

    def __enter__(self) -> TransferBar:
        self._progress.start()
        return self

    def close(self) -> None:
        """Stop drawing (the end of the ``with`` block)."""
        self._progress.stop()
