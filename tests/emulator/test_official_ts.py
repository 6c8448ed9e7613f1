"""Interop: the official TypeScript SDK's context suite, unmodified, against ``--tls``.

The emulator runs as a user starts it (``python -m agentbay_emulator --tls --port 0``), and the
suite is the TypeScript SDK's own (``npm test`` of its ``typescript/`` folder, with jest's
``--runInBand`` and ``--json``). Only the environment changes: the endpoint is a bare
``host:port``, which the SDK reaches over HTTPS (its default, kept), the emulator's CA is
trusted through ``NODE_EXTRA_CA_CERTS`` alone, and the API key is a fresh one (an account of its
own). ``CI`` is unset: two of the files return early when it is set.

Skipped unless ``AGENTBAY_OFFICIAL_TS`` names the ``typescript/`` folder of a built checkout of
https://github.com/aliyun/wuying-agentbay-sdk (``npm ci`` and ``npm run build`` done there);
docs/emulator.md, "The official TypeScript SDK against it", says how to make one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

OFFICIAL_TS = os.environ.get("AGENTBAY_OFFICIAL_TS")

SUITE = [
    "tests/integration/context.test.ts",
    "tests/integration/context-clear.integration.test.ts",
    "tests/integration/context-file-urls-integration.test.ts",
    "tests/integration/context-pagination-integration.test.ts",
]
"""The SDK's context tests that need contexts only. Its other context tests create sessions
(``CreateMcpSession``), which the emulator does not serve."""


def _node_environment(endpoint: str, ca: str) -> dict[str, str]:
    """This environment without anything that points the SDK elsewhere or trusts another CA."""
    dropped = ("AGENTBAY_", "NODE_EXTRA_CA_CERTS", "NODE_TLS_", "SSL_CERT_", "NODE_OPTIONS")
    environ = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    environ.pop("CI", None)
    return {
        **environ,
        "AGENTBAY_ENDPOINT": endpoint,
        "AGENTBAY_API_KEY": f"ts-{uuid.uuid4().hex}",
        "NODE_EXTRA_CA_CERTS": ca,
    }


@pytest.mark.skipif(
    not OFFICIAL_TS, reason="set AGENTBAY_OFFICIAL_TS to a built checkout's typescript/ folder"
)
@pytest.mark.timeout(900)  # ts-jest compiles the SDK, then about 20 s of tests
def test_official_typescript_context_suite(tmp_path: Path) -> None:
    assert OFFICIAL_TS is not None
    checkout = Path(OFFICIAL_TS).resolve()
    npm = shutil.which("npm")
    assert npm is not None, "npm is not on PATH"
    assert (checkout / "node_modules" / ".bin" / "jest").exists(), f"run `npm ci` in {checkout}"
    assert (checkout / "dist").is_dir(), f"run `npm run build` in {checkout}"
    version = json.loads((checkout / "package.json").read_text())["version"]

    log = tmp_path / "emulator.log"
    command = [sys.executable, "-m", "agentbay_emulator", "--tls", "--port", "0"]
    command += ["--data-dir", str(tmp_path / "data")]
    with log.open("w") as log_file:
        emulator = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log_file, text=True)
    try:
        assert emulator.stdout is not None
        listening, trust = emulator.stdout.readline(), emulator.stdout.readline()
        assert "listening on https://" in listening, (listening, log.read_text())
        host = listening.split("listening on https://")[1].split()[0]  # 127.0.0.1:PORT
        ca = trust.removeprefix("TLS: trust the CA certificate ").strip()
        assert ca == str(tmp_path / "data" / "tls" / "ca.pem")
        report = tmp_path / "jest.json"
        done = subprocess.run(
            [npm, "test", "--", "--runInBand", "--json", f"--outputFile={report}", *SUITE],
            cwd=checkout,
            env=_node_environment(host, ca),
            capture_output=True,
            text=True,
            timeout=840,
        )
    finally:
        emulator.terminate()
        status = emulator.wait(timeout=30)
        if emulator.stdout is not None:
            emulator.stdout.close()

    assert status == 0, log.read_text()
    output = f"wuying-agentbay-sdk {version}\n{done.stdout[-4000:]}\n{done.stderr[-6000:]}"
    assert done.returncode == 0, output
    results: dict[str, Any] = json.loads(report.read_text())
    ran = sorted(
        Path(suite["name"]).relative_to(checkout).as_posix() for suite in results["testResults"]
    )
    assert ran == sorted(SUITE)
    assert results["numFailedTests"] == results["numPendingTests"] == 0, output
    assert results["numPassedTests"] == results["numTotalTests"] > 0, output
    # Several of its tests catch their own failures, and two files return early under CI: the
    # emulator's log shows that the calls and the transfers did happen, over HTTPS.
    served = log.read_text()
    for line in [
        "POST / ListContexts 200 ",
        "POST / ModifyContext 200 ",
        "POST / ClearContext 200 ",
        "POST / GetContextFileUploadUrl 200 ",
        "POST / DescribeContextFiles 200 ",
        "POST / DeleteContextFile 200 ",
        "PUT /files/ctx-[a-z0-9]+ 200 ",  # the upload
        "GET /files/ctx-[a-z0-9]+ 200 ",  # the download
        "GET /files/ctx-[a-z0-9]+ 404 ",  # the download after the delete
    ]:
        assert re.search(line, served), f"{line!r} not in the emulator's log:\n{served}"
    assert "Traceback" not in served and " 500 " not in served, served
