"""The single-file transfer (``_file_transfer``) at its two seams, fast: a fake storage at the
transport seam (under the real channel and exchange) that can refuse ranges, shrink its file
between attempts, cut a body short and answer 2xx bodies of any shape; and the file-system
seam (``_local``): sources and destinations that fail, shrink or cannot go back.

Nothing waits: the pause between attempts is recorded, not slept."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

from agentbay import Config, FileUrlResult, OperationResult
from agentbay._async import _file_transfer
from agentbay._async._channel import AsyncChannel
from agentbay._async._file_transfer import FileJob
from agentbay._transports import timing
from agentbay._transports.errors import Kind, TransportError
from tests.helpers import API_KEY

DATA = bytes(range(256)) * 40  # 10,240 bytes: several reads of a chunk each
SIZE = len(DATA)
ETAG = '"v1"'
LAST_MODIFIED = "Thu, 29 May 2025 12:00:00 GMT"
READ_SIZE = 4096
SIGNATURE = "s3cr3t-signature"


@attrs.define
class Answer:
    """How the fake storage answers one request."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = attrs.field(factory=dict)
    cut_after: int | None = None  # the connection breaks once this many body bytes are out


@attrs.define
class Seen:
    """One request the fake storage got."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes


class FakeResponse:
    """A transport's response: status and headers at once, the body read by read()."""

    def __init__(self, answer: Answer) -> None:
        self._answer = answer
        self._sent = 0
        self.closed = False

    @property
    def status(self) -> int:
        return self._answer.status

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self._answer.headers.items() if k.lower() == wanted), None)

    async def read(self, timeout: float) -> bytes:
        body, cut = self._answer.body, self._answer.cut_after
        end = len(body) if cut is None else min(cut, len(body))
        if self._sent >= end:
            if cut is not None:
                raise TransportError(Kind.BROKEN, "Network error: connection reset by peer")
            return b""
        chunk = body[self._sent : min(end, self._sent + READ_SIZE)]
        self._sent += len(chunk)
        return chunk

    async def aclose(self) -> None:
        self.closed = True


Step = Callable[["FakeStorage", dict[str, str], bytes], Answer]


class FakeStorage:
    """Storage at the transport seam: one file (``data``, ``etag``), answering GET (a Range
    honoured while ``If-Range`` matches) and PUT; ``steps`` answer the first requests, one
    each, ``serve`` the rest."""

    def __init__(self, *steps: Step, data: bytes = DATA, etag: str | None = ETAG) -> None:
        self.steps = list(steps)
        self.data = data
        self.etag = etag
        self.last_modified: str | None = LAST_MODIFIED
        self.seen: list[Seen] = []
        self.stored: list[bytes] = []
        self.timeouts: list[float] = []

    async def open(
        self, method: str, url: str, headers: Mapping[str, str], body: Any, timeout: float
    ) -> FakeResponse:
        received = b""
        if isinstance(body, bytes):
            received = body
        elif body is not None:
            async for chunk in body:
                received += chunk
        lowered = {k.lower(): v for k, v in headers.items()}
        self.timeouts.append(timeout)
        self.seen.append(Seen(method, url, lowered, received))
        step = self.steps.pop(0) if self.steps else serve
        return FakeResponse(step(self, lowered, received))

    async def aclose(self) -> None:
        pass

    def validators(self) -> dict[str, str]:
        found = {"etag": self.etag, "last-modified": self.last_modified}
        return {k: v for k, v in found.items() if v is not None}


def serve(storage: FakeStorage, headers: dict[str, str], body: bytes) -> Answer:
    """What a correct storage answers."""
    if body or "content-length" in headers:  # a PUT
        storage.stored.append(body)
        return Answer(200)
    data, asked = storage.data, headers.get("range")
    if_range = headers.get("if-range")
    if asked and if_range in (None, storage.etag, storage.last_modified):
        first = int(asked.removeprefix("bytes=").rstrip("-"))
        if first >= len(data):
            return Answer(416, headers={"content-range": f"bytes */{len(data)}"})
        part = data[first:]
        headers_out = {
            "content-range": f"bytes {first}-{len(data) - 1}/{len(data)}",
            "content-length": str(len(part)),
            **storage.validators(),
        }
        return Answer(206, part, headers_out)
    return Answer(200, data, {"content-length": str(len(data)), **storage.validators()})


