"""The ``agentbay`` command line against the live emulator: every command and its error path."""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from agentbay._cli_progress import TransferBar, shorten
from agentbay.cli import build, cli, redact
from agentbay_emulator import running

DATA = os.urandom(2 * 1024 * 1024 + 7)
Run = Callable[..., Result]


@pytest.fixture(autouse=True)
def fresh_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test runs a command tree of its own, made by ``build()``: under mutmut, the
    mutants of the code that builds the tree are live only in one built during a test."""
    monkeypatch.setattr(sys.modules[__name__], "cli", build())


@pytest.fixture(scope="module")
def emulator() -> Generator[str, None, None]:
    with running(clear_delay=0.1) as url:
        yield url


@pytest.fixture
def api_key() -> str:
    """A key of its own for each test, hence an empty account."""
    return f"sk-cli-{uuid.uuid4().hex}"


@pytest.fixture
def run(emulator: str, api_key: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:
    """Run ``agentbay --endpoint <emulator> --api-key <key> ARGS...``; stdin from ``input``;
    in the test's own folder (what a broken command writes lands there, not in the checkout)."""
    monkeypatch.chdir(tmp_path)
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

    invoke.options = ["--endpoint", emulator, "--api-key", api_key]  # type: ignore[attr-defined]
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

    assert set(created) == {"id", "name", "created_at", "last_used_at", "created"}
    assert created.pop("created") is True
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


@pytest.mark.timeout(60)  # 106 commands, each building a client
def test_context_list_of_many_pages(run: Run) -> None:
    for i in range(105):
        ok(run("context", "create", f"c{i:03d}", json_output=True))
    listed = json.loads(ok(run("context", "list", json_output=True)))
    assert [c["name"] for c in listed] == [f"c{i:03d}" for i in range(105)]


def test_context_list_when_there_is_none(run: Run) -> None:
    assert ok(run("context", "list")) == "No contexts.\n"
    assert json.loads(ok(run("context", "list", json_output=True))) == []


def test_creating_an_existing_name_says_so_and_changes_nothing(run: Run) -> None:
    first = json.loads(ok(run("context", "create", "same", json_output=True)))
    again = run("context", "create", "same")
    assert again.exit_code == 0
    assert again.stdout.startswith("Context 'same' exists already: nothing created\n")
    assert f"id:           {first['id']}" in again.stdout
    as_json = json.loads(ok(run("context", "create", "same", json_output=True)))
    assert as_json == {**first, "created": False}
    assert len(json.loads(ok(run("context", "list", json_output=True)))) == 1


@pytest.mark.parametrize("name", ["ctx-4rogpro8xqwcz8vb", "name:x"])
def test_a_name_that_would_read_as_an_id_is_refused(run: Run, name: str) -> None:
    victim = json.loads(ok(run("context", "create", "victim", json_output=True)))
    del victim["created"]
    refused = run("context", "create", name)
    assert refused.exit_code == 2 and "must not start with" in refused.stderr
    renamed = run("context", "rename", "victim", name)
    assert renamed.exit_code == 2 and "must not start with" in renamed.stderr
    assert json.loads(ok(run("context", "list", json_output=True))) == [victim]


def test_the_id_of_another_context_as_a_new_name_touches_nothing(run: Run) -> None:
    """The issue's case: `context create <the id of another context>` then `delete` it."""
    other = json.loads(ok(run("context", "create", "other", json_output=True)))
    ok(run("file", "put", "other", "-", "/precious.txt", input=b"precious"))
    assert run("context", "create", other["id"]).exit_code == 2
    assert json.loads(ok(run("context", "get", other["id"], json_output=True)))["name"] == "other"
    got = run("file", "get", other["id"], "/precious.txt", "-")
    assert got.stdout_bytes == b"precious"


def test_a_name_made_elsewhere_that_starts_with_ctx_is_reached_with_name_prefix(
    run: Run, emulator: str, api_key: str
) -> None:
    from agentbay import AgentBay, Config

    with AgentBay(api_key=api_key, cfg=Config(endpoint=emulator, timeout_ms=10_000)) as ab:
        made = ab.context.create("ctx-legacy").context
    assert made is not None
    shown = json.loads(ok(run("context", "get", "name:ctx-legacy", json_output=True)))
    assert shown["id"] == made.id
    assert json.loads(ok(run("context", "get", made.id, json_output=True)))["name"] == "ctx-legacy"
    assert run("context", "get", "ctx-legacy").exit_code == 1  # an id, and no such id


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

    assert "(2.0 MiB)" in ok(run("file", "put", "box", str(local), "/dir/up.bin"))
    ok(run("file", "put", "box", "-", "/dir/small.txt", input=b"hello"))

    listing = ok(run("file", "ls", "box", "/dir", "--bytes")).splitlines()
    assert listing[0].split() == ["TYPE", "SIZE", "MODIFIED", "PATH"]
    rows = [line.split() for line in listing[1:]]
    assert {(kind, size, path) for kind, size, _, _, path in rows} == {
        ("file", "5", "/dir/small.txt"),
        ("file", str(len(DATA)), "/dir/up.bin"),
    }
    human = ok(run("file", "ls", "box", "/dir"))
    assert re.search(r"file  2\.0 MiB  +\d{4}-\d\d-\d\d \d\d:\d\d  /dir/up\.bin", human), human
    assert re.search(r"file  5 bytes  +\d{4}-\d\d-\d\d \d\d:\d\d  /dir/small\.txt", human)
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
    line = failed(result, "no key to hide")
    assert line == "Error: No API key: pass --api-key KEY or set AGENTBAY_API_KEY"


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


