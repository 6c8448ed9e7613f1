"""Interop: the official ``wuying-agentbay-sdk`` works against the emulator.

The official SDK is imported as ``agentbay``, like this project, so it runs in a separate
interpreter: set ``AGENTBAY_OFFICIAL_PYTHON`` to a Python that has ``wuying-agentbay-sdk==0.22.3``
installed and not this project, e.g.::

    python -m venv /tmp/official-venv
    /tmp/official-venv/bin/pip install wuying-agentbay-sdk==0.22.3
    export AGENTBAY_OFFICIAL_PYTHON=/tmp/official-venv/bin/python
    pytest tests/emulator/test_official_sdk.py

Skipped when the variable is unset.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from agentbay.emulator import running

OFFICIAL_PYTHON = os.environ.get("AGENTBAY_OFFICIAL_PYTHON")
DRIVER = Path(__file__).with_name("official_driver.py")

pytestmark = pytest.mark.skipif(
    not OFFICIAL_PYTHON, reason="set AGENTBAY_OFFICIAL_PYTHON to a Python with wuying-agentbay-sdk"
)


@pytest.mark.timeout(300)  # a whole lifecycle, driven in a subprocess
def test_official_sdk_lifecycle(tmp_path: Path) -> None:
    assert OFFICIAL_PYTHON is not None
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AGENTBAY_", "PYTHON", "VIRTUAL_ENV"))
    }
    output = tmp_path / "report.json"
    with running(tmp_path / "data", clear_delay=0.3) as endpoint:
        result = subprocess.run(
            [OFFICIAL_PYTHON, str(DRIVER), endpoint, str(output)],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,  # no .env file of ours for the SDK to find
            timeout=180,
        )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(output.read_text())

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
