"""Annotations that read well in ``help()``: a public class's string annotations (postponed by
``from __future__ import annotations`` or quoted) become the objects they name.

A name that cannot be resolved without importing an optional or heavy module (``httpx``, which
``import agentbay`` does not load) stays text, shown without quotes.

Example::

    resolve(AgentBay)  # help(AgentBay) then shows ``cfg: agentbay.Config | None``
"""

import sys
from typing import Any


class Shown(str):
    """An annotation kept as text, shown as written (``httpx.Client | None``, not quoted)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


def _resolved(annotations: dict[str, Any], namespace: dict[str, Any]) -> None:
    for name, value in annotations.items():
        if isinstance(value, str) and not isinstance(value, Shown):
            try:
                annotations[name] = eval(value, namespace)
            except Exception:
                annotations[name] = Shown(value)


def resolve(cls: type) -> None:
    """Resolve the string annotations of ``cls`` and of its own methods and properties."""
    module = vars(sys.modules[cls.__module__]) if cls.__module__ in sys.modules else {}
    _resolved(cls.__dict__.get("__annotations__", {}), module)  # noqa: RUF063 - in place
    for member in list(vars(cls).values()):
        function = member.fget if isinstance(member, property) else member
        function = getattr(function, "__func__", function)  # classmethod, staticmethod
        annotations = getattr(function, "__annotations__", None)
        namespace = getattr(function, "__globals__", None)
        if isinstance(annotations, dict) and isinstance(namespace, dict):
            _resolved(annotations, namespace)
