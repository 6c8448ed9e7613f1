"""Crash safety: ``kill -9`` the emulator process mid-write, restart it on the same data dir.

No partial file may become visible, everything acknowledged before the crash must survive
intact, SQLite must pass its integrity check, and the temporary files the crash left behind
must be swept away at the next start.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from emulator_support import Api

from agentbay_emulator.signing import SECRET_FILE, load_or_create_secret

MiB = 1 << 20
BIG = 200 * MiB


def sha(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


class EmulatorProcess:
    """``python -m agentbay_emulator`` on a free port, over ``data_dir``."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        src = Path(__file__).resolve().parents[2] / "emulator" / "src"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "agentbay_emulator", "--port", "0"]
        command += ["--data-dir", str(data_dir), "--log-level", "warning"]
        self._log = open(log, "a")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._log, text=True, env=env
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "listening on " not in line:
            self.stop()
            raise AssertionError(f"the emulator did not start: {line!r}, see {log}")
        self.url = line.split("listening on ")[1].split()[0]

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, nothing is flushed or closed."""
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=30) == -signal.SIGKILL

    def stop(self) -> None:
        """SIGTERM and wait (SIGKILL if it hangs)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()


@contextlib.contextmanager
def emulator(data_dir: Path) -> Iterator[EmulatorProcess]:
    """A running emulator process; stopped (unless already killed) on exit."""
    server = EmulatorProcess(data_dir, data_dir.parent / "emulator.log")
    try:
        yield server
    finally:
        server.stop()


def integrity(data_dir: Path) -> str:
    """SQLite's own verdict on the metadata file (recovering its WAL, as a restart would)."""
    db = sqlite3.connect(data_dir / "meta.sqlite3")
    try:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        db.close()


def blobs_match_rows(data_dir: Path) -> None:
    """Every content file has its row and every row its content file, of the right size."""
    db = sqlite3.connect(data_dir / "meta.sqlite3")
    try:
        rows = dict(db.execute("SELECT blob, size FROM files").fetchall())
    finally:
        db.close()
    blobs = {p.name: p.stat().st_size for p in (data_dir / "blobs").rglob("*") if p.is_file()}
    assert blobs == rows


