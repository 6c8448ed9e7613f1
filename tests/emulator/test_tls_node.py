"""Node trusts the emulator's ``--tls`` CA through ``NODE_EXTRA_CA_CERTS`` alone, as
docs/emulator.md says (the official TypeScript SDK's ``fetch`` and ``https`` go through it)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from agentbay_emulator import running

NODE = shutil.which("node")

FETCH = """
fetch(process.argv[1] + "/_emulator/health")
  .then((answer) => answer.json())
  .then((body) => console.log("ok " + body.status))
  .catch((error) => console.log("failed " + (error.cause ? error.cause.code : error)));
"""


@pytest.mark.skipif(NODE is None, reason="needs node")
@pytest.mark.timeout(60)
def test_node_trusts_the_ca_in_node_extra_ca_certs(tmp_path: Path) -> None:
    assert NODE is not None
    environ = {key: value for key, value in os.environ.items() if "CA_CERT" not in key}
    with running(tmp_path, tls=True) as url:
        outcomes = [
            subprocess.run(
                [NODE, "-e", FETCH, endpoint],
                capture_output=True,
                text=True,
                env={**environ, **extra},
                timeout=30,
            ).stdout.strip()
            for endpoint, extra in [
                (url, {}),
                (url, {"NODE_EXTRA_CA_CERTS": str(tmp_path / "tls" / "ca.pem")}),
                (
                    url.replace("127.0.0.1", "localhost"),
                    {"NODE_EXTRA_CA_CERTS": str(tmp_path / "tls" / "ca.pem")},
                ),
            ]
        ]
    assert outcomes[0].startswith("failed"), outcomes
    assert outcomes[1:] == ["ok ok", "ok ok"]