def cut(after: int) -> Step:
    """Answer as ``serve`` does, but break the connection after ``after`` body bytes."""

    def step(storage: FakeStorage, headers: dict[str, str], body: bytes) -> Answer:
        return attrs.evolve(serve(storage, headers, body), cut_after=after)

    return step


def shrink(data: bytes, etag: str | None = '"v2"') -> Step:
    """The file is replaced by a shorter one just before this request."""

    def step(storage: FakeStorage, headers: dict[str, str], body: bytes) -> Answer:
        storage.data, storage.etag, storage.last_modified = data, etag, None
        return serve(storage, headers, body)

    return step


def answer(status: int, body: bytes = b"", **headers: str) -> Step:
    """Answer ``status`` with ``body`` and ``headers`` (underscores for dashes)."""
    named = {k.replace("_", "-"): v for k, v in headers.items()}
    return lambda storage, headers_in, body_in: Answer(status, body, named)


class UrlFor:
    """``url_for``: a fresh presigned URL per attempt (``?n=1``, ``?n=2``, ...)."""

    def __init__(self) -> None:
        self.count = 0

    async def __call__(self, context_id: str, file_path: str) -> FileUrlResult:
        self.count += 1
        url = f"https://storage.test/blob?n={self.count}&Signature={SIGNATURE}"
        return FileUrlResult(request_id=f"req-{self.count}", success=True, url=url)


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses between attempts, recorded instead of slept."""
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(_file_transfer, "sleep", sleep)
    return pauses


def job(storage: FakeStorage, max_retries: int = 3, timeout: float | None = None) -> FileJob:
    cfg = Config(endpoint="https://agentbay.test", timeout_ms=5000, max_retries=max_retries)
    channel = AsyncChannel(API_KEY, cfg, storage)
    return FileJob(channel, UrlFor(), "ctx-1", "/a.bin", timeout)


async def download(
    storage: FakeStorage, into: Any = None, max_retries: int = 3
) -> tuple[OperationResult, Any]:
    destination = io.BytesIO() if into is None else into
    result = await _file_transfer.download(job(storage, max_retries), destination, None)
    return result, destination


def ranges(storage: FakeStorage) -> list[str | None]:
    return [seen.headers.get("range") for seen in storage.seen]


# --------------------------------------------------------------------------- resuming downloads


async def test_a_download_cut_short_resumes_where_it_broke_off(slept: list[float]) -> None:
    storage = FakeStorage(cut(5000))

    result, sink = await download(storage)

    assert (result.success, result.data, sink.getvalue()) == (True, SIZE, DATA)
    assert ranges(storage) == [None, "bytes=5000-"]
    assert storage.seen[1].headers["if-range"] == ETAG
    assert [seen.url.split("&")[0] for seen in storage.seen] == [
        "https://storage.test/blob?n=1",
        "https://storage.test/blob?n=2",
    ]
    assert all(seen.headers["accept-encoding"] == "identity" for seen in storage.seen)
    assert len(slept) == 1


@pytest.mark.parametrize(
    ("etag", "asked"),
    [
        # no validator: bytes=5000- is refused (416, bytes */14), the next attempt asks anew
        (None, [None, "bytes=5000-", None]),
        # If-Range names the old version: storage sends the new one whole at once
        (ETAG, [None, "bytes=5000-"]),
    ],
)
async def test_a_file_that_shrank_between_attempts_is_downloaded_again_from_its_start(
    slept: list[float], tmp_path: Path, etag: str | None, asked: list[str | None]
) -> None:
    short = b"a shorter file"
    storage = FakeStorage(cut(5000), shrink(short, etag and '"v2"'), etag=etag)
    if etag is None:
        storage.last_modified = None
    target = tmp_path / "a.bin"

    result, _ = await download(storage, target)

    assert ranges(storage) == asked
    assert (result.success, result.data) == (True, len(short))
    assert target.read_bytes() == short
    assert len(slept) == len(asked) - 1


async def test_a_range_refused_when_every_byte_is_in_completes_the_download(
    slept: list[float],
) -> None:
    storage = FakeStorage(cut(SIZE))  # every byte arrives, then the connection breaks

    result, sink = await download(storage)

    assert ranges(storage) == [None, f"bytes={SIZE}-"]
    assert (result.success, result.data, sink.getvalue()) == (True, SIZE, DATA)


async def test_a_416_without_a_range_asked_is_a_plain_failure(slept: list[float]) -> None:
    storage = FakeStorage(answer(416, content_range=f"bytes */{SIZE}"))

    result, sink = await download(storage)

    assert ranges(storage) == [None]
    assert (result.success, result.http_status_code) == (False, 416)
    assert "Storage answered HTTP 416" in result.error_message
    assert sink.getvalue() == b"" and slept == []


async def test_a_416_naming_another_size_is_retried_from_the_start(slept: list[float]) -> None:
    storage = FakeStorage(cut(5000), answer(416, content_range="bytes */9999"))

    result, sink = await download(storage)

    assert ranges(storage) == [None, "bytes=5000-", None]
    assert (result.success, sink.getvalue()) == (True, DATA)


async def test_the_whole_file_sent_for_a_range_replaces_what_was_there(
    slept: list[float],
) -> None:
    newer = b"N" * 7000
    whole = answer(200, newer, content_length=str(len(newer)), etag='"v2"')
    storage = FakeStorage(cut(5000), whole)

    result, sink = await download(storage)

    assert ranges(storage) == [None, "bytes=5000-"]
    assert (result.success, result.data, sink.getvalue()) == (True, len(newer), newer)


@pytest.mark.parametrize(
    "content_range",
    [
        f"bytes 4000-{SIZE - 1}/{SIZE}",  # not where the range asked
        f"bytes 5000-{SIZE - 2}/{SIZE}",  # does not run to the end
        f"bytes 5000-{SIZE}/{SIZE + 1}",  # another total than the first answer's
        f"bytes 5000-{SIZE - 1}/*",  # no total
        "garbage",
    ],
)
async def test_a_206_that_does_not_continue_the_file_is_dropped_and_the_next_starts_over(
    slept: list[float], content_range: str
) -> None:
    storage = FakeStorage(cut(5000), answer(206, DATA[5000:], content_range=content_range))

    result, sink = await download(storage)

    assert ranges(storage) == [None, "bytes=5000-", None]
    assert (result.success, result.data, sink.getvalue()) == (True, SIZE, DATA)


async def test_a_206_to_a_request_without_a_range_is_refused(slept: list[float]) -> None:
    partial = answer(206, DATA, content_range=f"bytes 0-{SIZE - 1}/{SIZE}")

    result, sink = await download(FakeStorage(partial, partial, partial, partial))

    assert result.success is False
    assert result.code == "SDK.ProtocolError"
    assert result.error_message == (
        "Storage answered 206 with an unexpected Content-Range (after 4 attempts)"
    )
    assert sink.getvalue() == b""


@pytest.mark.parametrize(
    ("etag", "last_modified", "if_range"),
    [
        (ETAG, LAST_MODIFIED, ETAG),  # a strong ETag is the validator
        ('W/"weak"', LAST_MODIFIED, LAST_MODIFIED),  # a weak one cannot be: the date is
        (None, LAST_MODIFIED, LAST_MODIFIED),
        (None, None, None),  # nothing to compare with: the range is asked without If-Range
    ],
)
async def test_a_resumed_download_names_the_version_it_continues(
    slept: list[float], etag: str | None, last_modified: str | None, if_range: str | None
) -> None:
    storage = FakeStorage(cut(5000), etag=etag)
    storage.last_modified = last_modified

    result, sink = await download(storage)

    assert (result.success, sink.getvalue()) == (True, DATA)
    assert storage.seen[1].headers.get("if-range") == if_range
    assert storage.seen[1].headers["range"] == "bytes=5000-"


@pytest.mark.parametrize("status", [200, 299])
async def test_a_2xx_body_shorter_than_its_length_is_resumed(
    slept: list[float], status: int
) -> None:
    short = answer(status, DATA[:3000], content_length=str(SIZE), etag=ETAG)
    storage = FakeStorage(short)

    result, sink = await download(storage)

    assert ranges(storage) == [None, "bytes=3000-"]
    assert (result.success, result.data, sink.getvalue()) == (True, SIZE, DATA)


async def test_a_body_that_keeps_ending_short_fails_saying_how_far_it_got(
    slept: list[float],
) -> None:
    short = answer(200, DATA[:3000], content_length=str(SIZE), etag=ETAG)

    result, _ = await download(FakeStorage(short, short), max_retries=1, into=io.BytesIO())

    assert result.success is False
    assert result.code == "SDK.ConnectionBroken"
    assert result.error_message == (
        f"The download ended after 3000 of {SIZE} bytes (after 2 attempts)"
    )


async def test_a_destination_that_cannot_go_back_is_not_started_over(
    slept: list[float],
) -> None:
    class Forward(io.RawIOBase):  # writable, not seekable: a pipe
        def __init__(self) -> None:
            self.data = b""

        def writable(self) -> bool:
            return True

        def write(self, chunk: Any) -> int:
            self.data += bytes(chunk)
            return len(chunk)

    sink = Forward()
    newer = b"N" * 7000
    storage = FakeStorage(cut(5000), answer(200, newer, content_length=str(len(newer))))

    result, _ = await download(storage, sink)

    assert result.success is False
    assert result.code == "SDK.LocalIOError"
    assert result.error_message == (
        "Cannot start the download over: the destination cannot be rewound (after 2 attempts)"
    )
    assert len(storage.seen) == 2  # a local failure is not retried
    assert sink.data == DATA[:5000]


# --------------------------------------------------------------------------- 2xx bodies

BODIES = [
    b"",
    b"{}",
    b'{"Code": "AccessDenied", "Message": "no"}',
    b"<Error><Code>AccessDenied</Code><Message>no</Message></Error>",
    b"\xff\x00" * 5000,
]


@pytest.mark.parametrize("status", [200, 201, 204, 299])
@pytest.mark.parametrize("body", BODIES, ids=["empty", "json", "json-error", "xml-error", "bin"])
async def test_any_2xx_answer_to_an_upload_is_success_whatever_its_body(
    slept: list[float], status: int, body: bytes
) -> None:
    storage = FakeStorage(answer(status, body))

    result = await _file_transfer.upload(job(storage), DATA, None)

    assert (result.success, result.data, result.request_id) == (True, SIZE, "req-1")
    assert (result.code, result.message, result.error_message) == ("", "", "")
    assert result.http_status_code == 0
    assert storage.seen[0].body == DATA
    assert storage.seen[0].headers["content-length"] == str(SIZE)


@pytest.mark.parametrize("status", [199, 300, 304, 404])
@pytest.mark.parametrize("body", BODIES, ids=["empty", "json", "json-error", "xml-error", "bin"])
async def test_an_answer_outside_2xx_fails_an_upload_whatever_its_body(
    slept: list[float], status: int, body: bytes
) -> None:
    storage = FakeStorage(answer(status, body))

    result = await _file_transfer.upload(job(storage), DATA, None)

    assert (result.success, result.http_status_code, result.data) == (False, status, None)
    assert result.error_message.startswith(f"Storage answered HTTP {status}: ")
    if b"AccessDenied" in body:
        assert (result.code, result.message) == ("AccessDenied", "no")
        assert result.error_message == f"Storage answered HTTP {status}: [AccessDenied] no"
    assert len(storage.seen) == 1  # none of these is worth another attempt


@pytest.mark.parametrize("status", [200, 203, 299])
@pytest.mark.parametrize("body", BODIES, ids=["empty", "json", "json-error", "xml-error", "bin"])
async def test_any_2xx_body_of_a_download_is_the_file(
    slept: list[float], status: int, body: bytes
) -> None:
    result, sink = await download(FakeStorage(answer(status, body)))

    assert (result.success, result.data, sink.getvalue()) == (True, len(body), body)
    assert (result.code, result.error_message, result.http_status_code) == ("", "", 0)


@pytest.mark.parametrize("status", [300, 404])
async def test_a_download_answered_outside_2xx_leaves_the_destination_alone(
    slept: list[float], tmp_path: Path, status: int
) -> None:
    target = tmp_path / "a.bin"
    target.write_bytes(b"before")

    result, _ = await download(FakeStorage(answer(status, b"<Error/>" * 10)), target)

    assert (result.success, result.http_status_code) == (False, status)
    assert target.read_bytes() == b"before"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]  # no temporary file left


# --------------------------------------------------------------------------- redaction

QUERY = f"n=1&Signature={SIGNATURE}"


def every_text(result: OperationResult) -> str:
    return " | ".join(str(value) for value in attrs.asdict(result).values())


@pytest.mark.parametrize("direction", ["upload", "download"])
async def test_no_field_of_a_failed_transfer_holds_the_key_or_the_presigned_query(
    slept: list[float], direction: str
) -> None:
    echo = (
        f"<Error><Code>Denied{API_KEY}?{QUERY}</Code><Message>for https://storage.test/blob?"
        f"{QUERY} and {API_KEY}, signed {SIGNATURE}</Message></Error>"
    ).encode()
    storage = FakeStorage(answer(403, echo))

    if direction == "upload":
        result = await _file_transfer.upload(job(storage), DATA, None)
    else:
        result, _ = await download(storage)

    assert result.success is False
    assert result.http_status_code == 403
    assert result.message.startswith("for https://storage.test/blob")
    assert result.code.startswith("Denied")
    text = every_text(result)
    assert API_KEY not in text
    assert SIGNATURE not in text


@pytest.mark.parametrize("direction", ["upload", "download"])
async def test_a_network_error_naming_the_url_is_redacted_too(
    slept: list[float], direction: str
) -> None:
    def broken(storage: FakeStorage, headers: dict[str, str], body: bytes) -> Answer:
        raise TransportError(
            Kind.BROKEN, f"Network error: https://storage.test/blob?{QUERY} ({API_KEY})"
        )

    storage = FakeStorage(broken, broken)

    if direction == "upload":
        result = await _file_transfer.upload(job(storage, max_retries=1), DATA, None)
    else:
        result, _ = await download(storage, max_retries=1)

    assert (result.success, result.code) == (False, "SDK.ConnectionBroken")
    assert result.error_message.startswith("Network error: https://storage.test/blob")
    assert result.error_message.endswith("(after 2 attempts)")
    text = every_text(result)
    assert API_KEY not in text
    assert SIGNATURE not in text


# --------------------------------------------------------------------------- the local side


async def test_an_upload_retried_reads_its_file_again_from_the_start(
    slept: list[float], tmp_path: Path
) -> None:
    source = tmp_path / "a.bin"
    source.write_bytes(DATA)
    storage = FakeStorage(answer(503), answer(500))

    result = await _file_transfer.upload(job(storage), source, None)

    assert (result.success, result.data) == (True, SIZE)
    assert [seen.body for seen in storage.seen] == [DATA, DATA, DATA]
    assert len(slept) == 2


async def test_a_source_that_shrinks_between_attempts_is_not_sent_short(
    slept: list[float], tmp_path: Path
) -> None:
    source = tmp_path / "a.bin"
    source.write_bytes(DATA)

    def refuse_then_shrink(storage: FakeStorage, headers: dict[str, str], body: bytes) -> Answer:
        source.write_bytes(DATA[:100])  # the file is cut while the transfer waits
        return Answer(503)

    storage = FakeStorage(refuse_then_shrink)

    result = await _file_transfer.upload(job(storage), source, None)

    assert result.success is False
    assert result.code == "SDK.LocalIOError"
    assert "changed size" in result.error_message
    assert storage.stored == []


async def test_a_file_object_that_fails_to_write_fails_the_download_without_retrying(
    slept: list[float],
) -> None:
    class Full(io.BytesIO):
        def write(self, chunk: Any) -> int:
            raise OSError(28, "No space left on device")

    result, _ = await download(FakeStorage(), Full())

    assert (result.success, result.code) == (False, "SDK.LocalIOError")
    assert result.error_message == "Cannot write the destination: No space left on device"
    assert slept == []


@pytest.mark.parametrize("failing", [2, 3])  # a middle chunk, the last one
async def test_a_later_chunk_that_fails_to_write_fails_the_download_however_far_it_got(
    slept: list[float], failing: int
) -> None:
    class FullLater(io.BytesIO):
        writes = 0

        def write(self, chunk: Any) -> int:
            self.writes += 1
            if self.writes == failing:
                raise OSError(28, "No space left on device")
            return super().write(chunk)

    seen: list[tuple[int, int | None]] = []
    result = await _file_transfer.download(
        job(FakeStorage()), FullLater(), lambda done, total: seen.append((done, total))
    )

    assert (result.success, result.code) == (False, "SDK.LocalIOError")
    assert result.error_message == "Cannot write the destination: No space left on device"
    assert slept == []
    assert seen[-1] == ((failing - 1) * READ_SIZE, SIZE)  # what was written, no more


async def test_progress_reports_each_chunk_once_it_is_written(slept: list[float]) -> None:
    sizes: list[int] = []

    class Counting(io.BytesIO):
        def write(self, chunk: Any) -> int:
            sizes.append(len(chunk))
            return super().write(chunk)

    seen: list[tuple[int, int | None]] = []
    destination = Counting()
    result = await _file_transfer.download(
        job(FakeStorage()), destination, lambda done, total: seen.append((done, total))
    )

    assert result.success and destination.getvalue() == DATA
    steps = [sum(sizes[:n]) for n in range(len(sizes) + 1)]
    assert seen == [(done, SIZE) for done in steps]


async def test_a_file_object_that_fails_to_read_fails_the_upload_without_retrying(
    slept: list[float],
) -> None:
    class Broken(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            raise OSError(5, "Input/output error")

    storage = FakeStorage()

    result = await _file_transfer.upload(job(storage), Broken(DATA), None)

    assert (result.success, result.code) == (False, "SDK.LocalIOError")
    assert "Input/output error" in result.error_message
    assert slept == [] and storage.stored == []


async def progress_of(storage: FakeStorage) -> list[tuple[int, int | None]]:
    seen: list[tuple[int, int | None]] = []
    await _file_transfer.download(
        job(storage), io.BytesIO(), lambda done, total: seen.append((done, total))
    )
    return seen


async def test_progress_of_a_resumed_download_never_goes_back(slept: list[float]) -> None:
    seen = await progress_of(FakeStorage(cut(5000)))

    assert seen[-1] == (SIZE, SIZE)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


async def test_a_resumed_body_that_ends_short_is_resumed_again(slept: list[float]) -> None:
    short = answer(206, DATA[5000:8000], content_range=f"bytes 5000-{SIZE - 1}/{SIZE}")
    storage = FakeStorage(cut(5000), short)

    result, sink = await download(storage)

    assert ranges(storage) == [None, "bytes=5000-", "bytes=8000-"]
    assert (result.success, result.data, sink.getvalue()) == (True, SIZE, DATA)


async def test_progress_learns_the_total_from_a_resumed_answer(slept: list[float]) -> None:
    unsized = answer(200, DATA, etag=ETAG)  # no Content-Length: the total is unknown
    cut_short = lambda s, h, b: attrs.evolve(unsized(s, h, b), cut_after=5000)  # noqa: E731
    seen = await progress_of(FakeStorage(cut_short))

    assert (5000, None) in seen
    assert seen[-1] == (SIZE, SIZE)
    assert seen[seen.index((5000, None)) + 1] == (5000, SIZE)  # the 206 names the total


async def test_progress_learns_the_total_from_a_416_when_every_byte_was_in(
    slept: list[float],
) -> None:
    unsized = answer(200, DATA, etag=ETAG)
    every_byte = lambda s, h, b: attrs.evolve(unsized(s, h, b), cut_after=SIZE)  # noqa: E731
    seen = await progress_of(FakeStorage(every_byte))

    assert seen[-2:] == [(SIZE, None), (SIZE, SIZE)]


@pytest.mark.parametrize("direction", ["upload", "download"])
async def test_the_transfer_timeout_bounds_each_attempt(slept: list[float], direction: str) -> None:
    storage = FakeStorage()
    if direction == "upload":
        result = await _file_transfer.upload(job(storage, timeout=1.5), DATA, None)
    else:
        result = await _file_transfer.download(job(storage, timeout=1.5), io.BytesIO(), None)

    assert result.success
    assert 0 < storage.timeouts[0] <= 1.5  # the client's timeout is 5 s: the transfer's wins


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now


@pytest.mark.parametrize("direction", ["upload", "download"])
async def test_a_transfer_out_of_time_says_after_how_long(
    slept: list[float], monkeypatch: pytest.MonkeyPatch, direction: str
) -> None:
    clock = FakeTime()
    monkeypatch.setattr(timing, "time", clock)

    def late(storage: FakeStorage, headers: dict[str, str], body: bytes) -> Answer:
        clock.now += 2.0
        raise TransportError(Kind.TIMEOUT, "Request timed out")

    storage = FakeStorage(late)
    if direction == "upload":
        result = await _file_transfer.upload(job(storage, timeout=1.5), DATA, None)
    else:
        result = await _file_transfer.download(job(storage, timeout=1.5), io.BytesIO(), None)

    assert (result.success, result.code) == (False, "SDK.Timeout")
    assert result.error_message == "Transfer timed out after 1500 ms"
    assert len(storage.seen) == 1 and slept == []


def clocked(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    """A clock for the transfer's deadlines; a pause between attempts moves it (and is
    recorded in ``clock.slept``)."""
    clock = FakeTime()

    async def sleep(seconds: float) -> None:
        clock.slept.append(seconds)
        clock.now += seconds

    monkeypatch.setattr(timing, "time", clock)
    monkeypatch.setattr(_file_transfer, "sleep", sleep)
    return clock


def timing_out(clock: FakeTime, until: float, kind: Kind = Kind.TIMEOUT) -> Step:
    """Move the clock to ``until`` (seconds after the transfer began), then fail with ``kind``."""

    def step(storage: FakeStorage, headers: dict[str, str], body: bytes) -> Answer:
        clock.now = 1000.0 + until
        raise TransportError(kind, f"{kind.name} on the way")

    return step


def busy(clock: FakeTime, until: float) -> Step:
    def step(storage: FakeStorage, headers: dict[str, str], body: bytes) -> Answer:
        clock.now = 1000.0 + until
        return Answer(503, b"", {"retry-after": "0"})

    return step


@pytest.mark.parametrize("until", [1.5, 3.0])  # the deadline's very instant, and past it
async def test_a_later_attempt_out_of_time_names_the_whole_transfer_timeout(
    monkeypatch: pytest.MonkeyPatch, until: float
) -> None:
    clock = clocked(monkeypatch)
    storage = FakeStorage(busy(clock, 0.5), timing_out(clock, until))

    result = await _file_transfer.upload(job(storage, timeout=1.5), DATA, None)

    assert (result.success, result.code) == (False, "SDK.Timeout")
    assert result.error_message == "Transfer timed out after 1500 ms (after 2 attempts)"
    assert len(storage.seen) == 2


async def test_a_stall_with_time_left_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = clocked(monkeypatch)
    storage = FakeStorage(timing_out(clock, 1.0), timing_out(clock, 1.2))  # 0.5 s, 0.3 s left

    result = await _file_transfer.upload(job(storage, timeout=1.5), DATA, None)

    assert (result.success, result.data, len(storage.seen)) == (True, SIZE, 3)


async def test_a_stall_without_a_transfer_timeout_is_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = clocked(monkeypatch)
    storage = FakeStorage(timing_out(clock, 100.0))

    result = await _file_transfer.upload(job(storage), DATA, None)

    assert (result.success, len(storage.seen)) == (True, 2)


async def test_a_broken_connection_past_the_deadline_keeps_its_own_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = clocked(monkeypatch)
    storage = FakeStorage(timing_out(clock, 3.0, Kind.BROKEN))

    result = await _file_transfer.upload(job(storage, timeout=1.5), DATA, None)

    assert (result.success, result.code) == (False, "SDK.ConnectionBroken")
    assert result.error_message == "BROKEN on the way"


@pytest.mark.parametrize("pause_to", [1.5, 9.0])  # the pause ends at the deadline, or past it
async def test_no_attempt_starts_once_the_deadline_has_come(
    monkeypatch: pytest.MonkeyPatch, pause_to: float
) -> None:
    clock = clocked(monkeypatch)
    storage = FakeStorage(busy(clock, 0.5))

    async def long_sleep(seconds: float) -> None:
        clock.now = 1000.0 + pause_to

    monkeypatch.setattr(_file_transfer, "sleep", long_sleep)

    result = await _file_transfer.upload(job(storage, timeout=1.5), DATA, None)

    assert (result.success, result.code) == (False, "SDK.Timeout")
    assert result.error_message == "Transfer timed out after 1500 ms (after 2 attempts)"
    assert len(storage.seen) == 1


async def test_a_corrupted_download_into_a_stream_that_cannot_go_back_is_not_retried(
    slept: list[float],
) -> None:
    class Forward(io.RawIOBase):  # writable, not seekable: a pipe
        def writable(self) -> bool:
            return True

        def write(self, chunk: Any) -> int:
            return len(chunk)

    corrupted = answer(200, DATA, content_length=str(SIZE), x_oss_hash_crc64ecma="1")
    storage = FakeStorage(corrupted, corrupted)

    result, _ = await download(storage, Forward())

    assert (result.success, result.code) == (False, "SDK.ChecksumMismatch")
    assert result.error_message.startswith("CRC-64 mismatch on /a.bin: the bytes received give ")
    assert result.error_message.endswith(
        ", storage answered 1 (x-oss-hash-crc64ecma) (not retried: the destination cannot be"
        " rewound)"
    )
    assert len(storage.seen) == 1


async def test_a_416_that_names_another_crc_starts_the_download_over(
    slept: list[float],
) -> None:
    every_byte = cut(SIZE)
    wrong = answer(416, content_range=f"bytes */{SIZE}", x_oss_hash_crc64ecma="1")
    storage = FakeStorage(every_byte, wrong)

    result, sink = await download(storage)

    assert ranges(storage) == [None, f"bytes={SIZE}-", None]  # the CRC of the 416 is checked
    assert (result.success, sink.getvalue()) == (True, DATA)


async def test_a_crc_header_echoing_the_presigned_query_is_not_shown(slept: list[float]) -> None:
    echo = answer(200, DATA, content_length=str(SIZE), x_oss_hash_crc64ecma=SIGNATURE)

    result, _ = await download(FakeStorage(echo), max_retries=0)

    assert (result.success, result.code) == (False, "SDK.ChecksumMismatch")
    assert "storage answered " in result.error_message
    assert SIGNATURE not in every_text(result)


async def test_a_url_that_cannot_be_had_is_the_transfer_s_failure(slept: list[float]) -> None:
    async def refused(context_id: str, file_path: str) -> FileUrlResult:
        return FileUrlResult(
            request_id="req-9",
            success=False,
            error_message="[InvalidContext.NotFound] no such context",
            code="InvalidContext.NotFound",
            message="no such context",
            http_status_code=404,
        )

    storage = FakeStorage()
    transfer = attrs.evolve(job(storage), url_for=refused)

    result = await _file_transfer.upload(transfer, DATA, None)

    assert (result.success, result.request_id, result.http_status_code) == (False, "req-9", 404)
    assert (result.code, result.message) == ("InvalidContext.NotFound", "no such context")
    assert result.error_message == "[InvalidContext.NotFound] no such context"
    assert storage.seen == []
