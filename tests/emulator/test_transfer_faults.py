"""Faults of presigned transfers: 503s, cut connections, latency, seeds, and no side effects."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from emulator_support import Api, new_key

from agentbay_emulator import running
from agentbay_emulator.__main__ import build_parser
from agentbay_emulator.faults import FaultSpec

CONTENT = os.urandom(3 * 1024 * 1024 + 5)  # several chunks, an odd length
NOT_A_GRANT = "/files/ctx-0000000000000000?acct=a&path=/f&method=GET&exp=1&sig=x"


def _exchange(
    url: str, method: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    """Send one request on a fresh connection; all the server sends back until it hangs up."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    received = bytearray()
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        with contextlib.suppress(OSError):  # the server may hang up while we still send
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(1 << 16):
                received += chunk
    return bytes(received)


def _split(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and body of a raw HTTP/1.1 answer."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


@contextlib.contextmanager
def _api(url: str, key: str | None = None) -> Iterator[Api]:
    with httpx.Client(base_url=url, timeout=30) as client:
        yield Api(client, key)


def _url(api: Api, action: str, context_id: str, path: str) -> str:
    url: str = api.call(action, ContextId=context_id, FilePath=path)["Data"]["Url"]
    return url


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Path, str, str]:
    """A data dir whose account (key) has a context holding ``/f.bin`` = CONTENT."""
    key = new_key()
    with running(tmp_path) as url, _api(url, key) as api:
        context_id = api.create()
        api.upload(context_id, "/f.bin", CONTENT)
    return tmp_path, key, context_id


def test_parse_transfer_faults() -> None:
    spec = FaultSpec.parse("transfer_error=0.1, transfer_cut=0.2,transfer_latency=20ms,seed=3")
    assert spec == FaultSpec(transfer_error=0.1, transfer_cut=0.2, transfer_latency=0.02, seed=3)
    assert spec.active and FaultSpec(transfer_latency=0.5).active
    assert build_parser().parse_args(["--faults", "transfer_cut=0.5"]).faults.transfer_cut == 0.5


@pytest.mark.parametrize(
    "spec",
    [
        "transfer_cut=2",
        "transfer_error=-1",
        "transfer_error=0.6,transfer_cut=0.6",
        "transfer_latency=soon",
        "transfer=0.1",
    ],
)
def test_bad_transfer_specs(spec: str) -> None:
    with pytest.raises(ValueError):
        FaultSpec.parse(spec)


def test_an_error_answers_503_before_reading_the_body() -> None:
    with running(faults="transfer_error=1") as url, _api(url) as api:
        context_id = api.create()
        put_url = _url(api, "GetContextFileUploadUrl", context_id, "/f")
        # Expect: 100-continue and no body: the answer comes without the body ever being asked for.
        raw = _exchange(put_url, "PUT", {"Content-Length": "1000000", "Expect": "100-continue"})
        status, headers, body = _split(raw)
        assert status == 503 and b"100 Continue" not in raw
        assert headers["content-type"] == "application/json"
        assert b'"Code":"ServiceUnavailable"' in body and b'"RequestId"' in body
        assert api.client.put(put_url, content=b"data").status_code == 503
        assert api.children(context_id) == []  # a faulted upload changes nothing
        assert api.download(context_id, "/f").status_code == 503


def test_rates_are_roughly_honoured() -> None:
    outcomes: Counter[str] = Counter()
    with running(faults="transfer_error=0.2,transfer_cut=0.2,seed=9") as url, _api(url) as api:
        for _ in range(300):
            try:
                outcomes[str(api.client.get(NOT_A_GRANT).status_code)] += 1
            except httpx.TransportError:
                outcomes["cut"] += 1
    assert set(outcomes) == {"403", "503", "cut"}
    assert 35 <= outcomes["503"] <= 90 and 35 <= outcomes["cut"] <= 90  # 20 % of 300 each


def _outcome(url: str) -> str:
    raw = _exchange(url + NOT_A_GRANT, "GET")
    return str(_split(raw)[0]) if raw else "cut"


def _rpc_status(api: Api) -> int:
    return api.raw("ListContexts").status_code