# --------------------------------------------------------------------------- redaction


@contextlib.contextmanager
def echo_server() -> Iterator[str]:
    """A stub service that refuses every call, quoting the request body in its message."""

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"])).decode()
            reply = {"Success": False, "Code": "Echo", "Message": body, "HttpStatusCode": 400}
            data = json.dumps(reply).encode()
            self.send_response(400)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()


@pytest.mark.parametrize("via", ["option", "environment"])
def test_a_key_echoed_by_the_server_never_shows(via: str, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "sk/echo+me=0123456789"
    monkeypatch.delenv("AGENTBAY_API_KEY", raising=False)
    options = ["--api-key", key] if via == "option" else []
    env = {"AGENTBAY_API_KEY": key} if via == "environment" else {}
    with echo_server() as url:
        result = CliRunner().invoke(cli, ["context", "list", "--endpoint", url, *options], env=env)
    line = failed(result, key)
    assert "Authorization=<redacted>" in line  # the library's cut, before the CLI's
    for form in (quote(key, safe=""), quote_plus(key), quote(key)):
        assert form not in line


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("local", "./my-local-notes.txt"),
        ("test", "Cannot find context 'context-x'"),
        ("k", "Network error"),
        ("1234567", "ids 1234567 and 12345678"),
    ],
)
def test_keys_shorter_than_8_characters_are_not_cut_out_of_words(key: str, text: str) -> None:
    assert redact(text, [key, ""]) == text


def test_keys_of_8_characters_and_more_are_cut_out_in_every_encoding() -> None:
    key = "sk/a b+c=12"
    message = f"raw {key}, form Bearer%20{quote(key, safe='')}, plus {quote_plus(key)}"
    assert redact(message, [key]) == "raw <redacted>, form <redacted>, plus <redacted>"


