"""The emulator is a distribution of its own: agentbay-emulator, importable as agentbay_emulator,
needing nothing of any AgentBay SDK (so it installs beside the official one too)."""

from __future__ import annotations

import importlib.metadata
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import agentbay_emulator

PACKAGE = Path(agentbay_emulator.__file__).parent
ROOT = Path(__file__).resolve().parents[2]


def test_no_module_of_the_emulator_imports_agentbay() -> None:
    names = [f"agentbay_emulator.{m.name}" for m in pkgutil.iter_modules([str(PACKAGE)])]
    assert {"agentbay_emulator.app", "agentbay_emulator.pytest_plugin"} <= set(names)
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'agentbay' or m.startswith('agentbay.')))\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_emulator_distribution_holds_the_script_and_the_plugin() -> None:
    emulator = importlib.metadata.distribution("agentbay-emulator")
    points = {(point.group, point.name): point.value for point in emulator.entry_points}
    assert points[("console_scripts", "agentbay-emulator")] == "agentbay_emulator.__main__:main"
    assert (
        points[("pytest11", "agentbay_emulator.pytest_plugin")] == "agentbay_emulator.pytest_plugin"
    )
    assert not any(name.startswith("agentbay") for name in emulator.requires or [])


def test_the_sdk_distribution_registers_no_plugin_and_no_emulator_script() -> None:
    sdk = importlib.metadata.distribution("agentbay-contexts")
    groups = {(point.group, point.name) for point in sdk.entry_points}
    assert groups == {("console_scripts", "agentbay"), ("fsspec.specs", "agentbay")}
    assert "agentbay-emulator>=0.1.0; extra == 'emulator'" in (sdk.requires or [])
    assert not (ROOT / "src" / "agentbay" / "emulator").exists()


def test_python_m_agentbay_emulator() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "agentbay_emulator", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.startswith("usage: agentbay-emulator")
