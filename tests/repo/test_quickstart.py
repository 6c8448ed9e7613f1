"""The README's quickstart runs and prints every step, and touches nothing it did not make."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentbay import AgentBay, Config
from agentbay_emulator import running

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart.py"
KEY = "sk-quickstart-test-key"


def run_quickstart(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AGENTBAY_")}
    return subprocess.run(
        [sys.executable, str(QUICKSTART), *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=120,
    )


def check_every_step(stdout: str) -> None:
    lines = stdout.splitlines()
    assert [line[:2] for line in lines if line[:1].isdigit()] == [f"{i}." for i in range(1, 8)]
    assert "checksum matches" in stdout
    assert "'clearing'" in stdout and "then 'available'; 0 files left" in stdout
    assert "it is gone" in stdout


@pytest.fixture
def someones_emulator() -> Iterator[tuple[str, AgentBay, str]]:
    """An emulator already holding a user's ``quickstart`` context with a precious file."""
    with running(clear_delay=0.1) as url:
        cfg = Config(endpoint=url, timeout_ms=10_000)
        with AgentBay(api_key=KEY, cfg=cfg) as agent_bay:
            context_id = agent_bay.context.create("quickstart").context_id
            assert agent_bay.context.upload_file(context_id, "/precious/thesis.txt", b"years")
            yield url, agent_bay, context_id


def still_intact(agent_bay: AgentBay, context_id: str) -> None:
    contexts = list(agent_bay.context.iter_contexts())
    assert [(c.id, c.name) for c in contexts] == [(context_id, "quickstart")]  # nothing left over
    files = [e.file_path for e in agent_bay.context.iter_files(context_id, "/", recursive=True)]
    assert files == ["/precious/thesis.txt"]


@pytest.mark.timeout(120)
def test_quickstart_runs_every_step() -> None:
    done = run_quickstart()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Started an AgentBay emulator at http://127.0.0.1:")
    check_every_step(done.stdout)
    assert "created context 'quickstart-" in done.stdout


@pytest.mark.timeout(120)
def test_quickstart_ignores_agentbay_endpoint(
    someones_emulator: tuple[str, AgentBay, str],
) -> None:
    url, agent_bay, context_id = someones_emulator
    done = run_quickstart(AGENTBAY_ENDPOINT=url, AGENTBAY_API_KEY=KEY)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Started an AgentBay emulator at")  # its own, not this one
    assert url not in done.stdout
    still_intact(agent_bay, context_id)


@pytest.mark.timeout(120)
def test_quickstart_on_an_explicit_endpoint_leaves_a_quickstart_context_intact(
    someones_emulator: tuple[str, AgentBay, str],
) -> None:
    url, agent_bay, context_id = someones_emulator
    done = run_quickstart("--endpoint", url, AGENTBAY_API_KEY=KEY)
    assert done.returncode == 0, done.stderr
    assert "Started" not in done.stdout
    check_every_step(done.stdout)
    still_intact(agent_bay, context_id)