def test_a_short_key_leaves_file_names_whole(
    emulator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTBAY_API_KEY", "local")
    monkeypatch.setenv("AGENTBAY_ENDPOINT", emulator)
    name = f"notes-{uuid.uuid4().hex[:8]}"
    assert CliRunner().invoke(cli, ["context", "create", name]).exit_code == 0
    result = CliRunner().invoke(cli, ["file", "put", name, "./my-local-notes.txt", "/n.txt"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Cannot read ./my-local-notes.txt:"), result.stderr


# --------------------------------------------------------------------------- options anywhere


def test_global_options_after_the_command(emulator: str, api_key: str) -> None:
    runner = CliRunner(env={"AGENTBAY_API_KEY": None, "AGENTBAY_ENDPOINT": None})
    connect = ["--endpoint", emulator, "--api-key", api_key]
    assert runner.invoke(cli, ["context", "create", "late", *connect]).exit_code == 0
    listed = runner.invoke(cli, ["context", "list", "--json", *connect])
    assert [c["name"] for c in json.loads(ok(listed))] == ["late"]
    mixed = runner.invoke(
        cli, ["--api-key", api_key, "file", "ls", "--json", "late", "/", *connect]
    )
    assert json.loads(ok(mixed)) == []
    # Given twice, the one after the command wins.
    rerouted = runner.invoke(
        cli, ["--endpoint", "http://127.0.0.1:1", "context", "list", "--json", *connect]
    )
    assert json.loads(ok(rerouted))[0]["name"] == "late"


@pytest.mark.timeout(30)
def test_timeout_ms_bounds_each_request(api_key: str) -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        result = CliRunner().invoke(
            cli, ["context", "list", "--endpoint", url, "--api-key", api_key, "--timeout-ms", "200"]
        )
    assert time.monotonic() - started < 8  # 4 attempts of 0.2 s, not of the default 60 s
    assert failed(result, api_key).startswith("Error: Failed to list contexts:")
    assert CliRunner().invoke(cli, ["context", "list", "--timeout-ms", "0"]).exit_code == 2


@pytest.mark.parametrize(
    "args",
    [["-h"], ["context", "-h"], ["context", "clear", "-h"], ["file", "put", "-h"], []],
)
def test_help_everywhere_and_bare_commands_print_it(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args, prog_name="agentbay")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Usage: agentbay")
    assert "--json" in result.stdout and "--api-key" in result.stdout


def test_a_bare_group_prints_its_help() -> None:
    result = CliRunner().invoke(cli, ["file"], prog_name="agentbay")
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: agentbay file") and "put" in result.stdout


def test_emulator_takes_h() -> None:
    result = CliRunner().invoke(cli, ["emulator", "-h"])
    assert result.exit_code == 0 and "usage: agentbay-emulator" in result.stdout


def test_shell_completion_as_documented() -> None:
    for shell, sign in [
        ("bash", "complete -o nosort -F"),
        ("zsh", "compdef"),
        ("fish", "complete"),
    ]:
        script = CliRunner().invoke(
            cli, [], prog_name="agentbay", env={"_AGENTBAY_COMPLETE": f"{shell}_source"}
        )
        assert script.exit_code == 0 and sign in script.stdout, shell
    env = {"_AGENTBAY_COMPLETE": "bash_complete", "COMP_WORDS": "agentbay fi", "COMP_CWORD": "1"}
    words = CliRunner().invoke(cli, [], prog_name="agentbay", env=env)
    assert words.stdout.split() == ["plain,file"]
    env["COMP_WORDS"], env["COMP_CWORD"] = "agentbay context list --j", "3"
    assert CliRunner().invoke(cli, [], prog_name="agentbay", env=env).stdout.split() == [
        "plain,--json"
    ]


def test_https_to_the_plain_http_emulator_gets_a_hint(emulator: str, api_key: str) -> None:
    host_port = emulator.removeprefix("http://")
    args = [
        "context",
        "list",
        "--endpoint",
        host_port,
        "--api-key",
        api_key,
        "--timeout-ms",
        "5000",
    ]
    result = CliRunner().invoke(cli, args)
    line = failed(result, api_key)  # one line, the hint at its end
    assert line.startswith("Error: Failed to list contexts: Network error: TLS handshake")
    assert line.endswith(f"; try --endpoint http://{host_port}")


# --------------------------------------------------------------------------- into folders


def test_put_into_a_remote_folder(run: Run, tmp_path: Path) -> None:
    ok(run("context", "create", "big"))
    local = tmp_path / "small.txt"
    local.write_bytes(b"small")
    put = ok(run("file", "put", "big", str(local), "/dir/"))
    assert put == f"Uploaded {local} to big:/dir/small.txt (5 bytes)\n"
    top = json.loads(ok(run("file", "ls", "big", "/", json_output=True)))
    assert [(e["file_path"], e["file_type"]) for e in top] == [("/dir", "folder")]
    inside = json.loads(ok(run("file", "ls", "big", "/dir", json_output=True)))
    assert [e["file_path"] for e in inside] == ["/dir/small.txt"]


def test_put_from_stdin_into_a_folder_is_a_usage_error(run: Run) -> None:
    result = run("file", "put", "big", "-", "/dir/", input=b"x")
    assert result.exit_code == 2 and "needs a file name" in result.stderr


def test_get_into_a_local_folder(run: Run, tmp_path: Path) -> None:
    ok(run("context", "create", "box"))
    ok(run("file", "put", "box", "-", "/deep/a.txt", input=b"a"))
    folder = tmp_path / "out"
    folder.mkdir()
    ok(run("file", "get", "box", "/deep/a.txt", f"{folder}{os.sep}"))
    ok(run("file", "get", "box", "/deep/a.txt", str(tmp_path)))
    assert (folder / "a.txt").read_bytes() == (tmp_path / "a.txt").read_bytes() == b"a"
    made = run("file", "get", "box", "/deep/a.txt", f"{tmp_path / 'new' / 'dl'}{os.sep}")
    assert made.exit_code == 0 and (tmp_path / "new" / "dl" / "a.txt").read_bytes() == b"a"
    gone = run("file", "get", "box", "/deep/gone.txt", f"{tmp_path / 'nowhere' / 'dl'}{os.sep}")
    assert gone.exit_code == 1 and "Cannot download /deep/gone.txt" in gone.stderr
    assert not (tmp_path / "nowhere").exists()  # the folders it made are removed again
    folder_as_file = run("file", "get", "box", "/deep/", str(tmp_path))
    assert folder_as_file.exit_code == 2 and "not a folder" in folder_as_file.stderr


# --------------------------------------------------------------------------- folders

TREE = {"a.txt": b"a", "sub/b.bin": DATA, "sub/deeper/empty": b"", "with space/\u00e9.txt": b"e"}


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for relative, data in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
    return root


def read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_folder_put_and_get(run: Run, tmp_path: Path) -> None:
    ok(run("context", "create", "box"))
    tree = write_tree(tmp_path / "tree", TREE)
    size = sum(map(len, TREE.values()))

    put = ok(run("folder", "put", "box", str(tree), "/data", "--concurrency", "2"))
    assert size > 2 << 20
    assert put == "Uploaded 4 files (2.0 MiB) to box:/data; 0 unchanged, 0 deleted\n"
    again = ok(run("folder", "put", "box", str(tree), "/data"))
    assert again == "Uploaded 0 files (0 bytes) to box:/data; 4 unchanged, 0 deleted\n"

    copy = tmp_path / "copy"
    got = ok(run("folder", "get", "box", "/data", str(copy)))
    assert got == "Downloaded 4 files (2.0 MiB) from box:/data; 0 unchanged, 0 deleted\n"
    assert read_tree(copy) == TREE


def test_folder_json_dry_run_and_delete(run: Run, tmp_path: Path) -> None:
    context_id = json.loads(ok(run("context", "create", "box", json_output=True)))["id"]
    tree = write_tree(tmp_path / "tree", TREE)
    ok(run("file", "put", "box", "-", "/data/old.txt", input=b"old"))

    dry = ok(run("folder", "put", "box", str(tree), "/data", "--delete", "--dry-run"))
    assert dry.splitlines() == [
        "would upload box:/data/a.txt",
        "would upload box:/data/sub/b.bin",
        "would upload box:/data/sub/deeper/empty",
        "would upload box:/data/with space/\u00e9.txt",
        "would delete box:/data/old.txt",
        "Dry run: would upload 4 files (2.0 MiB) to box:/data; 0 unchanged, 1 to delete",
    ]
    listed = json.loads(ok(run("file", "ls", "box", "/data", json_output=True)))
    assert [e["file_path"] for e in listed] == ["/data/old.txt"]

    put = json.loads(
        ok(run("folder", "put", "box", str(tree), "/data", "--delete", json_output=True))
    )
    assert put == {
        "context_id": context_id,
        "dry_run": False,
        "success": True,
        "transferred": sorted(f"/data/{name}" for name in TREE),
        "skipped": [],
        "deleted": ["/data/old.txt"],
        "failed": {},
        "bytes_transferred": len(DATA) + 2,
        "skipped_symlinks": [],
    }
    copy = write_tree(tmp_path / "copy", {"mine.txt": b"mine"})
    dry_get = ok(run("folder", "get", "box", "/data", str(copy), "--delete", "--dry-run"))
    assert f"would delete {copy / 'mine.txt'}\n" in dry_get  # a local file, by its local path
    assert "would download box:/data/a.txt\n" in dry_get
    got = ok(run("folder", "get", "box", "/data", str(copy), "--delete"))
    assert got.endswith("; 0 unchanged, 1 deleted\n")
    assert read_tree(copy) == TREE


def test_folder_failures_are_named_on_stderr_and_exit_1(run: Run, tmp_path: Path) -> None:
    ok(run("context", "create", "box"))
    tree = write_tree(tmp_path / "tree", {"good.txt": b"good"})
    fd = os.open(os.fsencode(tree) + b"/bad\xff.txt", os.O_CREAT | os.O_WRONLY)
    os.close(fd)

    result = run("folder", "put", "box", str(tree), "/data")
    assert result.exit_code == 1
    assert result.stdout == (
        "Uploaded 1 file (4 bytes) to box:/data; 0 unchanged, 0 deleted, 1 failed\n"
    )
    assert result.stderr == "Failed: box:/data/bad\ufffd.txt: The name is not valid UTF-8\n"
    as_json = run("folder", "put", "box", str(tree), "/data", json_output=True)
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["failed"] == {
        "/data/bad\ufffd.txt": "The name is not valid UTF-8"
    }


def test_folder_usage_errors(run: Run, tmp_path: Path) -> None:
    zero = run("folder", "put", "box", str(tmp_path), "/d", "--concurrency", "0")
    assert zero.exit_code == 2 and "--concurrency" in zero.stderr
    missing = run("folder", "put", "box", str(tmp_path / "missing"), "/d")
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    a_file = tmp_path / "file.txt"
    a_file.write_bytes(b"x")
    not_a_folder = run("folder", "get", "box", "/d", str(a_file))
    assert not_a_folder.exit_code == 2


# --------------------------------------------------------------------------- missing extras


@pytest.mark.parametrize("module", ["click", "rich"])
def test_the_command_without_its_extra_says_what_to_install(module: str, tmp_path: Path) -> None:
    blocked = tmp_path / module
    blocked.mkdir()
    (blocked / "__init__.py").write_text(
        f'raise ModuleNotFoundError("No module named {module!r}", name={module!r})\n'
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    command = shutil.which("agentbay", path=os.path.dirname(sys.executable)) or "agentbay"
    done = subprocess.run(
        [command, "context", "list"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr == (
        f"The agentbay command needs {module}: pip install 'agentbay-contexts[cli]'\n"
    )


# --------------------------------------------------------------------------- progress bar


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def frames(drawn: str) -> list[str]:
    """The lines a terminal showed, one per redraw, without escape sequences."""
    return [line for line in re.split(r"[\r\n]", ANSI.sub("", drawn)) if line.strip()]


def terminal(width: int) -> tuple[Console, io.StringIO]:
    screen = io.StringIO()
    return Console(file=screen, force_terminal=True, width=width, color_system=None), screen


def test_nothing_is_drawn_when_stderr_is_not_a_terminal(run: Run) -> None:
    screen = io.StringIO()
    with TransferBar("/a", console=Console(file=screen)) as bar:
        bar(0, 4 << 20)
        bar(4 << 20, 4 << 20)
    assert screen.getvalue() == ""
    ok(run("context", "create", "quiet"))
    put = run("file", "put", "quiet", "-", "/q", input=DATA)
    assert put.exit_code == 0 and put.stderr == ""


def draw_a_transfer(width: int) -> tuple[str, list[str]]:
    """Draw 1.4 GiB moving in nine steps on a terminal ``width`` wide: (output, frames)."""
    console, screen = terminal(width)
    total = 1_503_238_553
    with TransferBar("/2025/reports/quarterly/q1-final.pdf", console=console) as bar:
        for done in range(0, total, total // 8):
            bar(done, total)
            time.sleep(0.01)
            bar._progress.refresh()
        bar(total, total)
    return screen.getvalue(), frames(screen.getvalue())


def test_the_bar_in_80_columns_is_one_line_with_bytes_rate_and_eta() -> None:
    drawn, shown = draw_a_transfer(80)
    assert "\x1b[1A" not in drawn  # never a cursor move up: one line, redrawn in place
    assert drawn.count("\x1b[2K") >= 9  # each frame erases the line first: no debris
    assert len(shown) >= 9 and all(len(line) <= 80 for line in shown), shown
    assert re.fullmatch(
        r"…ts/quarterly/q1-final\.pdf ━+ 1\.4/1\.4 GiB [\d.]+ [KMG]iB/s 0:00:00", shown[-1]
    ), shown[-1]


@pytest.mark.parametrize("width", [40, 24])
def test_the_bar_stays_one_line_on_a_narrow_terminal(width: int) -> None:
    drawn, shown = draw_a_transfer(width)
    assert "\x1b[1A" not in drawn
    assert all(len(line) <= width for line in shown), shown


def test_the_bar_of_a_folder_counts_files() -> None:
    console, screen = terminal(100)
    with TransferBar("/photos", console=console, files=True) as bar:
        bar.update(3 << 20, 10 << 20, 3, 10)
    last = frames(screen.getvalue())[-1]
    assert "/photos" in last and "3/10 files" in last and "3.0/10.0 MiB" in last


def test_the_bar_of_an_unknown_size() -> None:
    console, screen = terminal(80)
    with TransferBar("/stdin", console=console) as bar:
        bar(1536, None)
    assert "1.5/? KiB" in frames(screen.getvalue())[-1]


def test_a_long_label_keeps_its_end() -> None:
    assert shorten("/2025/reports/quarterly/q1-final.pdf", 16) == "…ly/q1-final.pdf"
    assert shorten("/a.txt", 16) == "/a.txt"


def on_a_terminal(args: list[str], env: dict[str, str], width: int = 80) -> list[str]:
    """Run ``agentbay ARGS`` with stderr on a pty ``width`` wide; the frames it drew there."""
    import fcntl
    import pty
    import termios

    controller, device = pty.openpty()
    fcntl.ioctl(device, termios.TIOCSWINSZ, struct.pack("HHHH", 24, width, 0, 0))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "agentbay", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=device,
            timeout=60,
        )
        os.close(device)
        drawn = b""
        with contextlib.suppress(OSError):  # EIO once the terminal is drained
            while chunk := os.read(controller, 65536):
                drawn += chunk
    finally:
        os.close(controller)
    assert done.returncode == 0
    return frames(drawn.decode())


def cli_env(emulator: str, api_key: str) -> dict[str, str]:
    env = {**os.environ, "AGENTBAY_ENDPOINT": emulator, "AGENTBAY_API_KEY": api_key}
    env.pop("COLUMNS", None)
    return env


@pytest.mark.skipif(sys.platform == "win32", reason="a pty is POSIX")
def test_the_command_draws_a_bar_in_an_80_column_terminal(
    emulator: str, api_key: str, tmp_path: Path
) -> None:
    local = tmp_path / "q1-final.pdf"
    local.write_bytes(DATA)
    env = cli_env(emulator, api_key)
    command = [sys.executable, "-m", "agentbay"]
    subprocess.run([*command, "context", "create", "pty"], env=env, check=True, timeout=60)
    shown = on_a_terminal(
        ["file", "put", "pty", str(local), "/2025/reports/quarterly/q1-final.pdf"], env
    )
    assert shown and all(len(line) <= 80 for line in shown), shown
    assert "2.0/2.0 MiB" in shown[-1] and "q1-final.pdf" in shown[-1]


@pytest.mark.skipif(sys.platform == "win32", reason="a pty is POSIX")
def test_a_folder_transfer_draws_one_bar_with_files(
    emulator: str, api_key: str, tmp_path: Path
) -> None:
    tree = write_tree(tmp_path / "tree", TREE)
    env = cli_env(emulator, api_key)
    subprocess.run(
        [sys.executable, "-m", "agentbay", "context", "create", "pty"], env=env, check=True
    )
    shown = on_a_terminal(["folder", "put", "pty", str(tree), "/photos"], env)
    assert shown and all(len(line) <= 80 for line in shown), shown
    assert "4/4 files" in shown[-1] and "2.0/2.0 MiB" in shown[-1] and "/photos" in shown[-1]


# --------------------------------------------------------------------------- nothing lost


def remote_files(run: Run, context: str, folder: str = "/") -> list[str]:
    listed = json.loads(ok(run("file", "ls", context, folder, "-r", json_output=True)))
    return sorted(entry["file_path"] for entry in listed)


DEEP = ["/tree/a/b/c/deep.txt", "/tree/a/x.txt", "/tree/top.txt"]


def test_rm_of_a_folder_is_refused_without_recursive(run: Run, api_key: str) -> None:
    ok(run("context", "create", "reports"))
    for path in DEEP:
        ok(run("file", "put", "reports", "-", path, input=b"keep me"))
    for folder in ("/tree/a", "/tree/a/", "tree/a"):
        line = failed(run("file", "rm", "reports", folder), api_key)
        assert line == (
            "Error: Cannot delete /tree/a: it is a folder "
            "(file rm --recursive deletes it and every file below it)"
        )
    assert remote_files(run, "reports") == DEEP

    removed = ok(run("file", "rm", "reports", "/tree/a", "-r"))
    assert removed == "Deleted reports:/tree/a (2 files below it)\n"
    assert remote_files(run, "reports") == ["/tree/top.txt"]
    as_json = json.loads(ok(run("file", "rm", "reports", "/tree", "--recursive", json_output=True)))
    assert as_json["files"] == 1 and as_json["deleted"] is True
    assert remote_files(run, "reports") == []


def test_rm_recursive_of_a_file_deletes_that_file_only(run: Run) -> None:
    ok(run("context", "create", "reports"))
    for path in DEEP:
        ok(run("file", "put", "reports", "-", path, input=b"keep me"))
    assert ok(run("file", "rm", "reports", "/tree/top.txt", "-r")) == (
        "Deleted reports:/tree/top.txt\n"
    )
    assert remote_files(run, "reports") == DEEP[:2]


def test_rm_of_a_folder_through_the_installed_command(emulator: str, api_key: str) -> None:
    env = cli_env(emulator, api_key)
    command = [sys.executable, "-m", "agentbay"]
    subprocess.run([*command, "context", "create", "reports"], env=env, check=True, timeout=60)
    put = [*command, "file", "put", "reports", "-", "/tree/a/b/c/deep.txt"]
    subprocess.run(put, env=env, input=b"deep", check=True, timeout=60)
    done = subprocess.run(
        [*command, "file", "rm", "reports", "/tree/a"], env=env, capture_output=True, timeout=60
    )
    assert (done.returncode, done.stdout) == (1, b"")
    assert done.stderr.decode().startswith("Error: Cannot delete /tree/a: it is a folder")
    get = [*command, "file", "get", "reports", "/tree/a/b/c/deep.txt", "-"]
    assert subprocess.run(get, env=env, capture_output=True, timeout=60).stdout == b"deep"


def test_folder_get_delete_from_a_mistyped_remote_folder_deletes_nothing(
    run: Run, tmp_path: Path
) -> None:
    ok(run("context", "create", "reports"))
    ok(run("folder", "put", "reports", str(write_tree(tmp_path / "tree", TREE)), "/tree"))
    copy = write_tree(tmp_path / "tree-copy", {**TREE, ".hidden": b"h"})
    before = read_tree(copy)
    for extra in ([], ["--dry-run"]):
        result = run("folder", "get", "reports", "/tre", str(copy), "--delete", *extra)
        assert result.exit_code == 1
        assert "would delete" not in result.stdout
        assert result.stderr == (
            "Failed: reports:/tre: the source folder is empty or does not exist: 5 files not "
            "deleted (--allow-empty-source deletes them)\n"
        )
        assert read_tree(copy) == before

    meant = run("folder", "get", "reports", "/tre", str(copy), "--delete", "--allow-empty-source")
    assert meant.exit_code == 0 and meant.stdout.endswith("0 unchanged, 5 deleted\n")
    assert read_tree(copy) == {}


def test_folder_put_delete_from_an_empty_local_folder_deletes_nothing(
    run: Run, tmp_path: Path
) -> None:
    ok(run("context", "create", "reports"))
    ok(run("folder", "put", "reports", str(write_tree(tmp_path / "tree", TREE)), "/tree"))
    (tmp_path / "empty").mkdir()
    result = run("folder", "put", "reports", str(tmp_path / "empty"), "/tree", "--delete")
    assert result.exit_code == 1
    assert "4 files not deleted (--allow-empty-source deletes them)" in result.stderr
    assert remote_files(run, "reports") == sorted(f"/tree/{name}" for name in TREE)


def test_a_dry_run_names_local_paths_as_local_and_remote_as_remote(
    run: Run, tmp_path: Path
) -> None:
    ok(run("context", "create", "box"))
    ok(run("file", "put", "box", "-", "/src/remote-only.txt", input=b"r"))
    local = write_tree(tmp_path / "src", {"local-only.txt": b"l"})
    down = ok(run("folder", "get", "box", "/src", str(local), "--delete", "--dry-run"))
    assert down.splitlines()[:2] == [
        "would download box:/src/remote-only.txt",
        f"would delete {local / 'local-only.txt'}",
    ]
    up = ok(run("folder", "put", "box", str(local), "/src", "--delete", "--dry-run"))
    assert up.splitlines()[:2] == [
        "would upload box:/src/local-only.txt",
        "would delete box:/src/remote-only.txt",
    ]
    as_json = json.loads(
        ok(run("folder", "get", "box", "/src", str(local), "--delete", json_output=True))
    )
    assert as_json["deleted"] == [str(local / "local-only.txt")]
    assert read_tree(local) == {"remote-only.txt": b"r"}


# --------------------------------------------------------------------------- interrupts


def connect(url: str, api_key: str) -> list[str]:
    """The installed command, pointed at ``url`` with ``api_key``."""
    return [sys.executable, "-m", "agentbay", "--endpoint", url, "--api-key", api_key]


def default_sigint() -> None:
    """In the child, before it runs Python: SIGINT as a terminal delivers it, even when this
    process ignores it (mutmut's workers do, and a child inherits that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
@pytest.mark.timeout(60)
def test_ctrl_c_during_file_put_exits_130(api_key: str) -> None:
    with socket.socket() as silent:  # accepts (the kernel does) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        child = subprocess.Popen(
            [*connect(url, api_key), "file", "put", "box", "-", "/a.txt"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=default_sigint,
        )
        connection, _ = silent.accept()  # the command is waiting for its first answer
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
        connection.close()
    assert (child.returncode, out, err) == (130, b"", b"Interrupted.\n")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
@pytest.mark.timeout(90)
def test_ctrl_c_during_folder_put_says_what_landed(tmp_path: Path, api_key: str) -> None:
    files = {f"f{i:02d}.txt": b"x" * 1000 for i in range(30)}
    tree = write_tree(tmp_path / "tree", files)
    with running(faults="transfer_latency=300ms") as url:
        env = cli_env(url, api_key)
        command = [sys.executable, "-m", "agentbay"]
        subprocess.run([*command, "context", "create", "box"], env=env, check=True, timeout=60)
        child = subprocess.Popen(
            [*command, "folder", "put", "box", str(tree), "/tree", "--concurrency", "2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=default_sigint,
        )
        listing = [*command, "--json", "file", "ls", "box", "/tree"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until the first files have landed
            shown = subprocess.run(listing, env=env, capture_output=True, timeout=60)
            if shown.returncode == 0 and len(json.loads(shown.stdout)) >= 2:
                break
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
        landed = json.loads(subprocess.run(listing, env=env, capture_output=True).stdout)
    assert child.returncode == 130, err
    assert out == b""
    line = err.decode()
    match = re.fullmatch(
        r"Interrupted: (\d+) of 30 files landed, 0 failed, (\d+) stopped midway, "
        r"(\d+) never started\n",
        line,
    )
    assert match, line
    # A file stopped after its last byte went out may still have been stored: at most those.
    assert int(match[1]) <= len(landed) <= int(match[1]) + int(match[2])
    assert 0 < len(landed) < 30 and sum(map(int, match.groups())) == 30


def test_an_interrupt_before_any_file_moved(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentbay import ContextService

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    ok(run("context", "create", "box"))
    monkeypatch.setattr(ContextService, "upload_folder", interrupted)
    result = run("folder", "put", "box", str(tmp_path), "/x")
    assert (result.exit_code, result.stderr) == (130, "Interrupted before any file moved.\n")


# --------------------------------------------------------------------------- smaller items


def test_ls_recursive_of_a_file_and_of_a_missing_folder(run: Run, api_key: str) -> None:
    ok(run("context", "create", "box"))
    for path in DEEP:
        ok(run("file", "put", "box", "-", path, input=b"12345"))
    assert remote_files(run, "box") == DEEP  # ls -r: every file, at any depth
    short = ok(run("file", "ls", "box", "/tree", "--recursive", "--bytes")).splitlines()
    assert {line.split()[-1] for line in short[1:]} == set(DEEP)
    one = json.loads(ok(run("file", "ls", "box", "/tree/top.txt", json_output=True)))
    assert [e["file_path"] for e in one] == ["/tree/top.txt"]  # a file is listed alone
    line = failed(run("file", "ls", "box", "/tre"), api_key)
    assert line == "Error: No such folder: box:/tre"
    assert ok(run("file", "ls", "box", "/")).splitlines()[1].split()[0] == "folder"


def test_json_keeps_non_ascii(run: Run) -> None:
    ok(run("context", "create", "démo ✓"))
    shown = ok(run("context", "get", "démo ✓", json_output=True))
    assert '"name": "démo ✓"' in shown and "\\u" not in shown


def test_symlinks_are_named_as_skipped(run: Run, tmp_path: Path) -> None:
    ok(run("context", "create", "box"))
    tree = write_tree(tmp_path / "tree", {"a.txt": b"a"})
    (tree / "link.txt").symlink_to(tree / "a.txt")
    (tree / "linked-folder").symlink_to(tmp_path)
    dry = ok(run("folder", "put", "box", str(tree), "/t", "--dry-run"))
    assert f"would skip the symbolic link {tree / 'link.txt'}\n" in dry
    assert f"would skip the symbolic link {tree / 'linked-folder'}\n" in dry
    done = run("folder", "put", "box", str(tree), "/t")
    assert done.exit_code == 0
    assert done.stderr.splitlines() == [
        f"Skipped the symbolic link {tree / 'link.txt'} (links are not followed)",
        f"Skipped the symbolic link {tree / 'linked-folder'} (links are not followed)",
    ]
    as_json = json.loads(ok(run("folder", "put", "box", str(tree), "/t", json_output=True)))
    assert as_json["skipped_symlinks"] == [str(tree / "link.txt"), str(tree / "linked-folder")]
    assert remote_files(run, "box") == ["/t/a.txt"]


def test_file_put_of_a_folder_points_at_folder_put(run: Run, tmp_path: Path) -> None:
    result = run("file", "put", "box", str(tmp_path), "/x")
    assert result.exit_code == 2
    assert f"use agentbay folder put box {tmp_path} REMOTE_DIR" in result.stderr


def test_clear_takes_a_fractional_timeout(run: Run) -> None:
    ok(run("context", "create", "full"))
    assert ok(run("context", "clear", "full", "--timeout", "2.5")).startswith("Cleared ctx-")
    assert run("context", "clear", "full", "--timeout", "0").exit_code == 2


def test_an_empty_endpoint_is_refused(api_key: str) -> None:
    for args in (["--endpoint", ""], ["--endpoint", "  "], ["--endpoint="]):
        result = CliRunner().invoke(cli, [*args, "--api-key", api_key, "context", "list"])
        assert result.exit_code == 2 and "must not be empty" in result.stderr, args


@pytest.mark.timeout(30)
def test_max_retries_sets_the_attempts(api_key: str) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        args = [*connect(url, api_key)[3:], "--timeout-ms", "300", "context", "list"]
        result = CliRunner().invoke(cli, [*args, "--max-retries", "0"])
        attempts = 0
        silent.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while True:
                silent.accept()[0].close()
                attempts += 1
    assert failed(result, api_key).startswith("Error: Failed to list contexts:")
    assert attempts == 1
    assert CliRunner().invoke(cli, ["--max-retries", "-1", "context", "list"]).exit_code == 2


def all_commands() -> list[list[str]]:
    found: list[list[str]] = [[]]
    for name, command in sorted(cli.commands.items()):
        found.append([name])
        for sub in sorted(getattr(command, "commands", {})):
            found.append([name, sub])
    return found


@pytest.mark.parametrize("path", all_commands(), ids=" ".join)
def test_every_help_page_has_examples_and_fits_80_columns(path: list[str]) -> None:
    result = CliRunner().invoke(cli, [*path, "-h"], prog_name="agentbay", env={"COLUMNS": "80"})
    assert result.exit_code == 0
    # click's pages, and argparse's for `agentbay emulator`
    examples = r"\n  Examples:\n    (agentbay|tar cz) |\nExamples:\n  agentbay-emulator "
    assert re.search(examples, result.stdout), result.stdout
    assert all(len(line) <= 80 for line in result.stdout.splitlines()), result.stdout


def test_tables_fit_80_columns(run: Run) -> None:
    long_name = "a-rather-long-context-name-for-the-quarterly-reports-of-2025"
    ok(run("context", "create", long_name))
    ok(run("context", "create", "short"))
    deep = "/" + "/".join(["a-long-folder-name"] * 5) + "/the-file-at-the-bottom.txt"
    ok(run("file", "put", "short", "-", deep, input=b"x" * 5000))
    with_columns = CliRunner(env={"COLUMNS": "80"})
    for args in (["context", "list"], ["file", "ls", "short", "/", "-r"]):
        result = with_columns.invoke(cli, [*run.options, *args])  # type: ignore[attr-defined]
        lines = ok(result).splitlines()
        assert all(len(line) <= 80 for line in lines), lines
        if args[0] == "context":  # aligned: NAME starts in column 22 of every line
            assert all(line[20:22] == "  " and line[22] != " " for line in lines), lines
    listed = ok(with_columns.invoke(cli, [*run.options, "context", "list"]))  # type: ignore[attr-defined]
    assert "a-rather-long-context…" in listed or "…" in listed
    files = ok(with_columns.invoke(cli, [*run.options, "file", "ls", "short", "/", "-r"]))  # type: ignore[attr-defined]
    assert "4.9 KiB" in files and files.rstrip().endswith("the-file-at-the-bottom.txt")
    wide = CliRunner(env={"COLUMNS": "200"}).invoke(cli, [*run.options, "context", "list"])  # type: ignore[attr-defined]
    assert long_name in ok(wide)


def test_sizes_in_one_unit_family() -> None:
    from agentbay._cli_progress import human_size

    assert [human_size(n) for n in (0, 1, 1023, 1024, 1536, 50_000_000, 1 << 40)] == [
        "0 bytes",
        "1 byte",
        "1023 bytes",
        "1.0 KiB",
        "1.5 KiB",
        "47.7 MiB",
        "1.0 TiB",
    ]


def test_the_folder_bar_counts_failed_files_apart_and_starts_blank() -> None:
    console, screen = terminal(100)
    with TransferBar("/photos", console=console, files=True) as bar:
        bar._progress.refresh()
        bar.update(8 << 20, 10 << 20, 8, 10, failed_files=2, started_files=10)
    first, last = frames(screen.getvalue())[0], frames(screen.getvalue())[-1]
    assert "listing…" in first and "?" not in first and "0/" not in first
    assert "8/10 files, 2 failed" in last and "8.0/10.0 MiB" in last
    assert bar.files == (8, 2, 10, 10)


# --------------------------------------------------------------------------- found by mutmut


def test_context_delete_says_what_it_deleted_and_why_it_could_not(
    run: Run, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentbay import ContextService
    from agentbay._models import OperationResult

    context_id = json.loads(ok(run("context", "create", "gone", json_output=True)))["id"]
    assert ok(run("context", "delete", "gone")) == f"Deleted {context_id} (gone)\n"
    ok(run("context", "create", "kept"))
    refused = OperationResult(success=False, error_message="the context is in use")
    monkeypatch.setattr(ContextService, "delete", lambda *_: refused)
    message = failed(run("context", "delete", "kept"), api_key)
    assert message == "Error: Cannot delete context 'kept': the context is in use"


def test_file_get_into_a_folder_it_cannot_make_says_why(
    run: Run, api_key: str, tmp_path: Path
) -> None:
    ok(run("context", "create", "box"))
    ok(run("file", "put", "box", "-", "/a.txt", input=b"abc"))
    (tmp_path / "plain.txt").write_bytes(b"")
    target = f"{tmp_path}/plain.txt/sub/"
    message = failed(run("file", "get", "box", "/a.txt", target), api_key)
    assert message == f"Error: Cannot create folder {target}: Not a directory"


def test_the_emulator_command_without_the_emulator_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class NotInstalled:
        def find_spec(self, name: str, *_: object) -> None:
            if name == "agentbay_emulator":
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    for name in ("agentbay_emulator", "agentbay_emulator.__main__"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setattr(sys, "meta_path", [NotInstalled(), *sys.meta_path])
    result = CliRunner().invoke(cli, ["emulator", "--port", "0"])
    assert (result.exit_code, result.stdout) == (1, "")
    expected = "Error: the emulator is a distribution of its own: pip install agentbay-emulator\n"
    assert result.stderr == expected


def test_the_emulator_command_does_not_hide_a_dependency_the_emulator_lacks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "agentbay_emulator.__main__", None)  # a part is missing
    result = CliRunner().invoke(cli, ["emulator", "--port", "0"])
    assert isinstance(result.exception, ModuleNotFoundError), result.output
    assert result.exception.name == "agentbay_emulator.__main__"


def test_main_names_the_command_agentbay(capsys: pytest.CaptureFixture[str]) -> None:
    from agentbay.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["context", "-h"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("Usage: agentbay context [OPTIONS] COMMAND")


def test_ctrl_c_in_a_command_is_one_line_on_stderr_and_status_130(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentbay import ContextService

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ContextService, "iter_contexts", interrupted)
    result = run("context", "list")
    assert (result.exit_code, result.stdout, result.stderr) == (130, "", "Interrupted.\n")


def test_the_command_tree_is_named_agentbay_without_a_program_name() -> None:
    result = CliRunner().invoke(cli, ["context", "-h"])  # no prog_name: the tree's own name
    assert result.stdout.startswith("Usage: agentbay context [OPTIONS] COMMAND [ARGS]...")


@pytest.mark.parametrize(
    ("words", "kind"),
    [(["file", "put", "box"], "file"), (["file", "get", "box", "/a.txt"], "file")],
)
def test_the_shell_completes_a_local_path_with_files(words: list[str], kind: str) -> None:
    from click.shell_completion import ShellComplete

    completer = ShellComplete(cli, {}, "agentbay", "_AGENTBAY_COMPLETE")
    assert [item.type for item in completer.get_completions(words, "")] == [kind]
