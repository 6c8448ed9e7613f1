"""CONTRIBUTING.md matches the code as it stands: every path it names exists, every quoted
snippet is in the file its first line names, every name it points at is defined where it says,
and every nox session it lists is in noxfile.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^( *)```(\w+)\n(.*?)^ *```$", re.S | re.M)
PATH = re.compile(r"`((?:src|tests|scripts|docs|\.ci)/[\w./-]*|[\w.-]+\.(?:md|toml|py|yaml))`")


def snippets() -> list[tuple[str, str]]:
    """(file, quoted code) of each Python block whose first line is ``# <file>``."""
    found = []
    for indent, lang, body in FENCE.findall(PAGE):
        lines = [line.removeprefix(indent) for line in body.splitlines()]
        if lang == "python" and lines[0].startswith("# "):
            found.append((lines[0][2:], "\n".join(lines[1:])))
    return found


def test_every_path_named_exists() -> None:
    paths = set(PATH.findall(PAGE))
    assert "src/agentbay/_transports/_async/base.py" in paths
    known = {
        p.name for p in ROOT.glob("[!.]*/**/*") if not {".venv", ".nox", "mutants"} & set(p.parts)
    }
    missing = [p for p in paths if not (ROOT / p).exists() and ("/" in p or p not in known)]
    assert missing == []


@pytest.mark.parametrize(("path", "code"), snippets(), ids=lambda value: str(value)[:40])
def test_every_quoted_snippet_is_in_its_file(path: str, code: str) -> None:
    assert code in (ROOT / path).read_text(encoding="utf-8")


def test_the_worked_example_quotes_each_layer() -> None:
    assert {path for path, _ in snippets()} == {
        "src/agentbay/_models.py",
        "src/agentbay/_results.py",
        "src/agentbay/_async/context.py",
        "emulator/src/agentbay_emulator/actions.py",
        "tests/_async/unit/test_context.py",
    }


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("CASES", "tests/_async/unit/test_arguments.py"),
        ("METHODS", "tests/_async/contract/test_contract.py"),
        ("PARAMETERS", "tests/emulator/test_fuzz.py"),
        ("ACTIONS", "emulator/src/agentbay_emulator/actions.py"),
        ("def test_file_urls", "tests/_async/unit/test_context.py"),
        ("FileUrlResult", "src/agentbay/_models.py"),
        ("_models.__all__", "src/agentbay/__init__.py"),
        ("FileUrlResult", "docs/reference/results.md"),
    ],
)
def test_every_name_pointed_at_is_there(name: str, path: str) -> None:
    assert name.removeprefix("def ") in PAGE
    assert name in (ROOT / path).read_text(encoding="utf-8")


def test_every_nox_session_listed_exists() -> None:
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    listed = set(re.findall(r"`nox -s (\w+)", PAGE))
    assert {"tests", "lint", "typecheck", "codegen", "mutate", "bench"} <= listed
    for session in listed:
        assert f"\ndef {session}(session: nox.Session)" in noxfile, session
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8")
    assert "nox -s codegen lint typecheck tests fsspec interop soak docs build" in ci
    assert "nox -s codegen lint typecheck tests fsspec interop soak docs build" in PAGE
