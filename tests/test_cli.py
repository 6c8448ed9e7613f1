"""The ``agentbay`` command line against the live emulator: every command and its error path."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Generator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from agentbay.cli import ProgressBar, cli
from agentbay.emulator import running

DATA = os.urandom(2 * 1024 * 1024 + 7)
Run = Callable[..., Result]


@pytest.fixture(scope="module")
def emulator() -> Generator[str, None, None]:
    with running(clear_delay=0.1) as url:
        yield url


@pytest.fixture
def api_key() -> str:
    """A key of its own for each test, hence an empty account."""
    return f"sk-cli-{uuid.uuid4().hex}"


@pytest.fixture
def run(emulator: str, api_key: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run ``agentbay --endpoint <emulator> --api-key <key> ARGS...``; stdin from ``input``."""
    for name in ("AGENTBAY_ENDPOINT", "AGENTBAY_API_KEY", "AGENTBAY_TIMEOUT_MS"):
        monkeypatch.delenv(name, raising=False)

    def invoke(*args: str, input: bytes | None = None, json_output: bool = False) -> Result:
        options = [
            "--endpoint",
            emulator,
            "--api-key",
            api_key,
            *(["--json"] if json_output else []),
        ]
        return CliRunner().invoke(cli, [*options, *args], input=input)

    return invoke


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def failed(result: Result, api_key: str) -> str:
    """The one error line of a failed command, after checking that it is all there is."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert api_key not in result.stderr
    return lines[0]


# --------------------------------------------------------------------------- contexts


def test_context_create_get_and_list(run: Run) -> None:
    created = json.loads(ok(run("context", "create", "alpha", json_output=True)))
    ok(run("context", "create", "beta"))

    assert set(created) == {"id", "name", "created_at", "last_used_at"}
    assert created["id"].startswith("ctx-") and created["name"] == "alpha"
    by_name = ok(run("context", "get", "alpha"))
    by_id = ok(run("context", "get", created["id"]))
    assert by_name == by_id
    assert f"id:           {created['id']}\nname:         alpha\n" in by_name

    table = ok(run("context", "list")).splitlines()
    assert table[0].split() == ["ID", "NAME", "CREATED", "LAST", "USED"]
    assert [line.split()[1] for line in table[1:]] == ["alpha", "beta"]
    assert len({line.index(line.split()[1]) for line in table}) == 1  # aligned columns
    listed = json.loads(ok(run("context", "list", json_output=True)))
    assert [c["name"] for c in listed] == ["alpha", "beta"]
    assert listed[0] == created


def test_context_list_of_many_pages(run: Run) -> None:
    for i in range(105):
        ok(run("context", "create", f"c{i:03d}", json_output=True))
    listed = json.loads(ok(run("context", "list", json_output=True)))
    assert [c["name"] for c in listed] == [f"c{i:03d}" for i in range(105)]


def test_context_list_when_there_is_none(run: Run) -> None:
    assert ok(run("context", "list")) == "No contexts.\n"
    assert json.loads(ok(run("context", "list", json_output=True))) == []


def test_a_name_that_looks_like_an_id_falls_back_to_the_name(run: Run) -> None:
    ok(run("context", "create", "ctx-not-an-id"))
    shown = json.loads(ok(run("context", "get", "ctx-not-an-id", json_output=True)))
    assert shown["name"] == "ctx-not-an-id"


def test_context_rename(run: Run) -> None:
    context_id = json.loads(ok(run("context", "create", "old", json_output=True)))["id"]
    assert "to 'new'" in ok(run("context", "rename", "old", "new"))
    assert json.loads(ok(run("context", "get", context_id, json_output=True)))["name"] == "new"
    renamed = json.loads(ok(run("context", "rename", context_id, "newer", json_output=True)))
    assert renamed["name"] == "newer" and renamed["id"] == context_id


def test_context_rename_to_a_taken_name(run: Run, api_key: str) -> None:
    ok(run("context", "create", "one"))
    ok(run("context", "create", "two"))
    line = failed(run("context", "rename", "one", "two"), api_key)
    assert line.startswith("Error: Cannot rename context 'one': [InvalidContext.NameExists]")


def test_context_delete(run: Run, api_key: str) -> None:
    context_id = json.loads(ok(run("context", "create", "doomed", json_output=True)))["id"]
    deleted = json.loads(ok(run("context", "delete", "doomed", json_output=True)))
    assert deleted == {"id": context_id, "name": "doomed", "deleted": True}
    assert failed(run("context", "get", "doomed"), api_key).startswith(
        "Error: Cannot find context 'doomed': [InvalidContext.NotFound]"
    )


def test_context_clear(run: Run) -> None:
    ok(run("context", "create", "full"))
    ok(run("file", "put", "full", "-", "/a.txt", input=b"data"))
    assert ok(run("context", "clear", "full")).startswith("Cleared ctx-")
    assert ok(run("file", "ls", "full")) == "No files.\n"
    cleared = json.loads(ok(run("context", "clear", "full", json_output=True)))
    assert cleared["status"] == "available"


@pytest.mark.parametrize(
    "args",
    [
        ("context", "get", "ghost"),
        ("context", "get", "ctx-ghost"),
        ("context", "rename", "ghost", "x"),
        ("context", "delete", "ghost"),
        ("context", "clear", "ghost"),
        ("file", "ls", "ghost"),
        ("file", "put", "ghost", "-", "/a"),
        ("file", "get", "ghost", "/a", "-"),
        ("file", "rm", "ghost", "/a"),
        ("file", "url", "ghost", "/a"),
    ],
)
def test_an_unknown_context_is_one_error_line(run: Run, api_key: str, args: tuple[str]) -> None:
    line = failed(run(*args, input=b""), api_key)
    assert line.startswith(f"Error: Cannot find context '{args[2]}': [InvalidContext.NotFound]")


# --------------------------------------------------------------------------- files


def test_file_put_ls_get_rm(run: Run, tmp_path: Path, api_key: str) -> None:
    ok(run("context", "create", "box"))
    local = tmp_path / "up.bin"
    local.write_bytes(DATA)

    assert f"({len(DATA)} bytes)" in ok(run("file", "put", "box", str(local), "/dir/up.bin"))
    ok(run("file", "put", "box", "-", "/dir/small.txt", input=b"hello"))

    listing = ok(run("file", "ls", "box", "/dir")).splitlines()
    assert listing[0].split() == ["TYPE", "SIZE", "MODIFIED", "PATH"]
    rows = [line.split() for line in listing[1:]]
    assert {(kind, size, path) for kind, size, _, path in rows} == {
        ("file", "5", "/dir/small.txt"),
        ("file", str(len(DATA)), "/dir/up.bin"),
    }
    entries = json.loads(ok(run("file", "ls", "box", "/dir", json_output=True)))
    assert {e["file_path"]: e["size"] for e in entries} == {
        "/dir/up.bin": len(DATA),
        "/dir/small.txt": 5,
    }

    ok(run("file", "get", "box", "/dir/up.bin", str(tmp_path / "down.bin")))
    downloaded = (tmp_path / "down.bin").read_bytes()
    assert hashlib.sha256(downloaded).digest() == hashlib.sha256(DATA).digest()
    folder = tmp_path / "folder"
    folder.mkdir()
    ok(run("file", "get", "box", "/dir/small.txt", str(folder)))
    assert (folder / "small.txt").read_bytes() == b"hello"
    to_stdout = run("file", "get", "box", "/dir/small.txt", "-")
    assert to_stdout.exit_code == 0 and to_stdout.stdout_bytes == b"hello"
    assert "Downloaded" in to_stdout.stderr

    removed = json.loads(ok(run("file", "rm", "box", "/dir/small.txt", json_output=True)))
    assert removed["deleted"] is True
    assert "small.txt" not in ok(run("file", "ls", "box", "/dir"))
    assert failed(run("file", "rm", "box", "/dir/small.txt"), api_key).startswith(
        "Error: Cannot delete /dir/small.txt: [InvalidFile.NotFound]"
    )


def test_file_put_and_get_in_json(run: Run, tmp_path: Path) -> None:
    context_id = json.loads(ok(run("context", "create", "j", json_output=True)))["id"]
    put = json.loads(
        ok(run("file", "put", context_id, "-", "/j", input=b"12345", json_output=True))
    )
    assert put == {"context_id": context_id, "path": "/j", "bytes": 5}
    got = json.loads(ok(run("file", "get", "j", "/j", str(tmp_path / "j"), json_output=True)))
    assert got == put


def test_file_get_of_a_missing_file_leaves_no_trace(run: Run, tmp_path: Path, api_key: str) -> None:
    ok(run("context", "create", "box"))
    line = failed(run("file", "get", "box", "/missing", str(tmp_path / "out")), api_key)
    assert line == (
        "Error: Cannot download /missing: Storage answered HTTP 404: "
        "[NoSuchKey] The specified key does not exist."
    )
    assert os.listdir(tmp_path) == []


def test_file_put_of_a_missing_local_file(run: Run, tmp_path: Path, api_key: str) -> None:
    ok(run("context", "create", "box"))
    line = failed(run("file", "put", "box", str(tmp_path / "nope"), "/a"), api_key)
    assert line.startswith(f"Error: Cannot read {tmp_path / 'nope'}: No such file")


def test_file_url(run: Run, emulator: str, api_key: str) -> None:
    ok(run("context", "create", "box"))
    download = ok(run("file", "url", "box", "/a.txt")).strip()
    upload = json.loads(ok(run("file", "url", "box", "/a.txt", "--upload", json_output=True)))
    assert download.startswith(emulator) and "method=GET" in download
    assert upload["url"].startswith(emulator) and "method=PUT" in upload["url"]
    assert isinstance(upload["expire_time"], int)
    assert api_key not in download + upload["url"]


def test_file_url_refused(run: Run, api_key: str) -> None:
    ok(run("context", "create", "box"))
    assert failed(run("file", "url", "box", "/../x"), api_key).startswith(
        "Error: Cannot get a URL for /../x: [InvalidParameter.FilePath]"
    )


# --------------------------------------------------------------------------- options, errors


def test_the_environment_supplies_endpoint_and_key(
    emulator: str, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTBAY_ENDPOINT", emulator)
    monkeypatch.setenv("AGENTBAY_API_KEY", api_key)
    result = CliRunner().invoke(cli, ["context", "list"])
    assert (result.exit_code, result.stdout) == (0, "No contexts.\n")


def test_no_api_key(emulator: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTBAY_API_KEY", raising=False)
    result = CliRunner().invoke(cli, ["--endpoint", emulator, "context", "list"])
    assert failed(result, "-").startswith("Error: No API key")


def test_a_bad_endpoint_never_shows_the_key(api_key: str) -> None:
    result = CliRunner().invoke(
        cli, ["--endpoint", "ftp://x", "--api-key", api_key, "context", "list"]
    )
    assert failed(result, api_key) == "Error: Config.endpoint must be http or https, got 'ftp://x'"


def test_an_unreachable_service(api_key: str) -> None:
    args = ["--endpoint", "http://127.0.0.1:1", "--api-key", api_key, "context", "list"]
    env = {"AGENTBAY_TIMEOUT_MS": "2000"}
    result = CliRunner().invoke(cli, args, env=env)
    assert failed(result, api_key).startswith("Error: Failed to list contexts: Network error")


def test_usage_errors_exit_2(run: Run) -> None:
    assert run("context", "get").exit_code == 2
    assert run("nonsense").exit_code == 2


def test_emulator_forwards_its_options() -> None:
    shown = CliRunner().invoke(cli, ["emulator", "--help"])
    assert shown.exit_code == 0
    assert "usage: agentbay-emulator" in shown.stdout and "--url-ttl" in shown.stdout
    refused = CliRunner().invoke(cli, ["emulator", "--port", "not-a-port"])
    assert refused.exit_code == 2 and "invalid int value" in refused.stderr


@pytest.mark.parametrize(
    "command",
    [
        [shutil.which("agentbay", path=os.path.dirname(sys.executable)) or "agentbay"],
        [sys.executable, "-m", "agentbay"],
    ],
)
def test_the_installed_command_fails_without_a_traceback(command: list[str], api_key: str) -> None:
    env = {**os.environ, "AGENTBAY_API_KEY": api_key, "AGENTBAY_TIMEOUT_MS": "2000"}
    args = ["--endpoint", "http://127.0.0.1:1", "context", "get", "ghost"]
    run = subprocess.run(
        [*command, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert run.returncode == 1
    assert run.stdout == ""
    assert run.stderr.startswith("Error: Cannot find context 'ghost': Network error")
    assert len(run.stderr.splitlines()) == 1 and "Traceback" not in run.stderr
    assert api_key not in run.stderr


# --------------------------------------------------------------------------- progress bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_draws_on_a_terminal_only() -> None:
    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        with ProgressBar("put /a", stream) as bar:
            bar(0, 4 << 20)
            bar(4 << 20, 4 << 20)
    assert pipe.getvalue() == ""
    assert terminal.getvalue().endswith(
        "\rput /a [##############################] 100% 4.0 MiB/4.0 MiB\n"
    )


def test_the_progress_bar_of_an_unknown_size() -> None:
    terminal = Terminal()
    with ProgressBar("get /a", terminal) as bar:
        bar(1536, None)
    assert terminal.getvalue().endswith("\rget /a 1.5 KiB\n")
