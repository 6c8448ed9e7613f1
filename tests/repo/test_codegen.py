"""scripts/unasync.py --check passes on the tree, names a hand-edited generated file, and fails
on a rule that matches nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PARTS = [
    "scripts",
    "src/agentbay/_async",
    "src/agentbay/_sync",
    "src/agentbay/_transports/_async",
    "src/agentbay/_transports/_sync",
    "tests/_async",
    "tests/_sync",
]


def check(root: Path) -> subprocess.CompletedProcess[str]:
    script = root / "scripts" / "unasync.py"
    return subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=60
    )


@pytest.mark.timeout(60)
def test_check_catches_a_hand_edit(tmp_path: Path) -> None:
    for part in PARTS:
        shutil.copytree(ROOT / part, tmp_path / part)
    assert check(tmp_path).returncode == 0

    edited = tmp_path / "src/agentbay/_sync/context.py"
    edited.write_text(edited.read_text().replace("return", "return  # tweak", 1))
    done = check(tmp_path)
    assert done.returncode == 1
    assert "src/agentbay/_sync/context.py differs from its source" in done.stderr

    shutil.copy(ROOT / "src/agentbay/_sync/context.py", edited)
    (tmp_path / "tests/_sync/test_extra.py").write_text("x = 1\n")
    done = check(tmp_path)
    assert done.returncode == 1 and "test_extra.py: has no source" in done.stderr


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('    "aclose": "close",\n', '    "aclose": "close",\n    "NoSuchName": "Other",\n'),
        ('(re.compile(r"\\bawait "), ""),', '(re.compile(r"\\bnowhere "), ""),'),
    ],
)
def test_a_rule_that_matches_nothing_fails_the_check(tmp_path: Path, old: str, new: str) -> None:
    for part in PARTS:
        shutil.copytree(ROOT / part, tmp_path / part)
    script = tmp_path / "scripts" / "unasync.py"
    text = script.read_text()
    assert old in text
    script.write_text(text.replace(old, new))
    done = check(tmp_path)
    assert done.returncode == 1
    assert "matches nothing" in done.stderr
    assert ("NoSuchName" in done.stderr) or ("nowhere" in done.stderr)
