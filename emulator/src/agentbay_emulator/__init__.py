"""A local, persistent emulator of the AgentBay context service (the ``agentbay-emulator``
distribution; it imports nothing of any AgentBay SDK, so it installs beside either).

Run it from the command line (``agentbay-emulator --port 8765 --data-dir ./data`` or
``python -m agentbay_emulator``), in-process with :func:`running`, from pytest with the
``agentbay_emulator`` fixtures (the plugin ``agentbay_emulator.pytest_plugin``, registered on
install), or mount :func:`create_app` in any ASGI server. Importing this package loads neither
Starlette nor uvicorn; should one of them be missing, using :func:`running` or
:func:`create_app` raises a ``ModuleNotFoundError`` that says what to install.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .server import running

__all__ = ["create_app", "missing_extra", "running"]

EXTRA_MODULES = frozenset({"anyio", "cryptography", "starlette", "uvicorn"})
"""The top-level modules of the emulator's dependencies that it imports on first use (each is
also the name to install)."""

_HOMES = {"running": ".server", "create_app": ".app"}


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """One line saying what to install when ``exc`` is about one of EXTRA_MODULES, else None.

    Example::

        missing_extra(ModuleNotFoundError("No module named 'uvicorn'", name="uvicorn"))
        # "agentbay_emulator needs uvicorn: pip install uvicorn"
    """
    module = (exc.name or "").partition(".")[0]
    if module not in EXTRA_MODULES:
        return None
    return f"agentbay_emulator needs {module}: pip install {module}"


def __getattr__(name: str) -> Any:
    """Import :func:`running` and :func:`create_app` on first use."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(_HOMES[name], __name__)
    except ModuleNotFoundError as exc:
        hint = missing_extra(exc)
        if hint is None:
            raise
        raise ModuleNotFoundError(hint, name=exc.name) from None
    return getattr(module, name)
