"""The command line, the lazy package import, and the pytest plugin."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from emulator_support import Api

from agentbay_emulator import running
from agentbay_emulator.__main__ import build_parser


def _env() -> dict[str, str]:
    root = Path(__file__).resolve().parents[2]
    src = [str(root / "src"), str(root / "emulator" / "src")]  # the SDK's and the emulator's
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [*src, env.get("PYTHONPATH")]))
    return env


def test_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "agentbay_emulator", "--help"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert result.returncode == 0
    for flag in (
        "--host",
        "--port",
        "--data-dir",
        "--url-ttl",
        "--clear-delay",
        "--api-key",
        "--faults",
    ):
        assert flag in result.stdout


def test_parser_defaults_and_errors() -> None:
    args = build_parser().parse_args(["--api-key", "a", "--api-key", "b", "--clear-delay", "250ms"])
    assert args.api_keys == ["a", "b"] and args.clear_delay == 0.25
    assert args.port == 8765 and args.url_ttl == 3600 and args.faults is None
    result = subprocess.run(
        [sys.executable, "-m", "agentbay_emulator", "--faults", "boom=1"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert result.returncode == 2 and "unknown fault" in result.stderr


def test_serves_until_terminated(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "agentbay_emulator",
        "--port",
        "0",
        "--data-dir",
        str(tmp_path / "data"),
        "--api-key",
        "cli-key",
        "--log-level",
        "warning",
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert "listening on http://127.0.0.1:" in line, line
            url = line.split("listening on ")[1].split()[0]
            with httpx.Client(base_url=url, timeout=30) as http:
                api = Api(http, "cli-key")
                context_id = api.create("from-cli")
                api.upload(context_id, "/f", b"cli")
                assert api.download(context_id, "/f").content == b"cli"
                assert Api(http, "other").fail("ListContexts", 401)["Code"] == "InvalidApiKey"
            process.send_signal(signal.SIGTERM)
            _, errors = process.communicate(timeout=30)
            assert process.returncode == 0, errors
            assert "Traceback" not in errors
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert (tmp_path / "data" / "meta.sqlite3").exists()


def test_import_is_lazy() -> None:
    code = (
        "import sys, agentbay_emulator as e; "
        "assert 'uvicorn' not in sys.modules and 'starlette' not in sys.modules, 'eager'; "
        "e.running; assert 'uvicorn' in sys.modules; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=60
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def _pytest(folder: Path) -> subprocess.CompletedProcess[str]:
    """Run plain pytest (with this environment's plugins) on the tests in ``folder``."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=folder,
        timeout=120,
    )


