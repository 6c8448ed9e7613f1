"""Durability: restarts keep everything; interrupted uploads leave nothing visible."""

from __future__ import annotations

import os
import socket
import stat
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from emulator_support import Api

from agentbay_emulator import running


def test_contexts_and_files_survive_a_restart(tmp_path: Path) -> None:
    content = os.urandom(200_000)
    with running(tmp_path) as url, httpx.Client(base_url=url) as http:
        api = Api(http, "persistent-key")
        context_id = api.create("durable")
        api.upload(context_id, "/dir/file.bin", content)
        other = api.create("renamed-later")
        api.call("ModifyContext", Id=other, Name="renamed")
        before = api.call("ListContexts")["Data"]
    assert (tmp_path / "meta.sqlite3").exists()
    with running(tmp_path) as url, httpx.Client(base_url=url) as http:
        api = Api(http, "persistent-key")
        assert api.call("ListContexts")["Data"] == before
        assert api.download(context_id, "/dir/file.bin").content == content
        assert api.call("GetContext", Name="renamed")["Data"]["Id"] == other
        assert api.create("durable") == context_id  # the name is still taken by it
        api.create("after-restart")
        assert [item["Name"] for item in api.call("ListContexts")["Data"]] == [
            "durable",
            "renamed",
            "after-restart",
        ]


def test_old_urls_stay_valid_across_restarts(tmp_path: Path) -> None:
    with running(tmp_path) as url, httpx.Client(base_url=url) as http:
        api = Api(http, "k")
        context_id = api.create()
        api.upload(context_id, "/f", b"kept")
        signed = api.call("GetContextFileDownloadUrl", ContextId=context_id, FilePath="/f")["Data"][
            "Url"
        ]
    query = urlsplit(signed).query
    with running(tmp_path) as url, httpx.Client(base_url=url) as http:
        response = http.get(f"/files/{context_id}?{query}")
        assert response.status_code == 200 and response.content == b"kept"


def test_signing_secret_is_private(tmp_path: Path) -> None:
    with running(tmp_path):
        pass
    mode = stat.S_IMODE((tmp_path / "signing.key").stat().st_mode)
    assert mode == 0o600


def _interrupted_put(url: str, total: int, sent: int) -> None:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        head = (
            f"PUT {parts.path}?{parts.query} HTTP/1.1\r\n"
            f"Host: {parts.netloc}\r\nContent-Length: {total}\r\n\r\n"
        )
        sock.sendall(head.encode() + b"z" * sent)
        time.sleep(0.1)


def test_an_interrupted_upload_leaves_no_visible_file(tmp_path: Path) -> None:
    with running(tmp_path) as url, httpx.Client(base_url=url) as http:
        api = Api(http, "k")
        context_id = api.create()
        api.upload(context_id, "/old.txt", b"previous version")
        for path in ("/new.bin", "/old.txt"):
            signed = api.call("GetContextFileUploadUrl", ContextId=context_id, FilePath=path)[
                "Data"
            ]["Url"]
            _interrupted_put(signed, total=5_000_000, sent=1_500_000)
        deadline = time.monotonic() + 5
        while any((tmp_path / "tmp").iterdir()):
            assert time.monotonic() < deadline, list((tmp_path / "tmp").iterdir())
            time.sleep(0.02)
        assert [entry["FilePath"] for entry in api.children(context_id)] == ["/old.txt"]
        assert api.download(context_id, "/new.bin").status_code == 404
        assert api.download(context_id, "/old.txt").content == b"previous version"
        blobs = [path for path in (tmp_path / "blobs").rglob("*") if path.is_file()]
        assert len(blobs) == 1


def test_leftovers_are_swept_at_start(tmp_path: Path) -> None:
    with running(tmp_path) as url, httpx.Client(base_url=url) as http:
        api = Api(http, "k")
        context_id = api.create()
        api.upload(context_id, "/f", b"real")
    (tmp_path / "tmp" / "deadbeef.part").write_bytes(b"partial")
    orphan = tmp_path / "blobs" / "ab" / ("ab" + "0" * 30)
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(b"orphan")
    with running(tmp_path) as url, httpx.Client(base_url=url) as http:
        assert not orphan.exists() and not any((tmp_path / "tmp").iterdir())
        assert Api(http, "k").download(context_id, "/f").content == b"real"


def test_a_data_dir_serves_one_emulator_at_a_time(tmp_path: Path) -> None:
    with (
        running(tmp_path),
        pytest.raises(RuntimeError, match="in use by another emulator"),
        running(tmp_path),
    ):
        pass
    with running(tmp_path):  # free again once the first one stopped
        pass
