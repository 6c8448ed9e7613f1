"""No test can hang: a test that never returns fails by the project's default timeout (the
``timeout`` of pytest-timeout in pyproject.toml), in seconds, and the run goes on."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTEST = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "-q"]
PYTEST += ["-p", "no:cacheprovider"]
FOREVER = {
    "sync": "import time\n\ndef test_forever():\n    time.sleep(3600)\n",
    "async": "import asyncio\n\nasync def test_forever():\n    await asyncio.sleep(3600)\n",
}


@pytest.mark.timeout(90)
def test_a_test_that_sleeps_forever_fails_by_the_default_timeout(tmp_path: Path) -> None:
    runs = {}
    started = time.monotonic()
    for flavour, source in FOREVER.items():  # both at once: about 10 s, not 20
        test_file = tmp_path / f"test_{flavour}_forever.py"
        test_file.write_text(source + "\ndef test_next():\n    pass\n", encoding="utf-8")
        runs[flavour] = subprocess.Popen(
            [*PYTEST, "--rootdir", str(tmp_path), str(test_file)],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        outputs = {flavour: run.communicate(timeout=60)[0] for flavour, run in runs.items()}
    finally:
        for run in runs.values():
            run.kill()
    for flavour, output in outputs.items():
        assert runs[flavour].returncode == 1, output
        assert "Timeout (>10.0s)" in output, output
        assert "1 failed, 1 passed" in output, output
    assert time.monotonic() - started < 40  # in seconds, both at once; never an hour
