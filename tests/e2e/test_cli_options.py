"""Every option of the ``agentbay`` command changes the outcome of some test.

A walk over the click commands lists every option; ``EFFECTS`` names, for each, the test that
shows what it does, and the check fails on an option without one, on a test that does not
exist, and on a test that never passes the option (on the command it belongs to). An option
parsed and then not used would pass a test that only hands it over: the tests named here
assert what it changes. The tests of the options that had none are below."""

from __future__ import annotations

import ast
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from agentbay._sync.context import ContextService
from agentbay.cli import _global_options, build, cli
from agentbay_emulator import running

TESTS = Path(__file__).parent
CLI_TESTS = [TESTS / "test_cli.py", TESTS / "test_cli_redaction.py", Path(__file__)]
GLOBAL = "*"  # the options every command takes

EFFECTS: dict[tuple[str, str], str] = {
    ("", "version"): "test_version_names_the_installed_package",
    (GLOBAL, "endpoint"): "test_global_options_after_the_command",
    (GLOBAL, "api_key"): "test_a_key_pasted_as_a_context_name_is_not_printed",
    (GLOBAL, "timeout_ms"): "test_timeout_ms_bounds_each_request",
    (GLOBAL, "max_retries"): "test_max_retries_sets_the_attempts",
    (GLOBAL, "as_json"): "test_global_options_after_the_command",
    ("context clear", "timeout"): "test_clear_gives_up_at_its_timeout",
    ("file ls", "recursive"): "test_ls_recursive_of_a_file_and_of_a_missing_folder",
    ("file ls", "exact"): "test_file_put_ls_get_rm",
    ("file rm", "recursive"): "test_rm_of_a_folder_is_refused_without_recursive",
    ("file url", "upload"): "test_file_url",
    ("folder put", "concurrency"): "test_concurrency_bounds_the_files_in_flight",
    ("folder get", "concurrency"): "test_concurrency_bounds_the_files_in_flight",
    ("folder put", "delete"): "test_folder_json_dry_run_and_delete",
    ("folder get", "delete"): "test_folder_json_dry_run_and_delete",
    ("folder put", "allow_empty_source"): "test_allow_empty_source_lets_a_delete_empty_the_copy",
    ("folder get", "allow_empty_source"): "test_allow_empty_source_lets_a_delete_empty_the_copy",
    ("folder put", "dry_run"): "test_folder_json_dry_run_and_delete",
    ("folder get", "dry_run"): "test_folder_json_dry_run_and_delete",
}