class SlowUpload(threading.Thread):
    """PUT ``BIG`` bytes from a generator, 1 MiB at a time, until the server dies."""

    def __init__(self, url: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.stop = stop
        self.status: int | None = None
        self.error: Exception | None = None

    def chunks(self) -> Iterator[bytes]:
        for index in range(BIG // MiB):
            if self.stop.is_set():
                return
            yield bytes([index % 251]) * MiB
            time.sleep(0.002)

    def run(self) -> None:
        try:
            with httpx.Client(timeout=60) as http:
                response = http.put(
                    self.url, content=self.chunks(), headers={"content-length": str(BIG)}
                )
                self.status = response.status_code
        except Exception as exc:  # an httpx error, or h11's when the body stops short
            self.error = exc


@pytest.mark.timeout(120)
def test_kill_9_during_large_uploads(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    completed = {
        "/docs/a.txt": b"alpha" * 100,
        "/docs/b.bin": os.urandom(3 * MiB + 17),
        "/overwritten.bin": os.urandom(300_000),
        "/empty": b"",
    }
    with emulator(data_dir) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        api = Api(http, "crash-key")
        context_id = api.create("crash")
        for path, content in completed.items():
            api.upload(context_id, path, content)
        other = api.create("renamed-before-crash")
        api.call("ModifyContext", Id=other, Name="renamed")
        stop = threading.Event()
        uploads = [
            SlowUpload(
                api.call("GetContextFileUploadUrl", ContextId=context_id, FilePath=path)["Data"][
                    "Url"
                ],
                stop,
            )
            for path in ("/huge.bin", "/overwritten.bin")  # a new file, and a new version
        ]
        for upload in uploads:
            upload.start()
        parts = data_dir / "tmp"
        deadline = time.monotonic() + 20
        while sum(1 for part in parts.iterdir() if part.stat().st_size >= 8 * MiB) < 2:
            assert time.monotonic() < deadline, "the uploads did not get going"
            time.sleep(0.01)
        server.kill()
        stop.set()
        for upload in uploads:
            upload.join(30)
            assert upload.status is None and upload.error is not None  # cut off, not finished
    leftovers = list((data_dir / "tmp").iterdir())
    assert len(leftovers) == 2  # the crash really happened mid-upload
    assert all(8 * MiB <= part.stat().st_size < BIG for part in leftovers)
    assert integrity(data_dir) == "ok"

    with emulator(data_dir) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        assert list((data_dir / "tmp").iterdir()) == []  # swept at start
        blobs_match_rows(data_dir)
        api = Api(http, "crash-key")
        assert api.download(context_id, "/huge.bin").status_code == 404
        listed = {e["FilePath"]: e["Size"] for e in api.children(context_id)}
        listed |= {e["FilePath"]: e["Size"] for e in api.children(context_id, "/docs")}
        assert listed == {
            "/docs": 0,
            **{path: len(content) for path, content in completed.items()},
        }
        for path, content in completed.items():
            got = api.download(context_id, path)
            assert got.status_code == 200 and sha(got.content) == sha(content), path
        assert api.call("GetContext", Name="renamed")["Data"]["Id"] == other
        api.upload(context_id, "/huge.bin", b"after the crash")  # writable again
        assert api.download(context_id, "/huge.bin").content == b"after the crash"
    assert integrity(data_dir) == "ok"
    blobs_match_rows(data_dir)


class Writer(threading.Thread):
    """Uploads small files to fresh paths, deletes some, until the server dies."""

    def __init__(self, url: str, key: str, context_id: str, number: int) -> None:
        super().__init__(daemon=True)
        self.url, self.key, self.context_id, self.number = url, key, context_id, number
        self.acked: dict[str, bytes] = {}  # the server said 200
        self.attempted: dict[str, bytes] = {}  # sent, answer unknown
        self.deleting: set[str] = set()  # a delete was sent (maybe not acknowledged)
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.Client(base_url=self.url) as http:
                self.write(Api(http, self.key))
        except httpx.HTTPError:
            pass  # the server is gone
        except BaseException as exc:
            self.failure = exc

    def write(self, api: Api) -> None:
        for index in range(100_000):
            path = f"/w{self.number}/{index}.bin"
            content = os.urandom(1000 + 5000 * (index % 7))
            self.attempted[path] = content
            api.upload(self.context_id, path, content)
            self.acked[path] = content
            if index % 5 == 4:
                victim = f"/w{self.number}/{index - 2}.bin"
                self.deleting.add(victim)
                api.call("DeleteContextFile", ContextId=self.context_id, FilePath=victim)


@pytest.mark.timeout(120)
def test_kill_9_during_a_burst_of_commits(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with emulator(data_dir) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        context_id = Api(http, "burst-key").create("burst")
        writers = [Writer(server.url, "burst-key", context_id, number) for number in range(4)]
        for writer in writers:
            writer.start()
        deadline = time.monotonic() + 20
        while sum(len(writer.acked) for writer in writers) < 150:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        server.kill()
        for writer in writers:
            writer.join(30)
            assert not writer.is_alive() and writer.failure is None, writer.failure
    assert integrity(data_dir) == "ok"

    with emulator(data_dir) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        assert list((data_dir / "tmp").iterdir()) == []
        blobs_match_rows(data_dir)
        api = Api(http, "burst-key")
        for writer in writers:
            folder = f"/w{writer.number}"
            listed = {e["FilePath"] for e in api.children(context_id, folder, PageSize=100)}
            if len(listed) == 100:  # more than a page: fetch the rest
                listed |= {
                    e["FilePath"]
                    for e in api.children(context_id, folder, PageSize=100, PageNumber=2)
                }
            kept = set(writer.acked) - writer.deleting
            # Acknowledged writes survive; a write cut off by the crash is all there or absent.
            assert kept <= listed
            assert listed <= set(writer.attempted)
            for path in listed:
                got = api.download(context_id, path)
                assert got.status_code == 200 and sha(got.content) == sha(writer.attempted[path])


def test_a_crash_while_creating_the_signing_key_leaves_none_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dying between creating the key file and writing the secret into it (the first start
    of a data dir) must not leave an empty key that every later start refuses."""

    def die(nbytes: int | None = None) -> str:
        raise SystemExit("killed while writing the secret")

    monkeypatch.setattr(secrets, "token_hex", die)
    with pytest.raises(SystemExit):
        load_or_create_secret(tmp_path)
    monkeypatch.undo()
    assert not (tmp_path / SECRET_FILE).exists()
    secret = load_or_create_secret(tmp_path)
    assert len(secret) == 64 and load_or_create_secret(tmp_path) == secret
    assert [path.name for path in tmp_path.iterdir()] == [SECRET_FILE]
