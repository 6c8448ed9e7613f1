"""List the built sdist and wheel and fail on anything missing, stray or wrong for PyPI.

    python scripts/check_dist.py dist/   # after python -m build --outdir dist/

Checks: LICENSE, the type marker and the emulator are shipped; the sdist holds no CI scripts,
virtualenvs, caches or benchmark output; the wheel holds only the package and its metadata;
PyPI's description has only absolute links and the install commands for users, not the
README's contributors' sections.
"""

from __future__ import annotations

import re
import sys
import tarfile
import zipfile
from email import message_from_string
from pathlib import Path

SDIST_REQUIRED = [
    "LICENSE",
    "README.md",
    "pyproject.toml",
    "src/agentbay/__init__.py",
    "src/agentbay/py.typed",
    "tests/conftest.py",
    "docs/reference/index.md",
    "mkdocs.yml",
]
SDIST_STRAY = re.compile(
    r"^(\.ci|\.nox|\.venv|venv|site|dist|build|\.git)/|__pycache__|\.pyc$|^benchmarks/(?!\w+\.py$)"
)
WHEEL_REQUIRED = [
    "agentbay/__init__.py",
    "agentbay/py.typed",
    "agentbay/emulator/__init__.py",
    "licenses/LICENSE",
]
RELATIVE_LINK = re.compile(r"\]\((?!https?://|#)([^)]*)\)")


def sdist_problems(path: Path) -> list[str]:
    with tarfile.open(path) as archive:
        names = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
    print(f"{path.name}: {len(names)} entries\n  " + "\n  ".join(sorted(names)))
    problems = [f"sdist lacks {name}" for name in SDIST_REQUIRED if name not in names]
    return problems + [f"sdist holds {name}" for name in names if SDIST_STRAY.search(name)]


def wheel_problems(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        metadata = next(name for name in names if name.endswith(".dist-info/METADATA"))
        description = message_from_string(archive.read(metadata).decode()).get_payload()
    print(f"{path.name}: {len(names)} entries\n  " + "\n  ".join(sorted(names)))
    problems = [
        f"wheel lacks {wanted}"
        for wanted in WHEEL_REQUIRED
        if not any(name == wanted or name.endswith(".dist-info/" + wanted) for name in names)
    ]
    problems += [
        f"wheel holds {name}"
        for name in names
        if not name.startswith("agentbay/") and ".dist-info/" not in name
    ]
    assert isinstance(description, str)
    links = RELATIVE_LINK.findall(description)
    problems += [f"PyPI description links to {link!r}" for link in links]
    if "pip install agentbay-contexts" not in description:
        problems.append("PyPI description lacks `pip install agentbay-contexts`")
    problems += [
        f"PyPI description has the README's {heading!r}"
        for heading in ("## The two commands", "## Development")
        if heading in description
    ]
    return problems


def main() -> int:
    """Check the one sdist and the one wheel in the folder given; return the exit status."""
    folder = Path(sys.argv[1])
    sdists, wheels = sorted(folder.glob("*.tar.gz")), sorted(folder.glob("*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        print(f"expected one sdist and one wheel in {folder}, found {sdists + wheels}")
        return 1
    problems = sdist_problems(sdists[0]) + wheel_problems(wheels[0])
    for problem in problems:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
