"""Stopping the command-line emulator mid-transfer, and its access log: a signal during an
upload and a download ends them in one line each, exit 0, no traceback, no ``tmp/`` part left;
the log has one line per request and never a presigned query."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from emulator_support import Api


def _env() -> dict[str, str]:
    src = Path(__file__).resolve().parents[2] / "src"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    return env


def start(data: Path, *options: str) -> tuple[subprocess.Popen[str], str]:
    """The emulator in a subprocess; it and its URL."""
    command = [sys.executable, "-m", "agentbay_emulator", "--port", "0", "--data-dir", str(data)]
    process = subprocess.Popen(
        [*command, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert "listening on " in line, line
    return process, line.split("listening on ")[1].split()[0]


def stop(process: subprocess.Popen[str], signum: int) -> tuple[str, str]:
    """Send ``signum``; the output once it has exited."""
    process.send_signal(signum)
    try:
        return process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def endless_upload(url: str, sent: threading.Event) -> None:
    """PUT a body announced as 1 GiB, fed slowly, until the server ends it."""
    parts = urlsplit(url)
    target = f"{parts.path}?{parts.query}"
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as conn:
        head = f"PUT {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Length: {1 << 30}\r\n\r\n"
        conn.sendall(head.encode())
        chunk = b"x" * (1 << 20)
        try:
            for _ in range(1 << 10):
                conn.sendall(chunk)
                sent.set()
                time.sleep(0.01)
        except OSError:
            return  # the server ended it


@pytest.mark.timeout(60)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_transfer_stops_cleanly(tmp_path: Path, signum: int) -> None:
    data = tmp_path / "data"
    process, url = start(data)
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            api = Api(http, "k")
            context_id = api.create("stop")
            api.upload(context_id, "/big", b"y" * (48 << 20))
            upload_url = api.call("GetContextFileUploadUrl", ContextId=context_id, FilePath="/up")[
                "Data"
            ]["Url"]
            download_url = api.call(
                "GetContextFileDownloadUrl", ContextId=context_id, FilePath="/big"
            )["Data"]["Url"]
        sent = threading.Event()
        uploading = threading.Thread(target=endless_upload, args=(upload_url, sent))
        uploading.start()
        assert sent.wait(10)
        with httpx.Client(timeout=30) as downloader, downloader.stream("GET", download_url) as got:
            assert got.status_code == 200
            body = got.iter_raw(1024)
            next(body)  # the download is under way, not read further
            while not list((data / "tmp").glob("*.part")):
                time.sleep(0.01)
            out, errors = stop(process, signum)
        uploading.join(30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, errors
    for word in ("Traceback", "CancelledError", "Exception in ASGI"):
        assert word not in out + errors
    aborted = [line for line in errors.splitlines() if "aborted" in line]
    assert len(aborted) == 2, errors  # one line per transfer cut short
    assert f"PUT /files/{context_id} - " in errors
    assert f"GET /files/{context_id} 200 " in errors
    assert list((data / "tmp").iterdir()) == []
    assert "sig=" not in errors


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    process, url = start(tmp_path / "data")
    try:
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.timeout(30)
def test_the_access_log_shows_paths_never_queries(
    logged: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = logged
    with httpx.Client(base_url=url, timeout=30) as http:
        api = Api(http, "k")
        context_id = api.create("log")
        api.upload(context_id, "/secret-name.txt", b"data")
        assert api.download(context_id, "/secret-name.txt").content == b"data"
        http.put(f"{url}/files/{context_id}?acct=a&path=/p&method=PUT&exp=1&sig=forged")
    _, errors = stop(process, signal.SIGTERM)
    requests = [line for line in errors.splitlines() if "/files/" in line or " / " in line]
    assert any(f" PUT /files/{context_id} 200 " in line for line in requests), errors
    assert any(f" GET /files/{context_id} 200 " in line for line in requests), errors
    assert any(f" PUT /files/{context_id} 403 " in line for line in requests), errors
    assert any(" POST / GetContext 200 " in line for line in requests), errors
    assert any(" POST / GetContextFileUploadUrl 200 " in line for line in requests), errors
    for banned in ("sig=", "acct=", "?", "secret-name", "Authorization"):
        assert banned not in errors
    assert all(len(line) <= 100 for line in errors.splitlines()), errors


@pytest.mark.timeout(30)
@pytest.mark.parametrize("option", [["--quiet"], ["--log-level", "warning"]])
def test_quiet_logs_no_requests(tmp_path: Path, option: list[str]) -> None:
    process, url = start(tmp_path / "data", *option)
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            Api(http, "k").create("quiet")
        _, errors = stop(process, signal.SIGINT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert "GetContext" not in errors and "INFO" not in errors, errors