@pytest.mark.timeout(120)
def test_pytest_plugin(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["agentbay_emulator.pytest_plugin"]\n')
    (tmp_path / "test_uses_fixtures.py").write_text(
        textwrap.dedent(
            """
            import httpx
            import pytest

            URLS = {"test": set(), "session": set()}
            KEYS = set()


            def count(url, key, create=None):
                call = lambda action, **params: httpx.post(
                    f"{url}/?Action={action}", data={"Authorization": f"Bearer {key}", **params}
                ).json()
                if create:
                    assert call("GetContext", Name=create, AllowCreate="true")["Success"]
                return call("ListContexts")["TotalCount"]


            @pytest.mark.parametrize("run", range(3))
            def test_fresh_emulator(agentbay_emulator, run):
                URLS["test"].add(agentbay_emulator)
                assert len(URLS["test"]) == run + 1
                assert count(agentbay_emulator, "same-key", create="mine") == 1


            @pytest.mark.parametrize("run", range(3))
            def test_shared_emulator(agentbay_emulator_session, agentbay_api_key, run):
                URLS["session"].add(agentbay_emulator_session)
                KEYS.add(agentbay_api_key)
                assert len(URLS["session"]) == 1 and len(KEYS) == run + 1
                assert count(agentbay_emulator_session, agentbay_api_key, create="mine") == 1
                assert count(agentbay_emulator_session, "same-key", create=f"c{run}") == run + 1
            """
        )
    )
    result = _pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout


@pytest.mark.timeout(60)
def test_the_plugin_without_the_extra_says_what_to_install(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_it.py").write_text(
        textwrap.dedent(
            """
            import sys

            def test_unrelated():
                assert "uvicorn" not in sys.modules  # the plugin loaded, lazily

            def test_emulator(agentbay_emulator):
                pass
            """
        )
    )
    env = _without("uvicorn", tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert "1 passed, 1 error" in result.stdout, result.stdout + result.stderr
    assert "agentbay_emulator needs uvicorn: pip install uvicorn" in result.stdout


def _documented_files(doc: Path, section: str) -> dict[str, str]:
    """The code blocks of ``section`` of ``doc`` whose first line is ``# <file name>``."""
    text = doc.read_text().split(f"\n{section}\n", 1)[1].split("\n## ", 1)[0]
    files: dict[str, str] = {}
    for block in re.findall(r"```\w+\n(.*?)```", text, flags=re.DOTALL):
        first, _, body = block.partition("\n")
        if re.fullmatch(r"# [\w.]+\.(py|toml)", first):
            files[first[2:]] = body
    return files


@pytest.mark.timeout(120)
def test_the_documented_fixture_examples_pass(tmp_path: Path) -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
    files = _documented_files(doc, "## Using it from tests")
    assert set(files) == {
        "conftest.py",
        "pyproject.toml",
        "test_contexts.py",
        "test_async_contexts.py",
    }
    for name, body in files.items():
        (tmp_path / name).write_text(body)
    result = _pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout and "warning" not in result.stdout


def test_in_process_fixture(agentbay_emulator: str) -> None:
    with httpx.Client(base_url=agentbay_emulator) as http:
        assert Api(http).call("ListContexts")["TotalCount"] == 0


# --------------------------------------------------------------------------- startup errors


def _without(module: str, where: Path) -> dict[str, str]:
    """An environment in which importing ``module`` fails as if it were not installed."""
    blocked = where / module
    blocked.mkdir()
    (blocked / "__init__.py").write_text(
        f'raise ModuleNotFoundError("No module named {module!r}", name={module!r})\n'
    )
    env = _env()
    env["PYTHONPATH"] = os.pathsep.join([str(where), env["PYTHONPATH"]])
    return env


BIN = os.path.dirname(sys.executable)


@pytest.mark.parametrize(
    "command",
    [
        [shutil.which("agentbay-emulator", path=BIN) or "agentbay-emulator"],
        [sys.executable, "-m", "agentbay_emulator"],
        [shutil.which("agentbay", path=BIN) or "agentbay", "emulator"],
    ],
)
@pytest.mark.parametrize("module", ["uvicorn", "starlette"])
def test_the_command_without_the_extra_says_what_to_install(
    command: list[str], module: str, tmp_path: Path
) -> None:
    env = _without(module, tmp_path)
    done = subprocess.run(
        [*command, "--port", "0", "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 1
    assert (
        done.stderr
        == f"agentbay-emulator: agentbay_emulator needs {module}: pip install {module}\n"
    )


def test_the_package_without_the_extra_says_what_to_install(tmp_path: Path) -> None:
    env = _without("uvicorn", tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", "from agentbay_emulator import running"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 1
    last = done.stderr.splitlines()[-1]
    assert last == "ModuleNotFoundError: agentbay_emulator needs uvicorn: pip install uvicorn"


def _start(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentbay_emulator", "--port", "0", *args],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )


def test_a_data_directory_in_use_is_one_line(tmp_path: Path) -> None:
    with running(tmp_path):
        done = _start("--data-dir", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr == (
        f"agentbay-emulator: cannot use the data directory {tmp_path}: "
        f"{tmp_path} is in use by another emulator\n"
    )


def test_a_data_directory_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    done = _start("--data-dir", str(tmp_path / "file"))
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith(f"agentbay-emulator: cannot use the data directory {tmp_path}")


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "agentbay_emulator", "--port", str(port)],
            capture_output=True,
            text=True,
            env=_env(),
            cwd=tmp_path,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr.startswith(f"agentbay-emulator: cannot listen on 127.0.0.1:{port}: ")
    assert len(done.stderr.splitlines()) == 1
