"""Developer tasks: `nox -s tests`, `lint`, `typecheck`, `codegen`, `interop`, `fsspec`, `bench`,
`soak`, `docs`, `build`, `mutate`."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import nox

nox.options.sessions = ["codegen", "lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

EMULATOR = ["-e", "./emulator"]
"""The emulator, a distribution of its own in ./emulator: installed (editable) before the SDK's
``[emulator]`` extra, which requires ``agentbay-emulator``, so that pip takes it from here."""

TEST_DEPS = [
    "pytest>=8",
    "anyio>=4",
    "pytest-asyncio>=0.24",
    "pytest-timeout>=2.3",
    "respx>=0.21",
    "hypothesis>=6.100",
    "trustme>=1.1",
    "unasync==0.6.0",
    "setuptools>=68",
]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole test suite, both flavours, mocked and against a live emulator."""
    session.install(*EMULATOR, "-e", ".[emulator,cli]", *TEST_DEPS)
    session.run("pytest", "-q", *session.posargs)


FSSPEC_DEPS = ["pandas>=2.2", "pyarrow>=17", "duckdb>=1.1", "dask[distributed]>=2024.12"]


@nox.session
def fsspec(session: nox.Session) -> None:
    """agentbay:// for the data stack: fsspec's abstract suite, the filesystem's own tests, pandas,
    pyarrow, DuckDB and dask (two worker processes) round trips, and the docs page's examples,
    all against the emulator. The `tests` session has no fsspec and collects none of this."""
    session.install(*EMULATOR, "-e", ".[emulator,fsspec]", *TEST_DEPS, *FSSPEC_DEPS)
    session.run("pytest", "-q", "tests/fsspec", *session.posargs)
    session.run("pytest", "-q", "tests/repo/test_docs.py", "-k", "fsspec.md")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check (the generated _sync code is checked, not formatted)."""
    session.install("ruff==0.17.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on both packages, the SDK and the emulator."""
    session.install(
        *EMULATOR, "-e", ".[emulator,cli,fsspec]", "mypy==2.4.1", "pytest>=8", "async-timeout>=4"
    )
    session.run("mypy", "--strict", "src/agentbay", "emulator/src/agentbay_emulator")


@nox.session
def codegen(session: nox.Session) -> None:
    """Fail when src/agentbay/_sync or tests/_sync is not what the async source generates."""
    session.install("unasync==0.6.0", "setuptools>=68")
    session.run("python", "scripts/unasync.py", "--check")


def official_sdk_python(session: nox.Session) -> str:
    """A Python with the official wuying-agentbay-sdk and the emulator, in a virtualenv of its
    own (its import name is also ``agentbay``, so it can only run in a subprocess; the emulator
    installs beside it, as a user of the official SDK would install it)."""
    official = Path(session.create_tmp()).resolve() / "official-sdk"
    python = official / "bin" / "python"
    if not python.exists():
        session.run("python", "-m", "venv", str(official))
    session.run(
        str(python),
        "-m",
        "pip",
        "install",
        "-q",
        "wuying-agentbay-sdk==0.22.3",
        *EMULATOR,
        external=True,
    )
    return str(python)


@nox.session
def interop(session: nox.Session) -> None:
    """Drive the official wuying-agentbay-sdk through a context's life (token paging included)
    against the emulator, and compare its public context API with ours."""
    session.install(*EMULATOR, "-e", ".[emulator]", *TEST_DEPS)
    session.run(
        "pytest",
        "-q",
        "-rs",
        "tests/emulator/test_official_sdk.py",
        "tests/repo/test_docs.py::test_official_sdk_blocks",
        env={"AGENTBAY_OFFICIAL_PYTHON": official_sdk_python(session)},
    )


@nox.session
def soak(session: nox.Session) -> None:
    """5,000 operations under 10 % injected faults; asserts nothing acknowledged was lost."""
    session.install(*EMULATOR, "-e", ".[emulator]", *TEST_DEPS)
    session.run("pytest", "-q", "soak", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmark table, the official SDK's rows included (`nox -s bench -- --quick` for the
    CI smoke run, which asserts nothing about time)."""
    session.install(
        *EMULATOR,
        "-e",
        ".[emulator,fsspec]",
        "uvloop>=0.19",
        "httpx2>=2.16",
        "pandas>=2.2",
        "pyarrow>=17",
    )
    session.run(
        "python",
        "-m",
        "benchmarks.bench",
        *session.posargs,
        env={"AGENTBAY_OFFICIAL_PYTHON": official_sdk_python(session)},
    )


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site, guides and API reference, into site/; --strict fails on a broken reference
    or link."""
    session.install(*EMULATOR, "-e", ".[docs]", "ruff==0.17.6")  # ruff formats the signatures
    session.run(
        "mkdocs", "build", "--strict", "--site-dir", "site", env={"NO_MKDOCS_2_WARNING": "1"}
    )


@nox.session
def build(session: nox.Session) -> None:
    """Build both distributions, the SDK (into dist/) and the emulator (into dist/emulator/), as
    sdists and wheels; check them with twine and list what they hold."""
    session.install("build>=1.2", "twine>=6.1")
    shutil.rmtree("dist", ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", "dist")
    session.run("python", "-m", "build", "--outdir", "dist/emulator", "emulator")
    built = sorted(str(p) for p in Path("dist").rglob("*") if p.suffix in {".whl", ".gz"})
    session.run("twine", "check", "--strict", *built)
    session.run("python", "scripts/check_dist.py", "dist", "dist/emulator")


@nox.session
def mutate(session: nox.Session) -> None:
    """Mutation testing with mutmut over the SDK's modules ([tool.mutmut] in pyproject.toml);
    rewrites the score and the surviving mutants in docs/testing.md and fails on a survivor
    not listed in scripts/mutation_equivalents.toml. From scratch by default; `-- --keep` runs
    only the mutants of functions changed since the last run, and `-- NAME...` re-runs the
    named mutants (globs: `"agentbay._retry.*"`), both on the last run's results."""
    session.install(
        *EMULATOR,
        "-e",
        ".[emulator,cli]",
        *TEST_DEPS,
        "mutmut==3.8.1",
        "tomli; python_version<'3.11'",
    )
    names = [arg for arg in session.posargs if arg != "--keep"]
    if not session.posargs:
        shutil.rmtree("mutants", ignore_errors=True)
    started = time.monotonic()
    session.run("mutmut", "run", "--max-children", "4", *names)
    session.log(f"mutmut ran for {(time.monotonic() - started) / 60:.1f} min")
    session.run("python", "scripts/mutation_report.py")
