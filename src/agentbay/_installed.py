"""Is the ``agentbay`` package of this environment ours alone?

The official SDK (``wuying-agentbay-sdk``) is also imported as ``agentbay``: installed in the same
environment as this one (``agentbay-contexts``), both write into one ``agentbay/`` folder, or one
shadows the other on ``sys.path``, and ``import agentbay`` loads a mix of the two. pip says
nothing (``pip check`` passes), so the ``agentbay`` command says it.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Iterable

DISTRIBUTION = "agentbay-contexts"
"""The name of this project's distribution."""

PACKAGE = "agentbay"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _ships_package(dist: importlib.metadata.Distribution) -> bool:
    """Whether ``dist`` installs files of the ``agentbay`` package (its RECORD, or for older
    installs its ``top_level.txt``). Reads text only: a few milliseconds for a whole venv."""
    record = dist.read_text("RECORD") or ""
    if any(line.startswith(PACKAGE + "/") for line in record.splitlines()):
        return True
    return PACKAGE in (dist.read_text("top_level.txt") or "").split()


def other_owners(path: Iterable[str] | None = None) -> list[str]:
    """The other distributions (``"name version"``) that install an ``agentbay`` package on
    ``path`` (default ``sys.path``), sorted; empty when ours is the only one.

    Example::

        other_owners()  # ['wuying-agentbay-sdk 0.22.3'] beside the official SDK, else []
    """
    found: set[str] = set()
    dists = (
        importlib.metadata.distributions()
        if path is None
        else importlib.metadata.distributions(path=list(path))
    )
    for dist in dists:
        name = dist.metadata["Name"] or ""
        if name and _canonical(name) != DISTRIBUTION and _ships_package(dist):
            found.add(f"{name} {dist.version}")
    return sorted(found)


def shared_package_warning(path: Iterable[str] | None = None) -> str | None:
    """One line saying that another distribution shares the ``agentbay`` package, and what to
    do; None when it is ours alone.

    Example::

        shared_package_warning()  # None in an environment of its own
    """
    owners = other_owners(path)
    if not owners:
        return None
    names = " ".join(owner.split(" ", 1)[0] for owner in owners)
    return (
        f"agentbay: warning: {', '.join(owners)} also installs the agentbay package here, so "
        f"`import agentbay` may load its files instead of {DISTRIBUTION}'s; use one environment "
        f"per agentbay distribution (pip uninstall {names} {DISTRIBUTION}, then install one; "
        "agentbay-emulator installs beside either)"
    )