def test_a_seed_makes_transfer_faults_reproducible_and_leaves_rpc_faults_alone() -> None:
    with running(faults="throttle=0.3,seed=5") as url, _api(url) as api:
        rpc_alone = [_rpc_status(api) for _ in range(30)]
    runs = []
    for _ in range(2):
        spec = "throttle=0.3,transfer_error=0.3,transfer_cut=0.3,seed=5"
        with running(faults=spec) as url, _api(url) as api:
            runs.append([(_rpc_status(api), _outcome(url)) for _ in range(30)])
    assert runs[0] == runs[1]
    assert [rpc for rpc, _ in runs[0]] == rpc_alone  # transfers draw from their own sequence
    assert {transfer for _, transfer in runs[0]} == {"403", "503", "cut"}


def test_a_cut_download_sends_half_the_body_then_hangs_up(stored: tuple[Path, str, str]) -> None:
    data_dir, key, context_id = stored
    with running(data_dir, faults="transfer_cut=1") as url, _api(url, key) as api:
        get_url = _url(api, "GetContextFileDownloadUrl", context_id, "/f.bin")
        status, headers, body = _split(_exchange(get_url, "GET"))
        assert status == 200 and headers["content-length"] == str(len(CONTENT))
        assert body == CONTENT[: len(CONTENT) // 2]
        status, headers, body = _split(_exchange(get_url, "GET", {"Range": "bytes=100-"}))
        assert (
            status == 206
            and headers["content-range"] == f"bytes 100-{len(CONTENT) - 1}/{len(CONTENT)}"
        )
        assert body == CONTENT[100 : 100 + (len(CONTENT) - 100) // 2]
        with pytest.raises(httpx.RemoteProtocolError):
            api.client.get(get_url)
        assert _exchange(get_url, "HEAD") == b""  # no body to cut: no answer at all
        missing = _url(api, "GetContextFileDownloadUrl", context_id, "/missing")
        assert _exchange(missing, "GET") == b""


def test_a_cut_upload_gets_no_answer_and_changes_nothing(stored: tuple[Path, str, str]) -> None:
    data_dir, key, context_id = stored
    replacement = os.urandom(2 * 1024 * 1024)
    with running(data_dir, faults="transfer_cut=1") as url, _api(url, key) as api:
        put_url = _url(api, "GetContextFileUploadUrl", context_id, "/f.bin")
        headers = {"Content-Length": str(len(replacement))}
        assert _exchange(put_url, "PUT", headers, replacement) == b""
        with pytest.raises(httpx.TransportError):
            api.client.put(put_url, content=replacement)
        new_url = _url(api, "GetContextFileUploadUrl", context_id, "/new.bin")
        assert _exchange(new_url, "PUT", headers, replacement) == b""
        listed = {item["FileName"]: item["Size"] for item in api.children(context_id)}
        assert listed == {"f.bin": len(CONTENT)}
    assert list((data_dir / "tmp").iterdir()) == []
    with running(data_dir) as url, _api(url, key) as api:
        assert api.download(context_id, "/f.bin").content == CONTENT


def test_a_cut_upload_succeeds_when_retried() -> None:
    content = os.urandom(200_000)
    with running(faults="transfer_cut=0.5,seed=5") as url, _api(url) as api:
        context_id = api.create()
        put_url = _url(api, "GetContextFileUploadUrl", context_id, "/retried.bin")
        cuts = 0
        while True:
            try:
                response = api.client.put(put_url, content=content)
            except httpx.TransportError:
                cuts += 1
                assert api.children(context_id) == []  # nothing half-written shows
                continue
            assert response.status_code == 200
            break
        assert cuts >= 1  # seed 5 cuts the first attempts
        get_url = _url(api, "GetContextFileDownloadUrl", context_id, "/retried.bin")
        while True:
            try:
                downloaded = api.client.get(get_url)
            except httpx.TransportError:
                continue
            assert downloaded.content == content
            break


def test_latency_delays_each_transfer() -> None:
    with running(faults="transfer_latency=150ms") as url:
        started = time.perf_counter()
        assert _split(_exchange(url + NOT_A_GRANT, "GET"))[0] == 403
        assert time.perf_counter() - started >= 0.15
