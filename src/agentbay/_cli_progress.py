"""The progress bar of the ``agentbay`` command: one line on stderr, drawn only on a terminal.

It shows the bytes done and total, the rate and the time left, fits the terminal's width
(redrawn in place, never stacked), and for a folder transfer the files done and total too.
It needs rich (the ``cli`` extra). Example::

    with TransferBar("/docs/report.pdf") as bar:  # bar(done, total): the SDK's callback
        agent_bay.context.upload_file(context_id, "/docs/report.pdf", "report.pdf", progress=bar)

    with TransferBar("/photos", files=True) as bar:  # a folder: one bar for all its files
        bar.update(done_bytes, total_bytes, done_files, total_files)
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Column
from rich.text import Text

LABEL_SHARE = 1 / 3
"""The largest part of the terminal's width the label takes; longer labels lose their start."""


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


class TransferBar:
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
            DownloadColumn(binary_units=True, table_column=_one_line()),
            TransferSpeedColumn(table_column=_one_line()),
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
        self._task = self._progress.add_task(label, total=None, files="")

    def update(
        self,
        done_bytes: int,
        total_bytes: int | None,
        done_files: int | None = None,
        total_files: int | None = None,
    ) -> None:
        """Show ``done_bytes`` of ``total_bytes`` (None: unknown) and, if given, the files."""
        self._progress.update(self._task, completed=done_bytes, total=total_bytes)
        if done_files is not None:
            self._progress.update(self._task, files=f"{done_files}/{total_files} files")

    def __call__(self, done: int, total: int | None) -> None:
        """The SDK's progress callback: ``done`` bytes of ``total`` (None when unknown)."""
        self.update(done, total)

    def __enter__(self) -> TransferBar:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()
