"""The README's quickstart runs and prints every step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart.py"


def test_quickstart_runs_every_step() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTBAY_")}
    done = subprocess.run(
        [sys.executable, str(QUICKSTART)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Started an AgentBay emulator at http://127.0.0.1:")
    assert [line[:2] for line in lines if line[:1].isdigit()] == [f"{i}." for i in range(1, 8)]
    assert "checksum matches" in done.stdout
    assert "'clearing'" in done.stdout and "then 'available'; 0 files left" in done.stdout
    assert "it is gone" in done.stdout
