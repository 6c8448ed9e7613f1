"""A local, persistent emulator of the AgentBay context service.

Run it from the command line (``agentbay-emulator --port 8765 --data-dir ./data``), in-process
with :func:`running`, from pytest with the ``agentbay_emulator`` fixtures (the plugin
``agentbay.emulator.pytest_plugin``, registered on install), or mount :func:`create_app`
in any ASGI server. Importing this package loads neither Starlette nor uvicorn; without the
``emulator`` extra, using :func:`running` or :func:`create_app` raises a
``ModuleNotFoundError`` that says what to install.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .server import running

__all__ = ["create_app", "missing_extra", "running"]

EXTRA_MODULES = frozenset({"anyio", "cryptography", "starlette", "uvicorn"})
"""The top-level modules the ``emulator`` extra installs."""

_HOMES = {"running": ".server", "create_app": ".app"}


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """One line saying what to install when ``exc`` is about a module of the extra, else None.

    Example::

        missing_extra(ModuleNotFoundError("No module named 'uvicorn'", name="uvicorn"))
        # "agentbay.emulator needs uvicorn: pip install 'agentbay-contexts[emulator]'"
    """
    module = (exc.name or "").partition(".")[0]
    if module not in EXTRA_MODULES:
        return None
    return f"agentbay.emulator needs {module}: pip install 'agentbay-contexts[emulator]'"


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
