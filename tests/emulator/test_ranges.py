"""Range requests on downloads: 206, 416, ignored headers, If-Range, HEAD."""

from __future__ import annotations

import email.utils
import os

import httpx
import pytest
from emulator_support import Api

from agentbay_emulator.ranges import ByteRange, UnsatisfiableRange, if_range_holds, select_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-", ByteRange(0, 100, 100)),
        ("bytes=10-19", ByteRange(10, 20, 100)),
        ("bytes=90-500", ByteRange(90, 100, 100)),  # the end is clamped
        ("bytes=99-99", ByteRange(99, 100, 100)),
        ("bytes=-30", ByteRange(70, 100, 100)),
        ("bytes=-500", ByteRange(0, 100, 100)),  # a suffix longer than the body: all of it
        ("BYTES=5-6", ByteRange(5, 7, 100)),  # the unit is case-insensitive
        (" bytes=5-6 ", ByteRange(5, 7, 100)),
        (None, None),
        ("", None),
        ("bytes=5", None),
        ("bytes=-", None),
        ("bytes=20-10", None),  # last before first: invalid, hence ignored
        ("bytes=0-1,5-6", None),  # several ranges: served whole
        ("items=0-5", None),
        ("bytes=a-b", None),
        ("bytes= 1-2", None),
        ("bytes=" + "9" * 5000 + "-", None),  # beyond what Python converts
    ],
)
def test_select_range(header: str | None, expected: ByteRange | None) -> None:
    assert select_range(header, 100) == expected


@pytest.mark.parametrize(
    ("header", "total"),
    [
        ("bytes=100-", 100),
        ("bytes=100-200", 100),
        ("bytes=-0", 100),
        ("bytes=0-", 0),
        ("bytes=-5", 0),
    ],
)
def test_unsatisfiable_ranges(header: str, total: int) -> None:
    with pytest.raises(UnsatisfiableRange):
        select_range(header, total)


def test_if_range() -> None:
    modified = 1_700_000_000.75
    date = email.utils.formatdate(1_700_000_000, usegmt=True)
    assert if_range_holds(None, modified)
    assert if_range_holds(date, modified)
    assert not if_range_holds(email.utils.formatdate(1_700_000_001, usegmt=True), modified)
    assert not if_range_holds('"some-etag"', modified)
    assert not if_range_holds("not a date", modified)


@pytest.fixture
def stored(api: Api) -> tuple[str, bytes]:
    """A download URL of a 3 MiB + 5 byte file (spanning several chunks), and its content."""
    context_id = api.create()
    content = os.urandom(3 * 1024 * 1024 + 5)
    api.upload(context_id, "/r.bin", content)
    url: str = api.call("GetContextFileDownloadUrl", ContextId=context_id, FilePath="/r.bin")[
        "Data"
    ]["Url"]
    return url, content


def _get(client: httpx.Client, url: str, **headers: str) -> httpx.Response:
    return client.get(url, headers=headers)


def test_ranges_answer_206_with_only_those_bytes(api: Api, stored: tuple[str, bytes]) -> None:
    url, content = stored
    total = len(content)
    start = 1024 * 1024 - 7  # across a chunk boundary
    cases = {
        f"bytes={start}-": (start, total),
        f"bytes={start}-{start + 2 * 1024 * 1024}": (start, start + 2 * 1024 * 1024 + 1),
        "bytes=-10": (total - 10, total),
        f"bytes=5-{total * 2}": (5, total),
        "bytes=0-0": (0, 1),
    }
    for header, (first, stop) in cases.items():
        response = _get(api.client, url, Range=header)
        assert response.status_code == 206, header
        assert response.headers["content-range"] == f"bytes {first}-{stop - 1}/{total}"
        assert response.headers["content-length"] == str(stop - first)
        assert response.headers["accept-ranges"] == "bytes"
        assert response.content == content[first:stop], header


def test_a_range_past_the_end_is_416(api: Api, stored: tuple[str, bytes]) -> None:
    url, content = stored
    for header in (f"bytes={len(content)}-", f"bytes={len(content) + 10}-{len(content) + 20}"):
        response = _get(api.client, url, Range=header)
        assert response.status_code == 416
        assert response.headers["content-range"] == f"bytes */{len(content)}"
        assert response.json()["Code"] == "InvalidRange"


def test_an_empty_file_has_no_satisfiable_range(api: Api) -> None:
    context_id = api.create()
    api.upload(context_id, "/empty", b"")
    url = api.call("GetContextFileDownloadUrl", ContextId=context_id, FilePath="/empty")["Data"][
        "Url"
    ]
    response = _get(api.client, url, Range="bytes=0-")
    assert response.status_code == 416 and response.headers["content-range"] == "bytes */0"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "bytes=9-2", "pages=1-2", "bytes=x-"])
def test_invalid_or_multiple_ranges_are_ignored(
    api: Api, stored: tuple[str, bytes], header: str
) -> None:
    url, content = stored
    response = _get(api.client, url, Range=header)
    assert response.status_code == 200 and "content-range" not in response.headers
    assert response.headers["accept-ranges"] == "bytes"
    assert response.content == content


def test_head_advertises_ranges_and_ignores_them(api: Api, stored: tuple[str, bytes]) -> None:
    url, content = stored
    response = api.client.head(url, headers={"Range": "bytes=0-9"})
    assert response.status_code == 200
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-length"] == str(len(content))
    assert "content-range" not in response.headers


def test_if_range_with_the_last_modified_date(api: Api, stored: tuple[str, bytes]) -> None:
    url, content = stored
    modified = api.client.head(url).headers["last-modified"]
    same = _get(api.client, url, Range="bytes=10-", **{"If-Range": modified})
    assert same.status_code == 206 and same.content == content[10:]
    older = email.utils.formatdate(0, usegmt=True)
    for validator in (older, '"an-etag"'):
        changed = _get(api.client, url, Range="bytes=10-", **{"If-Range": validator})
        assert changed.status_code == 200 and changed.content == content
