"""Interop: the official ``wuying-agentbay-sdk`` works against the emulator.

The official SDK is imported as ``agentbay``, like this project, so it runs in a separate
interpreter: set ``AGENTBAY_OFFICIAL_PYTHON`` to a Python that has ``wuying-agentbay-sdk==0.22.3``
installed and not this project, e.g.::

    python -m venv /tmp/official-venv
    /tmp/official-venv/bin/pip install wuying-agentbay-sdk==0.22.3
    /tmp/official-venv/bin/pip install ./emulator   # optional: the emulator beside it
    export AGENTBAY_OFFICIAL_PYTHON=/tmp/official-venv/bin/python
    pytest tests/emulator/test_official_sdk.py

The emulator the official SDK talks to runs from that Python (``python -m agentbay_emulator``)
when agentbay-emulator is installed there, as ``nox -s interop`` does: one environment, the
official SDK and the emulator; otherwise it runs in this process.

It also compares the public surface of the official context API (classes, methods,
parameters, defaults, attributes) with ours, and the signatures that build a client
(``Config``, ``AgentBay``, ``AsyncAgentBay``). These tests are skipped when the variable is unset
(``nox -s interop`` sets it).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentbay_emulator import running

OFFICIAL_PYTHON = os.environ.get("AGENTBAY_OFFICIAL_PYTHON")
HERE = Path(__file__).parent
DRIVER = HERE / "official_driver.py"
SURFACE = HERE / "api_surface.py"

needs_official = pytest.mark.skipif(
    not OFFICIAL_PYTHON, reason="set AGENTBAY_OFFICIAL_PYTHON to a Python with wuying-agentbay-sdk"
)


def _clean_env() -> dict[str, str]:
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AGENTBAY_", "PYTHON", "VIRTUAL_ENV"))
    }


def _has_emulator(python: str) -> bool:
    """Whether ``python`` can import agentbay_emulator."""
    done = subprocess.run(
        [python, "-c", "import agentbay_emulator"], env=_clean_env(), capture_output=True
    )
    return done.returncode == 0


@contextlib.contextmanager
def _official_emulator(data_dir: Path) -> Iterator[tuple[str, str]]:
    """An emulator for the official SDK, and where it runs: ``python -m agentbay_emulator`` in
    the official SDK's environment when the emulator is installed there, else in-process."""
    assert OFFICIAL_PYTHON is not None
    if not _has_emulator(OFFICIAL_PYTHON):
        with running(data_dir, clear_delay=0.3) as endpoint:
            yield endpoint, "in-process"
        return
    command = [OFFICIAL_PYTHON, "-m", "agentbay_emulator", "--port", "0", "--clear-delay", "0.3"]
    command += ["--data-dir", str(data_dir), "--log-level", "warning"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env=_clean_env(), cwd=data_dir.parent
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "listening on " in line, f"the emulator did not start: {line!r}"
        yield line.split("listening on ")[1].split()[0], "official environment"
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the official SDK saw, driven through a context's life against an emulator."""
    assert OFFICIAL_PYTHON is not None
    tmp_path = tmp_path_factory.mktemp("official")
    output = tmp_path / "report.json"
    with _official_emulator(tmp_path / "data") as (endpoint, where):
        result = subprocess.run(
            [OFFICIAL_PYTHON, str(DRIVER), endpoint, str(output)],
            capture_output=True,
            text=True,
            env=_clean_env(),
            cwd=tmp_path,  # no .env file of ours for the SDK to find
            timeout=240,
        )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    loaded: dict[str, Any] = json.loads(output.read_text())
    loaded["emulator_ran_in"] = where
    return loaded


@needs_official
@pytest.mark.timeout(300)  # a whole lifecycle, driven in a subprocess
def test_official_sdk_lifecycle(report: dict[str, Any]) -> None:
    assert report["sdk_version"] == "0.22.3"
    assert "/src/agentbay/" not in report["sdk_file"]  # really the official package
    context_id = report["create"]["id"]
    assert report["create"]["success"] and context_id.startswith("ctx-")
    assert report["create"]["request_id"] and report["create"]["name"] == "official-lifecycle"
    assert report["create_again_same_id"]
    assert report["list"]["success"] and context_id in report["list"]["ids"]
    assert report["list"]["total"] == 1 and report["list"]["next_token"] is None
    assert report["list"]["max_results"] == 10
    assert report["upload"] == {"success": True, "expire_time": 3600, "status": 200}
    files = report["list_files"]
    assert files["root"] == [["docs", "folder"]]
    assert files["docs"] == [["/docs/hello.bin", "file", 256 * 1024]]
    assert files["docs_count"] == 1
    assert files["token_success"] and files["token_next"] is None
    assert report["download"] == {"success": True, "status": 200, "same": True}
    assert report["rename"] == {"success": True, "same_id": True}
    assert not report["rename_clash"]["success"]
    assert report["rename_clash"]["error"].startswith("[InvalidContext.NameExists]")
    clear = report["clear"]
    assert clear["success"] and clear["status"] == "available" and clear["files_after"] == 0
    assert report["delete_file"] == {"success": True, "files_after": 0}
    assert report["delete"]["success"] and not report["delete"]["get_after"]
    assert "InvalidContext.NotFound" in report["delete"]["error"]
    assert report["missing"]["error"].startswith("[InvalidContext.NotFound]")
    assert report["bad_url"] == {
        "success": False,
        "error": "[InvalidContext.NotFound] The specified context"
        " 'ctx-0000000000000000' does not exist.",
    }
    assert report["full_url_endpoint"] is True
    assert report["async_client"] is True


BESIDE = """
import importlib.metadata, json, sys
import agentbay_emulator.app, agentbay_emulator.server  # the whole server, nothing of agentbay
emulator_loaded = sorted(m for m in sys.modules if m.partition(".")[0] == "agentbay")
import agentbay
owners = sorted(
    d.metadata["Name"] for d in importlib.metadata.distributions()
    if any(line.startswith("agentbay/") for line in (d.read_text("RECORD") or "").splitlines())
)
print(json.dumps({"emulator_loaded": emulator_loaded, "agentbay": agentbay.__file__,
                  "owners": owners, "sdk": importlib.metadata.version("wuying-agentbay-sdk")}))
"""


@needs_official
@pytest.mark.timeout(300)
def test_the_emulator_installs_beside_the_official_sdk(
    report: dict[str, Any], tmp_path: Path
) -> None:
    assert OFFICIAL_PYTHON is not None
    if not _has_emulator(OFFICIAL_PYTHON):
        pytest.skip("agentbay-emulator is not installed beside the official SDK")
    assert report["emulator_ran_in"] == "official environment"  # the lifecycle ran against it
    done = subprocess.run(
        [OFFICIAL_PYTHON, "-c", BESIDE],
        capture_output=True,
        text=True,
        env=_clean_env(),
        cwd=tmp_path,  # the official SDK writes agentbay.log where it runs
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["emulator_loaded"] == []
    assert seen["owners"] == ["wuying-agentbay-sdk"] and seen["sdk"] == "0.22.3"
    assert "/src/agentbay/" not in seen["agentbay"]


@needs_official
@pytest.mark.timeout(300)
def test_official_sdk_pages_files_by_token(report: dict[str, Any]) -> None:
    paging = report["token_paging"]
    assert paging["success"] and paging["next_token"] in (None, "")
    pages = paging["pages"]
    assert [len(page) for page in pages] == [7] * 17 + [1]
    paths = [path for page in pages for path in page]
    assert paths == [f"/many/f{index:03d}.txt" for index in range(120)]  # each exactly once


def _surface(python: str, tmp_path: Path, name: str) -> dict[str, Any]:
    output = tmp_path / f"{name}.json"
    result = subprocess.run(
        [python, str(SURFACE), str(output)],
        capture_output=True,
        text=True,
        env=_clean_env(),
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    dump: dict[str, Any] = json.loads(output.read_text())
    return dump


def surface_differences(official: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    """What of the official surface ours lacks or has otherwise; extensions are fine, as long
    as an extra parameter has a default (else every official-style call would break)."""
    problems: list[str] = []
    for cls, theirs in official.items():
        mine = ours.get(cls)
        if mine is None:
            problems.append(f"{cls}: class missing")
            continue
        for name, method in theirs["methods"].items():
            where = f"{cls}.{name}"
            own = mine["methods"].get(name)
            if own is None:
                problems.append(f"{where}: method missing")
                continue
            if own["async"] != method["async"]:
                problems.append(f"{where}: async is {own['async']}, official {method['async']}")
            own_parameters = {parameter["name"]: parameter for parameter in own["parameters"]}
            official_names = {parameter["name"] for parameter in method["parameters"]}
            for parameter in method["parameters"]:
                mine_too = own_parameters.get(parameter["name"])
                if mine_too is None:
                    problems.append(f"{where}({parameter['name']}): parameter missing")
                    continue
                for key in ("position", "kind", "required", "default"):
                    if mine_too[key] != parameter[key]:
                        problems.append(
                            f"{where}({parameter['name']}): {key} {mine_too[key]!r},"
                            f" official {parameter[key]!r}"
                        )
            for parameter in own["parameters"]:
                if parameter["name"] not in official_names and parameter["required"]:
                    problems.append(f"{where}({parameter['name']}): extra required parameter")
        for name in theirs["properties"]:
            if name not in mine["properties"] and name not in mine["attributes"]:
                problems.append(f"{cls}.{name}: property missing")
        for name, value in theirs["attributes"].items():
            if name not in mine["attributes"]:
                problems.append(f"{cls}.{name}: attribute missing")
            elif mine["attributes"][name] != value:
                problems.append(
                    f"{cls}.{name}: default {mine['attributes'][name]!r}, official {value!r}"
                )
    return problems


@needs_official
@pytest.mark.timeout(240)
def test_our_surface_covers_the_official_one(tmp_path: Path) -> None:
    assert OFFICIAL_PYTHON is not None
    official = _surface(OFFICIAL_PYTHON, tmp_path, "official")
    ours = _surface(sys.executable, tmp_path, "ours")
    assert "/src/agentbay/" not in official["module"] and official["module"] != ours["module"]
    assert set(official["classes"]) == set(ours["classes"])  # both dumps are complete
    problems = surface_differences(official["classes"], ours["classes"])
    assert not problems, "our API differs from wuying-agentbay-sdk 0.22.3:\n" + "\n".join(problems)


REQUIRED = object()


def _method(*parameters: tuple[str, Any]) -> dict[str, Any]:
    return {
        "async": False,
        "parameters": [
            {
                "name": name,
                "kind": "POSITIONAL_OR_KEYWORD",
                "position": position,
                "required": default is REQUIRED,
                "default": None if default is REQUIRED else default,
            }
            for position, (name, default) in enumerate(parameters)
        ],
    }


def test_surface_differences_flags_what_is_missing_or_moved() -> None:
    official = {
        "Service": {
            "methods": {
                "list_files": _method(("self", REQUIRED), ("page", 1), ("token", None)),
                "gone": _method(("self", REQUIRED)),
            },
            "properties": ["region"],
            "attributes": {"agent_bay": 1, "count": None},
        },
        "Missing": {"methods": {}, "properties": [], "attributes": {}},
    }
    ours = {
        "Service": {
            "methods": {
                "list_files": _method(("self", REQUIRED), ("token", None), ("page", 2)),
                "extra": _method(("self", REQUIRED), ("anything", REQUIRED)),
            },
            "properties": [],
            "attributes": {"agent_bay": 1, "count": 0, "more": 3},
        },
    }
    assert surface_differences(official, ours) == [
        "Service.list_files(page): position 2, official 1",
        "Service.list_files(page): default 2, official 1",
        "Service.list_files(token): position 1, official 2",
        "Service.gone: method missing",
        "Service.region: property missing",
        "Service.count: default 0, official None",
        "Missing: class missing",
    ]
    ours["Service"]["methods"]["list_files"] = _method(
        ("self", REQUIRED), ("page", 1), ("token", None), ("new", REQUIRED)
    )
    assert "Service.list_files(new): extra required parameter" in surface_differences(
        official, ours
    )


TLS_DRIVER = """
import asyncio, json, sys
import httpx
from agentbay import AgentBay, AsyncAgentBay

bay = AgentBay(api_key="official-tls")
created = bay.context.get("secure", create=True)
report = {"create": created.success, "error": created.error_message}
if created.success:
    cid = created.context_id
    upload = bay.context.get_file_upload_url(cid, "/a/b.txt")
    report["upload_url"] = upload.url.split("?")[0]
    httpx.put(upload.url, content=b"official over tls").raise_for_status()
    report["files"] = [entry.file_path for entry in bay.context.list_files(cid, "/a").entries]
    download = bay.context.get_file_download_url(cid, "/a/b.txt")
    report["download"] = httpx.get(download.url).content.decode()

    async def listed() -> bool:
        result = await AsyncAgentBay(api_key="official-tls").context.list()
        return result.success and cid in [item.id for item in result.contexts]

    report["async_list"] = asyncio.run(listed())
print(json.dumps(report))
"""


def _official_over_tls(endpoint: str, tmp_path: Path, **env: str) -> dict[str, Any]:
    assert OFFICIAL_PYTHON is not None
    result = subprocess.run(
        [OFFICIAL_PYTHON, "-c", TLS_DRIVER],
        capture_output=True,
        text=True,
        env={
            **{key: value for key, value in _clean_env().items() if key != "SSL_CERT_FILE"},
            "AGENTBAY_ENDPOINT": endpoint,
            **env,
        },
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


@needs_official
@pytest.mark.timeout(120)
def test_official_sdk_over_tls_with_ssl_cert_file(tmp_path: Path) -> None:
    """A bare host endpoint (HTTPS, the official default) and the CA in SSL_CERT_FILE."""
    data = tmp_path / "data"
    with running(data, tls=True) as url:
        host = url.removeprefix("https://")
        refused = _official_over_tls(host, tmp_path)
        trusted = _official_over_tls(host, tmp_path, SSL_CERT_FILE=str(data / "tls" / "ca.pem"))
    assert not refused["create"]
    assert trusted == {
        "create": True,
        "error": "",
        "upload_url": trusted["upload_url"],
        "files": ["/a/b.txt"],
        "download": "official over tls",
        "async_list": True,
    }
    assert trusted["upload_url"].startswith(f"https://{host}/files/ctx-")
