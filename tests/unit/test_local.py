"""The file-system seam of a transfer (``agentbay._local``): sources read once or again, sizes
of file objects, destinations written, committed and discarded, and what each failure says."""

from __future__ import annotations

import contextlib
import io
import os
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from agentbay import AgentBayError
from agentbay._local import (
    LocalIOError,
    OpenedDestination,
    OpenedSource,
    Progress,
    TempFileDestination,
    check_progress,
    open_destination,
    open_source,
    read_chunk,
)
from agentbay._transports.http import CHUNK_SIZE
from tests.helpers import OneWay


class NoSeekBack(io.BytesIO):
    """Seekable by its own account, but every seek fails (a device)."""

    def seek(self, *args: Any) -> int:
        raise OSError(29, "Illegal seek")


# --------------------------------------------------------------------------- progress


def test_progress_reports_a_changed_total_from_where_it_is() -> None:
    seen: list[tuple[int, int | None]] = []
    progress = Progress(lambda done, total: seen.append((done, total)), None)
    progress.start(None)
    progress.advance(10)
    progress.resume(None)  # the same total: nothing to report
    progress.resume(100)
    progress.resume(100)
    progress.advance(5)

    assert seen == [(0, None), (10, None), (10, 100), (15, 100)]
    assert (progress.done, progress.total) == (15, 100)


# --------------------------------------------------------------------------- sources


def test_a_file_object_is_sent_from_its_position_to_its_end() -> None:
    reader = io.BytesIO(b"0123456789")
    reader.seek(4)
    source = open_source(reader)

    assert (source.size, source.next_chunk(), source.next_chunk()) == (6, b"456789", b"")
    assert source.rewind() and source.taken == 0
    assert source.next_chunk() == b"456789"


def test_a_file_object_past_its_end_has_nothing_to_send() -> None:
    reader = io.BytesIO(b"0123")
    reader.seek(10)

    assert open_source(reader).size == 0


def test_a_source_of_unknown_size_reads_chunk_after_chunk_to_its_end() -> None:
    source = open_source(io.BufferedReader(OneWay(b"x" * (CHUNK_SIZE + 5))))

    assert source.size is None
    assert [len(source.next_chunk()) for _ in range(3)] == [CHUNK_SIZE, 5, 0]


def test_a_source_never_reads_past_the_size_it_had_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"a" * 10)
    source = open_source(path)
    with open(path, "ab") as grown:
        grown.write(b"b" * 10)

    assert (source.next_chunk(), source.next_chunk()) == (b"a" * 10, b"")
    source.close()


def test_a_source_that_shrinks_says_so_naming_itself(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"a" * 10)
    source = open_source(path)
    path.write_bytes(b"a" * 4)

    assert source.next_chunk() == b"a" * 4
    with pytest.raises(LocalIOError) as caught:
        source.next_chunk()
    assert str(caught.value) == (
        f"Cannot read {path}: it changed size while being sent (4 of 10 bytes read)"
    )
    source.close()


def test_only_a_source_the_sdk_opened_is_closed_by_it(tmp_path: Path) -> None:
    caller_file = io.BytesIO(b"data")
    open_source(caller_file).close()
    assert not caller_file.closed

    path = tmp_path / "a.bin"
    path.write_bytes(b"data")
    opened = open_source(path)
    opened.close()
    with pytest.raises(LocalIOError, match="closed file"):
        opened.next_chunk()


def test_a_source_not_read_yet_needs_no_seek_to_start_again() -> None:
    source = OpenedSource(NoSeekBack(b"data"), 4, "the source")

    assert source.rewind() is True
    assert source.next_chunk() == b"data"
    assert source.rewind() is False  # read from, and it cannot go back


def test_a_pipe_read_from_cannot_start_again() -> None:
    source = open_source(io.BufferedReader(OneWay(b"data")))
    assert source.next_chunk() == b"data"
    assert source.rewind() is False


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (OSError(5, "Input/output error"), "Input/output error"),
        (OSError("no errno"), "no errno"),
        (ValueError("I/O operation on closed file."), "I/O operation on closed file."),
    ],
)
def test_a_read_that_fails_names_the_source_and_why(error: Exception, reason: str) -> None:
    class Failing(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            raise error

    with pytest.raises(LocalIOError) as caught:
        read_chunk(Failing(), 10, "photo.jpg")
    assert str(caught.value) == f"Cannot read photo.jpg: {reason}"
    with pytest.raises(LocalIOError) as caught:
        OpenedSource(Failing(b"1234"), 4, "the source").next_chunk()
    assert str(caught.value) == f"Cannot read the source: {reason}"


# --------------------------------------------------------------------------- destinations


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (OSError(28, "No space left on device"), "No space left on device"),
        (OSError("no errno"), "no errno"),
        (ValueError("I/O operation on closed file."), "I/O operation on closed file."),
    ],
)
def test_a_write_that_fails_names_the_destination_and_why(error: Exception, reason: str) -> None:
    class Failing(io.BytesIO):
        def write(self, data: Any) -> int:
            raise error

    destination = open_destination(Failing())
    with pytest.raises(LocalIOError) as caught:
        destination.write(b"x")
    assert str(caught.value) == f"Cannot write the destination: {reason}"
    assert destination.written == 0


