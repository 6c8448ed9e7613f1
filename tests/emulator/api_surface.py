"""Dump the public surface of the context API of whichever ``agentbay`` this Python imports.

Both this project and the official ``wuying-agentbay-sdk`` are imported as ``agentbay``, so the
test runs this script once in each interpreter and compares the two dumps::

    python api_surface.py surface.json

For each class: every public method (and ``__init__``) with its parameters (name, kind,
position, default) and whether it is a coroutine function, the public properties, and the
instance attributes of an instance built with defaults (required arguments get placeholders),
with their values; for the clients, the constructor's parameters only. It needs nothing but
the standard library and ``agentbay``.
"""

from __future__ import annotations

import inspect
import json
import sys
import types
from typing import Any

CLASSES = [
    "AsyncContextService",
    "ContextService",
    "Context",
    "ContextResult",
    "ContextListResult",
    "ContextFileEntry",
    "FileUrlResult",
    "ContextFileListResult",
    "ClearContextResult",
    "ContextListParams",
    "OperationResult",
    "Config",
]
# Classes of which only the constructor is compared: the clients (the official one has
# sessions, browsers and more, none of which this project covers).
CONSTRUCTED = ["AgentBay", "AsyncAgentBay"]
PLACEHOLDER = "placeholder"


def jsonable(value: Any) -> Any:
    """The value itself when JSON can carry it, else its type's name."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return {"object of type": type(value).__name__}
    return value


def parameters(function: Any) -> list[dict[str, Any]]:
    """Name, kind, position and default of each parameter (``self`` included)."""
    return [
        {
            "name": parameter.name,
            "kind": parameter.kind.name,
            "position": position,
            "required": parameter.default is parameter.empty,
            "default": None
            if parameter.default is parameter.empty
            else jsonable(parameter.default),
        }
        for position, parameter in enumerate(inspect.signature(function).parameters.values())
    ]


def instance(cls: type) -> Any:
    """An instance built with defaults: placeholders for required arguments (a bare object
    stands in for a service's client, with the channel and region a client hands its services)."""
    client = types.SimpleNamespace(channel=None, region_id=None)
    arguments = {
        parameter.name: client if "Service" in cls.__name__ else PLACEHOLDER
        for parameter in list(inspect.signature(cls.__init__).parameters.values())[1:]
        if parameter.default is parameter.empty
        and parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
    }
    return cls(**arguments)


def attributes(obj: Any) -> dict[str, Any]:
    """Public instance attributes, whether kept in ``__dict__`` or in slots."""
    names = set(getattr(obj, "__dict__", {}))
    for klass in type(obj).__mro__:
        slots = getattr(klass, "__slots__", ())
        names.update([slots] if isinstance(slots, str) else slots)
    return {
        name: jsonable(getattr(obj, name))
        for name in sorted(names)
        if not name.startswith("_") and hasattr(obj, name)
    }


def surface(cls: type) -> dict[str, Any]:
    """The public methods, properties and default instance attributes of a class."""
    methods: dict[str, Any] = {}
    properties: list[str] = []
    for name in dir(cls):
        if name.startswith("_") and name != "__init__":
            continue
        member = inspect.getattr_static(cls, name)
        if isinstance(member, property):
            properties.append(name)
        elif inspect.isfunction(member) or isinstance(member, (staticmethod, classmethod)):
            function = getattr(cls, name)
            methods[name] = {
                "async": inspect.iscoroutinefunction(function),
                "parameters": parameters(function),
            }
    return {
        "methods": methods,
        "properties": properties,
        "attributes": attributes(instance(cls)),
    }


def main() -> int:
    import agentbay

    dump = {name: surface(getattr(agentbay, name)) for name in CLASSES}
    for name in CONSTRUCTED:
        init = {"async": False, "parameters": parameters(getattr(agentbay, name).__init__)}
        dump[name] = {"methods": {"__init__": init}, "properties": [], "attributes": {}}
    with open(sys.argv[1], "w") as file:
        json.dump({"module": agentbay.__file__, "classes": dump}, file, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