@pytest.fixture(autouse=True)
def fresh_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test runs a command tree of its own, made by ``build()``: under mutmut, the
    mutants of the code that builds the tree are live only in one built during a test."""
    monkeypatch.setattr(sys.modules[__name__], "cli", build())


def every_option() -> dict[tuple[str, str], list[str]]:
    """``{(command, option name): its flags}`` for every option of every command (the global
    options once, under ``GLOBAL``); help options left out."""
    shared = {param.name for param in _global_options()}
    found: dict[tuple[str, str], list[str]] = {}

    def visit(command: click.Command, path: str) -> None:
        for param in command.params:
            if isinstance(param, click.Option) and param.name and param.name != "help":
                where = GLOBAL if param.name in shared else path
                found[(where, param.name)] = [*param.opts, *param.secondary_opts]
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                visit(sub, f"{path} {name}".strip())

    visit(cli, "")
    return found


def test_the_walk_finds_the_options_of_nested_commands() -> None:
    found = every_option()
    assert found[("folder put", "concurrency")] == ["--concurrency"]
    assert found[("file ls", "recursive")] == ["-r", "--recursive"]
    assert found[(GLOBAL, "as_json")] == ["--json"]
    assert not any(name == "help" for _, name in found)


def test_every_option_names_a_test_of_its_effect() -> None:
    found = set(every_option())
    assert sorted(found - set(EFFECTS)) == [], "options without a test of their effect"
    assert sorted(set(EFFECTS) - found) == [], "EFFECTS names options that do not exist"


def cli_test_functions() -> dict[str, ast.FunctionDef]:
    functions: dict[str, ast.FunctionDef] = {}
    for path in CLI_TESTS:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                functions[node.name] = node
    return functions


def strings_in(node: ast.AST) -> set[str]:
    return {
        found.value
        for found in ast.walk(node)
        if isinstance(found, ast.Constant) and isinstance(found.value, str)
    }


@pytest.mark.parametrize(("command", "name"), sorted(EFFECTS))
def test_the_test_named_passes_the_option_to_its_command(command: str, name: str) -> None:
    function = cli_test_functions().get(EFFECTS[(command, name)])
    assert function is not None, f"{EFFECTS[(command, name)]} is not a test of the CLI"
    strings = strings_in(function)
    flags = every_option()[(command, name)]
    assert strings & set(flags), f"{function.name} never passes {' or '.join(flags)}"
    if command != GLOBAL:
        assert set(command.split()) <= strings, f"{function.name} never runs {command}"


def test_the_check_fails_on_an_option_no_test_passes() -> None:
    """A new option without a test (``--fresh``, added here by hand) is caught."""
    command = cli.commands["folder"].commands["put"]  # type: ignore[attr-defined]
    command.params.append(click.Option(["--fresh"], is_flag=True))
    try:
        with pytest.raises(AssertionError, match="without a test"):
            test_every_option_names_a_test_of_its_effect()
    finally:
        command.params.pop()


# --------------------------------------------------------------------------- the options' effects


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    with running(clear_delay=0.3) as url:
        yield url


@pytest.fixture
def run(emulator: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    for name in ("AGENTBAY_ENDPOINT", "AGENTBAY_API_KEY", "AGENTBAY_TIMEOUT_MS"):
        monkeypatch.delenv(name, raising=False)
    options = ["--endpoint", emulator, "--api-key", f"sk-options-{uuid.uuid4().hex}"]
    return lambda *args: CliRunner().invoke(cli, [*options, *args])


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def test_version_names_the_installed_package() -> None:
    from agentbay import __version__

    shown = CliRunner().invoke(cli, ["--version"])
    assert (shown.exit_code, shown.stdout) == (0, f"agentbay, version {__version__}\n")


def test_clear_gives_up_at_its_timeout(run: Callable[..., Result]) -> None:
    ok(run("context", "create", "full"))
    # clearing takes the emulator 0.3 s: 0.05 s is too short, the default 60 s is not
    short = run("context", "clear", "full", "--timeout", "0.05")
    assert short.exit_code == 1
    assert "Error:" in short.stderr and "0.05" in short.stderr
    assert ok(run("context", "clear", "full")).startswith("Cleared ctx-")


def peak_of(monkeypatch: pytest.MonkeyPatch, method: str) -> list[int]:
    """Count the calls of ``ContextService.<method>`` running at once (each held 0.3 s, so
    that every call allowed to start has started); returns ``[peak]``."""
    in_flight, peak = [0], [0]
    lock = threading.Lock()
    original = getattr(ContextService, method)

    def counting(*args: Any, **kwargs: Any) -> Any:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        try:
            time.sleep(0.3)
            return original(*args, **kwargs)
        finally:
            with lock:
                in_flight[0] -= 1

    monkeypatch.setattr(ContextService, method, counting)
    return peak


@pytest.mark.timeout(30)
@pytest.mark.parametrize("direction", ["put", "get"])
def test_concurrency_bounds_the_files_in_flight(
    run: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, direction: str
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for index in range(4):
        (tree / f"f{index}.txt").write_bytes(b"x" * index)
    ok(run("context", "create", "box"))
    if direction == "get":
        ok(run("folder", "put", "box", str(tree), "/t"))
    method = "upload_file" if direction == "put" else "download_file"
    places = [str(tree), "/t"] if direction == "put" else ["/t", str(tmp_path / "copy")]

    peak = peak_of(monkeypatch, method)
    ok(run("folder", direction, "box", *places, "--concurrency", "1", "--delete"))
    assert peak == [1]
    for path in tree.iterdir():  # one more byte each: every file moves again
        path.write_bytes(path.read_bytes() + b"!")
    if direction == "get":
        monkeypatch.undo()
        ok(run("folder", "put", "box", str(tree), "/t"))
        peak = peak_of(monkeypatch, method)
    else:
        peak[0] = 0
    ok(run("folder", direction, "box", *places))  # the default: 16 at once
    assert peak == [4]


@pytest.mark.parametrize("direction", ["put", "get"])
def test_allow_empty_source_lets_a_delete_empty_the_copy(
    run: Callable[..., Result], tmp_path: Path, direction: str
) -> None:
    full, empty = tmp_path / "full", tmp_path / "empty"
    full.mkdir()
    empty.mkdir()
    (full / "a.txt").write_bytes(b"a")
    ok(run("context", "create", "box"))
    ok(run("folder", "put", "box", str(full), "/t"))

    def left() -> str:
        if direction == "put":
            return str(run("file", "ls", "box", "/t").stdout)
        return "a.txt" if (full / "a.txt").exists() else ""

    # put: an empty local folder onto /t; get: an empty remote folder onto the local copy
    places = [str(empty), "/t"] if direction == "put" else ["/none", str(full)]

    refused = run("folder", direction, "box", *places, "--delete")
    assert refused.exit_code == 1
    assert "1 file not deleted (--allow-empty-source deletes them)" in refused.stderr
    assert "a.txt" in left()

    ok(run("folder", direction, "box", *places, "--delete", "--allow-empty-source"))
    assert "a.txt" not in left()
