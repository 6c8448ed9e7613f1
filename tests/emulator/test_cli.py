"""The command line, the lazy package import, and the pytest plugin."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
from emulator_support import Api

from agentbay.emulator.__main__ import build_parser


def _env() -> dict[str, str]:
    src = Path(__file__).resolve().parents[2] / "src"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    return env


def test_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "agentbay.emulator", "--help"],
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
        [sys.executable, "-m", "agentbay.emulator", "--faults", "boom=1"],
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
        "agentbay.emulator",
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
        "import sys, agentbay.emulator as e; "
        "assert 'uvicorn' not in sys.modules and 'starlette' not in sys.modules, 'eager'; "
        "e.running; assert 'uvicorn' in sys.modules; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=60
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_pytest_plugin(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["agentbay.emulator.pytest_plugin"]\n')
    (tmp_path / "test_uses_fixture.py").write_text(
        textwrap.dedent(
            """
            import httpx

            def test_endpoint(agentbay_emulator):
                assert agentbay_emulator.startswith("http://127.0.0.1:")
                response = httpx.post(
                    agentbay_emulator + "/?Action=ListContexts",
                    data={"Authorization": "Bearer k"},
                )
                assert response.json()["Success"] is True
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_in_process_fixture(agentbay_emulator: str) -> None:
    with httpx.Client(base_url=agentbay_emulator) as http:
        assert Api(http).call("ListContexts")["TotalCount"] == 0