def test_a_download_into_a_path_goes_through_a_hidden_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    destination = open_destination(target)
    assert isinstance(destination, TempFileDestination)
    temp = Path(destination.temp_path)

    assert temp.parent == tmp_path
    assert re.fullmatch(r"\.a\.bin\.[0-9a-f]{12}\.part", temp.name)
    destination.write(b"data")
    assert not target.exists()
    destination.commit()
    destination.discard()  # after a commit: the file stays

    assert target.read_bytes() == b"data"
    assert not temp.exists()


def test_a_discarded_download_leaves_nothing(tmp_path: Path) -> None:
    destination = open_destination(tmp_path / "a.bin")
    destination.write(b"data")
    destination.discard()

    assert list(tmp_path.iterdir()) == []


def test_a_discard_that_cannot_remove_the_temporary_file_is_quiet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    destination = open_destination(tmp_path / "a.bin")

    def unlink(path: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "unlink", unlink)
    destination.discard()  # no exception


def test_a_commit_that_fails_names_the_destination_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a.bin"
    destination = open_destination(target)
    destination.write(b"data")

    def replace(source: Any, target: Any) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(LocalIOError) as caught:
        destination.commit()
    assert str(caught.value) == f"Cannot write {target}: Invalid cross-device link"
    monkeypatch.undo()
    destination.discard()  # not committed: the temporary file goes
    assert list(tmp_path.iterdir()) == []


def test_a_folder_is_no_destination(tmp_path: Path) -> None:
    with pytest.raises(AgentBayError, match=f"Cannot write {re.escape(str(tmp_path))}: it is a"):
        open_destination(tmp_path)


def test_a_destination_that_cannot_seek_cannot_start_over() -> None:
    class Forward(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            return len(data)

    destination = OpenedDestination(Forward())
    assert destination.restart() is True  # nothing written yet: nothing to undo
    destination.write(b"abc")
    assert destination.restart() is False
    assert destination.written == 3


def test_a_destination_starts_over_from_where_it_was_handed() -> None:
    sink = io.BytesIO(b"keep:")
    sink.seek(5)
    destination = OpenedDestination(sink)
    destination.write(b"partial")

    assert destination.restart() is True
    destination.write(b"whole")
    assert (sink.getvalue(), destination.written) == (b"keep:whole", 5)


def test_a_named_pipe_is_read_in_chunks_of_unknown_total(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    data = b"p" * (CHUNK_SIZE + 5)

    def feed() -> None:
        with open(fifo, "wb") as writer:
            writer.write(data)

    feeder = threading.Thread(target=feed)
    feeder.start()
    source = open_source(fifo)
    try:
        assert source.size is None
        assert [len(source.next_chunk()) for _ in range(3)] == [CHUNK_SIZE, 5, 0]
        assert source.rewind() is False
    finally:
        source.close()
        feeder.join(5)


def test_a_file_object_that_fails_is_named_the_source() -> None:
    class Failing(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            raise OSError(5, "Input/output error")

    with pytest.raises(LocalIOError) as caught:
        open_source(Failing(b"data")).next_chunk()
    assert str(caught.value) == "Cannot read the source: Input/output error"


def test_a_named_pipe_is_closed_with_its_source_and_named_by_its_path(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError):  # the reader may close first
            fifo.write_bytes(b"data")

    feeder = threading.Thread(target=feed)
    feeder.start()
    source = open_source(fifo)
    source.close()
    feeder.join(5)

    with pytest.raises(LocalIOError) as caught:
        source.next_chunk()
    assert str(caught.value).startswith(f"Cannot read {fifo}: ")
    assert "closed file" in str(caught.value)


def test_a_destination_whose_seek_fails_cannot_start_over() -> None:
    destination = OpenedDestination(NoSeekBack())
    destination.write(b"abc")

    assert destination.restart() is False
    assert destination.written == 3


@pytest.mark.parametrize(
    ("wrong", "named"), [(io.StringIO("text"), "StringIO"), (3, "int"), (None, "NoneType")]
)
def test_a_source_or_destination_of_the_wrong_type_is_named(wrong: Any, named: str) -> None:
    with pytest.raises(AgentBayError) as caught:
        open_source(wrong)
    assert caught.value.message == (
        f"source must be a path, bytes or a binary file object, got {named}"
    )
    with pytest.raises(AgentBayError) as caught:
        open_destination(wrong)
    assert caught.value.message == (
        f"destination must be a path or a binary file object, got {named}"
    )


def test_a_path_that_cannot_be_opened_is_named_with_why(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "a.bin"
    with pytest.raises(AgentBayError) as caught:
        open_source(missing)
    assert caught.value.message == f"Cannot read {missing}: No such file or directory"
    with pytest.raises(AgentBayError) as caught:
        open_destination(missing)
    assert caught.value.message == f"Cannot write {missing}: No such file or directory"


def test_a_progress_that_is_not_callable_is_named() -> None:
    check_progress(None)
    check_progress(print)
    with pytest.raises(AgentBayError) as caught:
        check_progress(3)
    assert caught.value.message == "progress must be callable, got int"
