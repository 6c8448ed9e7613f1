"""The docs are true: every code block of README.md and docs/**/*.md runs against a live emulator.

A page's blocks run in order, as a reader follows them, sharing a working directory (with FILES
in it), an account on the session's emulator (a fresh API key) and, for Python, one namespace.
SUBSTITUTIONS first fill the placeholders. By language:

- ``python``: executed in the page's namespace, which starts with the public names of
  ``agentbay`` and ``running``. A block with a top-level ``await`` runs in an event loop and
  gets ``agent_bay``, a fresh ``AsyncAgentBay``; any other gets a fresh ``AgentBay``; both use
  the emulator and the page's key. ``ctx_id`` names a context of that account unless a block
  set it. A block defining ``test_*`` functions is a test module: pytest runs it in a subprocess
  (pytest-asyncio in auto mode), split into files at ``# <name>.py`` lines. A block marked
  ``# wuying-agentbay-sdk`` runs with the official SDK, in ``test_official_sdk_blocks``.
- ``bash``: each command runs in bash, in the page's directory and environment
  (``AGENTBAY_ENDPOINT`` and ``AGENTBAY_API_KEY`` point at the emulator; ``export`` lines change
  them) and must exit 0.
- ``console``: the same for each ``$`` line. The lines under it are its output: when shown, it
  must match line by line (context ids, timestamps and the width of spaces aside), and a
  command whose output shows ``Error:`` must exit 1.
- ``text`` (output, or what a terminal shows) and ``toml`` (configuration): not run. Any other
  language, or none, fails: label the block.

What must not run here (installs, nox, long-running servers) is listed in NOT_RUN with the
reason; an entry that matches nothing fails too, so the list stays current.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import re
import shlex
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import agentbay
from agentbay import AgentBay, AsyncAgentBay, Config

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    ROOT / "README.md",
    ROOT / "emulator" / "README.md",  # the emulator's page on PyPI
    *sorted((ROOT / "docs").rglob("*.md")),
]
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
OFFICIAL = "# wuying-agentbay-sdk"
OFFICIAL_PYTHON = os.environ.get("AGENTBAY_OFFICIAL_PYTHON")

# (page, a piece of the command or Python block): why it does not run here.
NOT_RUN: dict[tuple[str, str], str] = {
    ("README.md", "python3 -m venv .venv"): "makes a virtualenv in the checkout",
    ("README.md", "python3 -m pip install ./emulator '.[emulator,cli]'"): (
        "installs the checkout; tests/repo/test_quickstart.py runs examples/quickstart.py"
    ),
    ("README.md", "python3 -m nox -s tests"): "nox itself, which runs this test",
    ("README.md", "pip install agentbay-contexts"): "installs from PyPI",
    ("README.md", "pip install 'agentbay-contexts[emulator]'"): "installs from PyPI",
    ("README.md", "pip install 'agentbay-contexts[cli]'"): "installs from PyPI",
    ("README.md", "agentbay-emulator --port 8765"): "a server that runs until stopped",
    ("emulator/README.md", "pip install agentbay-emulator"): "installs from PyPI",
    ("emulator/README.md", "agentbay-emulator --port 8765"): "a server that runs until stopped",
    ("docs/benchmarks.md", "python -m benchmarks.bench"): (
        "minutes of benchmarks; CI runs `nox -s bench -- --quick`"
    ),
    ("docs/benchmarks.md", "nox -s bench"): "nox itself; CI runs it",
    ("docs/benchmarks.md", "python -m venv /tmp/official-venv"): "makes a virtualenv in /tmp",
    ("docs/benchmarks.md", "pip install wuying-agentbay-sdk"): "installs from PyPI",
    ("docs/cli.md", "pip install 'agentbay-contexts[cli]'"): "installs from PyPI",
    ("docs/cli.md", "agentbay emulator --port 8765"): "a server that runs until stopped",
    ("docs/cli.md", "_AGENTBAY_COMPLETE=zsh_source"): "zsh's syntax; the bash line above runs",
    ("docs/cli.md", "_AGENTBAY_COMPLETE=fish_source"): "fish's syntax; the bash line above runs",
    ("docs/emulator.md", "pip install 'agentbay-contexts[emulator]'"): "installs from PyPI",
    ("docs/emulator.md", "pip install agentbay-emulator"): "installs from PyPI",
    ("docs/emulator.md", "pip install wuying-agentbay-sdk"): "installs from PyPI",
    ("docs/emulator.md", "python -m pip install ./emulator"): "installs the checkout",
    ("docs/fsspec.md", "pip install 'agentbay-contexts[fsspec]'"): "installs from PyPI",
    ("README.md", "pip install 'agentbay-contexts[fsspec]'"): "installs from PyPI",
    ("docs/emulator.md", "agentbay-emulator --port 8765"): "a server that runs until stopped",
    ("docs/emulator.md", "/tmp/wuying-agentbay-sdk"): (
        "fetches and builds the official TypeScript SDK; AGENTBAY_OFFICIAL_TS runs its suite"
    ),
}

# Placeholders in the docs, and what they become ({endpoint}: the live emulator's URL).
SUBSTITUTIONS = [
    ("127.0.0.1:8765", "{host_port}"),  # the documented local endpoint
    ("wuyingai.cn-shanghai.aliyuncs.com", "{endpoint}"),  # the cloud
    ('api_key="..."', 'api_key="{key}"'),
    ("AGENTBAY_API_KEY=...", "AGENTBAY_API_KEY={key}"),
]

# The local files the docs upload.
FILES = {
    "q1.pdf": b"%PDF-1.4\n" + b"quarterly report\n" * 64,
    "big.bin": bytes(range(256)) * (8 * 1024 + 1),  # 2 MiB and a bit: three chunks
    "big.iso": b"an image\n" * 128,
    "src/main.py": b"print('hello')\n",
}

# Pages whose blocks need libraries outside the `tests` session: skipped there, run by
# `nox -s fsspec`, which installs them.
NEEDS = {"docs/fsspec.md": ("fsspec", "pandas", "pyarrow", "duckdb", "distributed")}

VOLATILE = re.compile(
    r"ctx-[a-z0-9]{16}|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"
    r"|\d{4}-\d\d-\d\d \d\d:\d\d"  # the CLI's tables: UTC, to the minute
)


@dataclass
class Block:
    """One fenced code block of a page."""

    page: str
    line: int
    lang: str
    text: str

    def __str__(self) -> str:
        return f"{self.page}:{self.line} ({self.lang or 'no language'})"


@dataclass
class Page:
    """What a page's blocks share while they run."""

    name: str
    endpoint: str
    workdir: Path
    env: dict[str, str]
    namespace: dict[str, Any] = field(default_factory=dict)
    listed: set[tuple[str, str]] = field(default_factory=set)

    def fill(self, text: str) -> str:
        """``text`` with the SUBSTITUTIONS applied."""
        values = {
            "endpoint": self.endpoint,
            "host_port": self.endpoint.split("://", 1)[1],
            "key": self.env["AGENTBAY_API_KEY"],
        }
        for old, new in SUBSTITUTIONS:
            text = text.replace(old, new.format(**values))
        return text

    def not_run(self, piece: str) -> bool:
        """Whether ``piece`` (a command or a Python block) is listed in NOT_RUN; note the use."""
        hits = {(page, part) for page, part in NOT_RUN if page == self.name and part in piece}
        self.listed |= hits
        return bool(hits)


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def page_blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    return [
        Block(relative(path), text.count("\n", 0, m.start()) + 1, m.group(1), m.group(2))
        for m in FENCE.finditer(text)
    ]


