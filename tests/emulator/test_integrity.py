"""The emulator's ``x-oss-hash-crc64ecma``: on PUT, GET (ranged too: the whole file's) and HEAD,
against a CRC-64/XZ computed here independently; kept with the file (and computed once for a
data directory that predates it); and the faults that corrupt bytes (``transfer_corrupt``,
``put_corrupt``) so that clients' checks can be tested end to end."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from emulator_support import Api, new_key

from agentbay_emulator import running
from agentbay_emulator.__main__ import build_parser
from agentbay_emulator.faults import FaultInjector, FaultSpec

HEADER = "x-oss-hash-crc64ecma"
CONTENT = os.urandom(2 * 1024 * 1024 + 3)  # more than one chunk of the emulator's, odd length


def _table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xC96C5795D7870F42 if crc & 1 else 0)
        table.append(crc)
    return table


_TABLE = _table()


def crc64_xz(data: bytes) -> int:
    """CRC-64/XZ from its definition (reflected ECMA-182, init and xorout all ones), not fastcrc."""
    crc = (1 << 64) - 1
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ ((1 << 64) - 1)


def test_the_reference_gives_the_check_value() -> None:
    assert crc64_xz(b"123456789") == 0x995DC9BBDF1939FA


@contextlib.contextmanager
def _api(url: str, key: str | None = None) -> Iterator[Api]:
    with httpx.Client(base_url=url, timeout=30) as client:
        yield Api(client, key)


def _url(api: Api, action: str, context_id: str, path: str) -> str:
    url: str = api.call(action, ContextId=context_id, FilePath=path)["Data"]["Url"]
    return url


def _differences(a: bytes, b: bytes) -> list[int]:
    """The offsets where two bodies of one length differ (block by block: quick)."""
    assert len(a) == len(b)
    found = []
    for block in range(0, len(a), 4096):
        if a[block : block + 4096] != b[block : block + 4096]:
            end = min(block + 4096, len(a))
            found += [i for i in range(block, end) if a[i] != b[i]]
    return found


_CRCS: dict[bytes, int] = {}


def crc_of_content() -> int:
    """CONTENT's CRC-64/XZ, computed once (the reference takes a fraction of a second)."""
    if CONTENT not in _CRCS:
        _CRCS[CONTENT] = crc64_xz(CONTENT)
    return _CRCS[CONTENT]


def test_put_get_head_and_ranged_get_carry_the_whole_files_crc(api: Api) -> None:
    context_id = api.create()
    expected = str(crc_of_content())
    assert api.upload(context_id, "/f.bin", CONTENT).headers[HEADER] == expected
    get_url = _url(api, "GetContextFileDownloadUrl", context_id, "/f.bin")
    whole = api.client.get(get_url)
    assert whole.content == CONTENT and whole.headers[HEADER] == expected
    assert api.client.head(get_url).headers[HEADER] == expected
    for wanted in ("bytes=100-", "bytes=0-0", "bytes=-30", f"bytes={len(CONTENT) - 1}-"):
        part = api.client.get(get_url, headers={"Range": wanted})
        assert part.status_code == 206
        assert part.headers[HEADER] == expected, wanted  # the whole file's, not the range's

    small = b"123456789"
    assert api.upload(context_id, "/f.bin", small).headers[HEADER] == str(0x995DC9BBDF1939FA)
    assert api.client.get(get_url).headers[HEADER] == str(0x995DC9BBDF1939FA)  # replaced
    assert api.upload(context_id, "/empty", b"").headers[HEADER] == "0"
    assert api.download(context_id, "/empty").headers[HEADER] == "0"
    missing = api.download(context_id, "/missing")
    assert missing.status_code == 404 and HEADER not in missing.headers


def test_a_chunked_upload_gets_its_crc_too(api: Api) -> None:
    context_id = api.create()
    put_url = _url(api, "GetContextFileUploadUrl", context_id, "/chunked")
    parts = [CONTENT[:1000], CONTENT[1000:1_500_000], CONTENT[1_500_000:]]
    answer = api.client.put(put_url, content=iter(parts))  # no Content-Length
    assert answer.status_code == 200 and answer.headers[HEADER] == str(crc_of_content())


def _stored_crcs(data_dir: Path) -> dict[str, str | None]:
    with contextlib.closing(sqlite3.connect(data_dir / "meta.sqlite3")) as db:
        return dict(db.execute("SELECT path, crc64 FROM files").fetchall())


def test_the_crc_is_kept_with_the_file_and_computed_once_for_older_data(tmp_path: Path) -> None:
    key = new_key()
    with running(tmp_path) as url, _api(url, key) as api:
        context_id = api.create()
        api.upload(context_id, "/a", CONTENT)
        api.upload(context_id, "/b", b"123456789")
    assert _stored_crcs(tmp_path) == {"/a": str(crc_of_content()), "/b": str(0x995DC9BBDF1939FA)}

    # A data directory of a version before the column: no column at all.
    with contextlib.closing(sqlite3.connect(tmp_path / "meta.sqlite3")) as db:
        db.execute("ALTER TABLE files DROP COLUMN crc64")
        db.commit()
    with running(tmp_path) as url, _api(url, key) as api:
        assert _stored_crcs(tmp_path) == {"/a": None, "/b": None}  # added, not yet known
        get_url = _url(api, "GetContextFileDownloadUrl", context_id, "/a")
        head = api.client.head(get_url)
        assert head.headers[HEADER] == str(crc_of_content())
        assert _stored_crcs(tmp_path)["/a"] == str(crc_of_content())  # kept from now on
        assert _stored_crcs(tmp_path)["/b"] is None  # only what is asked for is computed
        got = api.client.get(get_url, headers={"Range": "bytes=5-"})
        assert got.content == CONTENT[5:] and got.headers[HEADER] == str(crc_of_content())
        assert api.download(context_id, "/b").headers[HEADER] == str(0x995DC9BBDF1939FA)


