"""A local, persistent emulator of the AgentBay context service.

Run it from the command line (``agentbay-emulator --port 8765 --data-dir ./data``), in-process
with :func:`running`, from pytest with the ``agentbay_emulator`` fixture
(``pytest_plugins = ["agentbay.emulator.pytest_plugin"]``), or mount :func:`create_app`
in any ASGI server. Importing this package loads neither Starlette nor uvicorn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .server import running

__all__ = ["create_app", "running"]


def __getattr__(name: str) -> Any:
    """Import :func:`running` and :func:`create_app` on first use."""
    if name == "running":
        from .server import running

        return running
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
