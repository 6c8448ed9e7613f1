"""Developer tasks: `nox -s tests`, `lint`, `typecheck`, `codegen`, `interop`, `bench`."""

from __future__ import annotations

import nox

nox.options.sessions = ["codegen", "lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

TEST_DEPS = ["pytest>=8", "anyio>=4", "respx>=0.21", "hypothesis>=6.100"]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole test suite, both flavours, mocked and against a live emulator."""
    session.install("-e", ".[emulator]", *TEST_DEPS)
    session.run("pytest", "-q", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check (the generated _sync code is checked, not formatted)."""
    session.install("ruff==0.17.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    session.install("-e", ".[emulator]", "mypy==2.4.1")
    session.run("mypy", "--strict", "src/agentbay")


@nox.session
def codegen(session: nox.Session) -> None:
    """Fail when src/agentbay/_sync or tests/_sync is not what the async source generates."""
    session.install("unasync==0.6.0", "setuptools>=68")
    session.run("python", "scripts/unasync.py", "--check")