def test_transfer_corrupt_inverts_one_byte_of_a_served_body(tmp_path: Path) -> None:
    key = new_key()
    with running(tmp_path) as url, _api(url, key) as api:
        context_id = api.create()
        api.upload(context_id, "/f.bin", CONTENT)
    expected = str(crc_of_content())
    with running(tmp_path, faults="transfer_corrupt=1") as url, _api(url, key) as api:
        get_url = _url(api, "GetContextFileDownloadUrl", context_id, "/f.bin")
        offsets = set()
        for _ in range(5):
            got = api.client.get(get_url)
            assert got.status_code == 200 and got.headers[HEADER] == expected
            (offset,) = _differences(got.content, CONTENT)
            assert got.content[offset] == CONTENT[offset] ^ 0xFF
            offsets.add(offset)
        assert len(offsets) > 1  # a random byte each time
        part = api.client.get(get_url, headers={"Range": "bytes=1000-1999"})
        assert part.status_code == 206 and part.headers[HEADER] == expected
        assert len(_differences(part.content, CONTENT[1000:2000])) == 1
        assert api.client.head(get_url).headers[HEADER] == expected  # no body to corrupt
        # Uploads are stored as sent under transfer_corrupt.
        assert api.upload(context_id, "/g", b"123456789").headers[HEADER] == str(0x995DC9BBDF1939FA)
    with running(tmp_path) as url, _api(url, key) as api:
        assert api.download(context_id, "/f.bin").content == CONTENT  # the file is intact
        assert api.download(context_id, "/g").content == b"123456789"


def test_put_corrupt_stores_one_byte_inverted_and_answers_the_stored_crc(tmp_path: Path) -> None:
    key = new_key()
    with running(tmp_path, faults="put_corrupt=1") as url, _api(url, key) as api:
        context_id = api.create()
        answer = api.upload(context_id, "/f.bin", CONTENT)
        put_url = _url(api, "GetContextFileUploadUrl", context_id, "/chunked")
        chunked = api.client.put(put_url, content=iter([b"abc", b"def"]))
        assert chunked.status_code == 200
        assert api.upload(context_id, "/empty", b"").headers[HEADER] == "0"  # nothing to invert
        stored = api.download(context_id, "/f.bin")  # downloads are not corrupted
    (offset,) = _differences(stored.content, CONTENT)
    assert stored.content[offset] == CONTENT[offset] ^ 0xFF
    assert answer.headers[HEADER] == stored.headers[HEADER] == str(crc64_xz(stored.content))
    assert answer.headers[HEADER] != str(crc_of_content())  # what a client sent differs
    with running(tmp_path) as url, _api(url, key) as api:
        assert api.download(context_id, "/chunked").content == bytes([ord("a") ^ 0xFF]) + b"bcdef"
        assert api.download(context_id, "/f.bin").content == stored.content


def test_the_corrupting_faults_parse_and_check() -> None:
    spec = FaultSpec.parse("transfer_corrupt=0.25, put_corrupt=0.5,seed=2")
    assert spec == FaultSpec(transfer_corrupt=0.25, put_corrupt=0.5, seed=2)
    assert spec.active and FaultSpec(put_corrupt=0.1).active
    parsed = build_parser().parse_args(["--faults", "transfer_corrupt=0.5"]).faults
    assert parsed.transfer_corrupt == 0.5
    for bad in (
        "transfer_corrupt=2",
        "put_corrupt=-0.1",
        "transfer_error=0.5,transfer_cut=0.3,transfer_corrupt=0.3",
        "transfer_error=0.5,put_corrupt=0.6",
    ):
        with pytest.raises(ValueError):
            FaultSpec.parse(bad)
    FaultSpec.parse("transfer_error=0.5,transfer_corrupt=0.5,put_corrupt=0.5")  # either, not both


def test_corruptions_do_not_change_which_transfers_fail_under_a_seed() -> None:
    plain = FaultInjector(FaultSpec.parse("transfer_error=0.3,transfer_cut=0.3,seed=5"))
    both = FaultInjector(
        FaultSpec.parse("transfer_error=0.3,transfer_cut=0.3,transfer_corrupt=0.4,seed=5")
    )
    methods = ["GET", "PUT", "HEAD"] * 40
    drawn = []
    for method in methods:
        fault = both.draw_transfer(method)
        if fault.value == "corrupt":
            both.corrupt_offset(1000)  # what the app does next: a sequence of its own
        drawn.append(fault.value)
    alone = [plain.draw_transfer(method).value for method in methods]
    assert [d if d in ("error", "cut") else "none" for d in drawn] == alone
    assert {d for d, m in zip(drawn, methods, strict=True) if m != "GET"} == {
        "error",
        "cut",
        "none",
    }
    assert "corrupt" in drawn
    again = FaultInjector(FaultSpec.parse("transfer_corrupt=1,seed=8"))
    first = FaultInjector(FaultSpec.parse("transfer_corrupt=1,seed=8"))
    assert [again.corrupt_offset(10**6) for _ in range(5)] == [
        first.corrupt_offset(10**6) for _ in range(5)
    ]