def commands(block: Block) -> list[tuple[str, list[str]]]:
    """The (command, shown output) pairs of a bash or console block."""
    pairs: list[tuple[str, list[str]]] = []
    for line in block.text.splitlines():
        if pairs and pairs[-1][0].endswith("\\"):
            pairs[-1] = (pairs[-1][0][:-1] + line, [])
        elif block.lang == "bash":
            if line.strip() and not line.lstrip().startswith("#"):
                pairs.append((line, []))
        elif line.startswith("$ "):
            pairs.append((line[2:], []))
        else:
            assert pairs, f"{block}: output before the first `$ ` command"
            pairs[-1][1].append(line)
    return pairs


def shown_matches(shown: list[str], actual: str) -> bool:
    """Whether the output shown in the docs matches the real one, line by line."""
    wanted = [" ".join(line.split()) for line in shown if line.strip()]
    got = [" ".join(line.split()) for line in actual.splitlines() if line.strip()]
    patterns = [
        f"(?:{VOLATILE.pattern})".join(map(re.escape, VOLATILE.split(line))) for line in wanted
    ]
    return len(got) == len(patterns) and all(
        re.fullmatch(pattern, line) for pattern, line in zip(patterns, got, strict=True)
    )


def run_shell(page: Page, block: Block) -> None:
    for command, shown in commands(block):
        if page.not_run(command):
            continue
        words = shlex.split(command, comments=True)
        if words and words[0] == "export":
            page.env.update(word.split("=", 1) for word in words[1:])
            continue
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            cwd=page.workdir,
            env=page.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=60,
        )
        expected = 1 if any(line.startswith("Error:") for line in shown) else 0
        report = f"{block}: `{command}` exited {done.returncode}, printing\n{done.stdout}"
        assert done.returncode == expected, report
        if shown:
            assert shown_matches(shown, done.stdout), report + "instead of\n" + "\n".join(shown)


