"""List the built sdists and wheels of both distributions and fail on anything missing, stray or
wrong for PyPI.

    python -m build --outdir dist/ && python -m build --outdir dist/emulator emulator/
    python scripts/check_dist.py dist/ dist/emulator/

Each folder holds one sdist and one wheel: the SDK's (agentbay-contexts) or the emulator's
(agentbay-emulator). Checks: LICENSE and the type marker are shipped; the SDK's wheel holds
only ``agentbay/`` (not the emulator, no pytest plugin, no emulator script) and its
``emulator`` extra requires agentbay-emulator; the emulator's wheel holds only
``agentbay_emulator/``, registers its script and pytest plugin, and neither requires nor
imports anything of ``agentbay``; the sdists hold no CI scripts, virtualenvs, caches or
benchmark output; PyPI's descriptions have only absolute links and the install command for
users, not the README's contributors' sections.
"""

from __future__ import annotations

import re
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from email import message_from_string
from pathlib import Path


@dataclass(frozen=True)
class Expected:
    """What one distribution's sdist and wheel must (and must not) hold."""

    package: str
    sdist_required: tuple[str, ...]
    wheel_required: tuple[str, ...]
    install: str
    entry_points: frozenset[tuple[str, str]]
    requires: str | None  # a Requires-Dist line the wheel must have


SDK = Expected(
    package="agentbay",
    sdist_required=(
        "LICENSE",
        "README.md",
        "pyproject.toml",
        "src/agentbay/__init__.py",
        "src/agentbay/py.typed",
        "tests/conftest.py",
        "docs/reference/index.md",
        "mkdocs.yml",
        "emulator/pyproject.toml",  # the tests need the emulator: nox installs ./emulator
        "emulator/src/agentbay_emulator/__init__.py",
    ),
    wheel_required=("agentbay/__init__.py", "agentbay/py.typed", "licenses/LICENSE"),
    install="pip install agentbay-contexts",
    entry_points=frozenset({("console_scripts", "agentbay"), ("fsspec.specs", "agentbay")}),
    requires="agentbay-emulator>=0.1.0; extra == 'emulator'",
)
EMULATOR = Expected(
    package="agentbay_emulator",
    sdist_required=(
        "LICENSE",
        "README.md",
        "pyproject.toml",
        "src/agentbay_emulator/__init__.py",
        "src/agentbay_emulator/py.typed",
    ),
    wheel_required=(
        "agentbay_emulator/__init__.py",
        "agentbay_emulator/__main__.py",
        "agentbay_emulator/pytest_plugin.py",
        "agentbay_emulator/py.typed",
        "licenses/LICENSE",
    ),
    install="pip install agentbay-emulator",
    entry_points=frozenset(
        {("console_scripts", "agentbay-emulator"), ("pytest11", "agentbay_emulator.pytest_plugin")}
    ),
    requires=None,
)
SDIST_STRAY = re.compile(
    r"^(\.ci|\.nox|\.venv|venv|site|dist|build|\.git)/|^emulator/(dist|build)/|__pycache__"
    r"|\.pyc$|^benchmarks/(?!\w+\.py$)"
)
RELATIVE_LINK = re.compile(r"\]\((?!https?://|#)([^)]*)\)")
IMPORTS_AGENTBAY = re.compile(r"^\s*(?:from|import)\s+agentbay(?:\.|\s|$)", re.M)


def sdist_problems(path: Path, expected: Expected) -> list[str]:
    with tarfile.open(path) as archive:
        names = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
    print(f"{path.name}: {len(names)} entries\n  " + "\n  ".join(sorted(names)))
    problems = [f"sdist lacks {name}" for name in expected.sdist_required if name not in names]
    return problems + [f"sdist holds {name}" for name in names if SDIST_STRAY.search(name)]


def _entry_points(text: str) -> set[tuple[str, str]]:
    points, group = set(), ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1]
        elif "=" in line:
            points.add((group, line.partition("=")[0].strip()))
    return points


def wheel_problems(path: Path, expected: Expected) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        info = next(name for name in names if name.endswith(".dist-info/METADATA"))
        info_dir = info.rsplit("/", 1)[0]
        metadata = message_from_string(archive.read(info).decode())
        points_file = f"{info_dir}/entry_points.txt"
        points = archive.read(points_file).decode() if points_file in names else ""
        sources = {name: archive.read(name).decode() for name in names if name.endswith(".py")}
    description = metadata.get_payload()
    print(f"{path.name}: {len(names)} entries\n  " + "\n  ".join(sorted(names)))
    problems = [
        f"wheel lacks {wanted}"
        for wanted in expected.wheel_required
        if not any(name == wanted or name.endswith(".dist-info/" + wanted) for name in names)
    ]
    problems += [
        f"wheel holds {name}"
        for name in names
        if (not name.startswith(expected.package + "/") and ".dist-info/" not in name)
        or name.startswith("agentbay/emulator/")  # the emulator's old home, gone for good
    ]
    found = _entry_points(points)
    if found != expected.entry_points:
        problems.append(
            f"wheel's entry points are {sorted(found)}, not {sorted(expected.entry_points)}"
        )
    requires = [line.replace('"', "'") for line in metadata.get_all("Requires-Dist") or []]
    if expected.requires is not None and expected.requires not in requires:
        problems.append(f"wheel does not require {expected.requires!r}: {requires}")
    if expected.package != "agentbay":  # the emulator: nothing of any AgentBay SDK
        problems += [f"wheel requires {line}" for line in requires if line.startswith("agentbay")]
        problems += [
            f"{name} imports agentbay"
            for name, text in sources.items()
            if IMPORTS_AGENTBAY.search(text)
        ]
    assert isinstance(description, str)
    links = RELATIVE_LINK.findall(description)
    problems += [f"PyPI description links to {link!r}" for link in links]
    if expected.install not in description:
        problems.append(f"PyPI description lacks `{expected.install}`")
    problems += [
        f"PyPI description has the README's {heading!r}"
        for heading in ("## The two commands", "## Development")
        if heading in description
    ]
    return problems


def folder_problems(folder: Path) -> list[str]:
    """The problems of the one sdist and the one wheel in ``folder``."""
    sdists, wheels = sorted(folder.glob("*.tar.gz")), sorted(folder.glob("*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        return [f"expected one sdist and one wheel in {folder}, found {sdists + wheels}"]
    expected = EMULATOR if wheels[0].name.startswith("agentbay_emulator-") else SDK
    return sdist_problems(sdists[0], expected) + wheel_problems(wheels[0], expected)


def main() -> int:
    """Check each folder given (the SDK's and the emulator's); return the exit status."""
    folders = [Path(arg) for arg in sys.argv[1:]]
    if not folders:
        print(__doc__)
        return 2
    problems = [problem for folder in folders for problem in folder_problems(folder)]
    for problem in problems:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