def defines_tests(source: str) -> bool:
    return any(
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_")
        for node in ast.parse(source).body
    )


def run_test_module(page: Page, block: Block, source: str) -> None:
    """Run a block of ``test_*`` functions under pytest; ``# <name>.py`` lines split files."""
    folder = page.workdir / f"tests-{block.line}"
    folder.mkdir()
    files: dict[str, list[str]] = {"test_docs_block.py": []}
    current = "test_docs_block.py"
    for line in source.splitlines():
        header = re.fullmatch(r"# (\w+\.py)\s*", line)
        if header:
            current = header.group(1)
            files[current] = []
        else:
            files[current].append(line)
    for name, lines in files.items():
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "asyncio_mode=auto"],
        cwd=folder,
        env=page.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    count = len(re.findall(r"^(?:async )?def test_", source, re.M))
    assert done.returncode == 0, f"{block}: pytest failed:\n{done.stdout}{done.stderr}"
    assert re.search(rf"\b{count} passed\b", done.stdout), f"{block}:\n{done.stdout}"
    assert "skipped" not in done.stdout, f"{block}:\n{done.stdout}"


def run_python(page: Page, block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    source = page.fill(block.text)
    if OFFICIAL in source or page.not_run(source):
        return
    if defines_tests(source):
        run_test_module(page, block, source)
        return
    for name in ("AGENTBAY_ENDPOINT", "AGENTBAY_API_KEY"):
        monkeypatch.setenv(name, page.env[name])
    config = Config(endpoint=page.endpoint, timeout_ms=10_000)
    key = page.env["AGENTBAY_API_KEY"]
    namespace = page.namespace
    if "ctx_id" in source and "ctx_id" not in namespace:
        with AgentBay(key, config) as client:
            made = client.context.create("docs-page")
        assert made.success, made.error_message
        namespace["ctx_id"] = made.context_id
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    code = compile(source, f"{block.page}:{block.line}", "exec", flags=flags)
    if code.co_flags & inspect.CO_COROUTINE:

        async def run() -> None:
            async with AsyncAgentBay(key, config) as agent_bay:
                namespace["agent_bay"] = agent_bay
                await eval(code, namespace)

        asyncio.run(run())
    else:
        with AgentBay(key, config) as agent_bay:
            namespace["agent_bay"] = agent_bay
            exec(code, namespace)


def new_page(path: Path, endpoint: str, workdir: Path) -> Page:
    for name, content in FILES.items():
        (workdir / name).parent.mkdir(parents=True, exist_ok=True)
        (workdir / name).write_bytes(content)
    env = {key: value for key, value in os.environ.items() if not key.startswith("AGENTBAY_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["AGENTBAY_ENDPOINT"] = endpoint
    env["AGENTBAY_API_KEY"] = f"docs-{uuid.uuid4().hex}"
    page = Page(relative(path), endpoint, workdir, env)
    from agentbay_emulator import running

    page.namespace.update({name: getattr(agentbay, name) for name in agentbay.__all__})
    page.namespace.update(running=running, __name__="__docs__")
    return page


@pytest.mark.timeout(180)
@pytest.mark.parametrize("path", PAGES, ids=relative)
def test_page_code_blocks_run(
    path: Path, emulator_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in NEEDS.get(relative(path), ()):
        pytest.importorskip(module, reason=f"{relative(path)} needs {module} (nox -s fsspec)")
    page = new_page(path, emulator_url, tmp_path)
    monkeypatch.chdir(tmp_path)
    for block in page_blocks(path):
        if block.lang in ("text", "toml"):
            continue
        assert block.lang in ("python", "bash", "console"), f"{block}: label the block"
        if block.lang == "python":
            run_python(page, block, monkeypatch)
        else:
            run_shell(page, Block(block.page, block.line, block.lang, page.fill(block.text)))


def test_not_run_entries_are_current(tmp_path: Path) -> None:
    """Every NOT_RUN entry names a command or block that exists."""
    used: set[tuple[str, str]] = set()
    for path in PAGES:
        page = new_page(path, "http://127.0.0.1:1", tmp_path)
        for block in page_blocks(path):
            filled = Block(block.page, block.line, block.lang, page.fill(block.text))
            if block.lang in ("bash", "console"):
                for command, _ in commands(filled):
                    page.not_run(command)
            elif block.lang == "python":
                page.not_run(filled.text)
        used |= page.listed
    assert set(NOT_RUN) - used == set()


def test_reference_documents_every_public_name() -> None:
    """docs/reference has a `::: agentbay.NAME` entry for each public name, and no other."""
    text = "\n".join(p.read_text() for p in (ROOT / "docs" / "reference").glob("*.md"))
    documented = re.findall(r"^::: agentbay\.(\w+)$", text, re.M)
    assert sorted(documented) == sorted(set(agentbay.__all__) - {"__version__"})


@pytest.mark.skipif(
    not OFFICIAL_PYTHON, reason="set AGENTBAY_OFFICIAL_PYTHON to a Python with wuying-agentbay-sdk"
)
@pytest.mark.timeout(120)
def test_official_sdk_blocks(emulator_url: str, tmp_path: Path) -> None:
    """The blocks marked `# wuying-agentbay-sdk` run with the official SDK (`nox -s interop`)."""
    assert OFFICIAL_PYTHON is not None
    blocks = [
        block
        for path in PAGES
        for block in page_blocks(path)
        if block.lang == "python" and OFFICIAL in block.text
    ]
    assert blocks
    for block in blocks:
        page = new_page(ROOT / block.page, emulator_url, tmp_path)
        env = {k: v for k, v in page.env.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        script = tmp_path / f"official_{block.line}.py"
        script.write_text(page.fill(block.text), encoding="utf-8")
        done = subprocess.run(
            [OFFICIAL_PYTHON, str(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=100,
        )
        assert done.returncode == 0, f"{block}:\n{done.stdout}{done.stderr[-3000:]}"


def test_help_shows_resolved_annotations_and_no_private_names() -> None:
    """help() of every public class shows annotations as types, never quoted strings, and
    names no private module (``agentbay._x``)."""
    import pydoc

    for name in agentbay.__all__:
        value = getattr(agentbay, name)
        if isinstance(value, type):
            text = pydoc.render_doc(value, renderer=pydoc.plaintext)
            assert not re.findall(r"[:>] '[^']*'", text), (name, text)
            assert not re.findall(r"\bagentbay\._\w+", text), name
    text = pydoc.render_doc(agentbay.AgentBay, renderer=pydoc.plaintext)
    assert "http_client: httpx.Client | None = None" in text
    assert "cfg: agentbay.Config | None = None" in text


def test_operation_result_data_is_typed() -> None:
    import typing

    hints = typing.get_type_hints(agentbay.OperationResult)
    assert hints["data"] == int | bool | None


def test_user_docs_name_no_private_attribute_of_a_client() -> None:
    for page in PAGES:
        text = page.read_text()
        assert "._protocol" not in text and "`_protocol" not in text, page
