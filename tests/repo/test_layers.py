"""The package's layers only point down, and no module reads another object's underscore
attribute: both read from the source with ``ast`` (docs/architecture.md has the picture).

Each module of ``src/agentbay`` belongs to one layer of :data:`LAYERS`, bottom first; a module
may import its own layer or the layers below it, never one above. Inside a flavour (``_async``,
and the ``_sync`` generated from it) the files are ordered too: each imports only the files
before it in :data:`FLAVOUR_ORDER`. The emulator is left out: it is moving to its own package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "agentbay"

# Bottom first. A module's layer is the entry of the longest name that is it or a package of it.
LAYERS: list[tuple[str, list[str]]] = [
    (
        "leaf pieces",
        [
            "agentbay._version",
            "agentbay._errors",
            "agentbay._config",
            "agentbay._models",
            "agentbay._checks",
            "agentbay._request",
            "agentbay._redact",
            "agentbay._crc64",
        ],
    ),
    ("transports", ["agentbay._transports"]),
    (
        "pure pieces over HTTP",
        ["agentbay._retry", "agentbay._reply", "agentbay._results", "agentbay._local"],
    ),
    ("folder rules", ["agentbay._folders"]),
    ("async flavour", ["agentbay._async"]),
    ("sync flavour", ["agentbay._sync"]),
    ("public face", ["agentbay", "agentbay.__main__", "agentbay.cli", "agentbay._cli_progress"]),
]
# Inside a flavour, bottom first: each file may import only the ones before it.
FLAVOUR_ORDER = [
    "_io",
    "_exchange",
    "_channel",
    "_paging",
    "_file_transfer",
    "_folder_transfer",
    "context",
    "_client",
]
# (importer, imported): an import that points up, allowed for the reason given.
ALLOWED_UPWARD = {
    # The spec types the service's one parameter as the client; only for annotations.
    ("agentbay._async.context", "agentbay._async._client"): "type annotation (TYPE_CHECKING)",
    ("agentbay._sync.context", "agentbay._sync._client"): "type annotation (TYPE_CHECKING)",
    # The two flavours are layers side by side: neither imports the other, and the sync
    # flavour sits above the async one only so that the public face can import both.
}
# (module, the attribute expression): another object's underscore attribute, read on purpose.
ALLOWED_PRIVATE = {
    # aiohttp's own __del__ does this: the synchronous part of close() for a dropped session.
    ("agentbay._transports.aiohttp", "connector._close"),
    ("agentbay.fsspec._storage", "connector._close"),
}
# (module, name): an underscore name imported from another package, on purpose.
ALLOWED_PRIVATE_IMPORTS = {
    # fsspec's own bounded gather, which its filesystems (s3fs, gcsfs) use for batches.
    ("agentbay.fsspec._filesystem", "_run_coros_in_chunks"),
}


def module_name(path: Path) -> str:
    """``agentbay._async.context`` for ``src/agentbay/_async/context.py``."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    """Every module of the package, by name (the emulator is a distribution of its own)."""
    return {module_name(path): path for path in sorted((SRC / PACKAGE).rglob("*.py"))}


def _is_module(name: str) -> bool:
    path = SRC.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _type_checking(node: ast.If) -> bool:
    return ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def imports_of(source: str, module: str, is_package: bool) -> set[str]:
    """The ``agentbay`` modules that ``source`` (the module ``module``) imports, anywhere in
    it (inside functions and ``TYPE_CHECKING`` blocks included)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.add(submodule if _is_module(submodule) else target)
    return {name for name in found if name == PACKAGE or name.startswith(PACKAGE + ".")}


def layer_of(module: str) -> int:
    """The index in :data:`LAYERS` of ``module``'s layer; KeyError when it has none."""
    best, index = "", -1
    for position, (_, names) in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > len(best):
                best, index = name, position
    if index < 0:
        raise KeyError(
            f"{module} belongs to no layer: add it to LAYERS in tests/repo/test_layers.py"
        )
    return index


def _flavour_rank(module: str) -> tuple[str, int] | None:
    """(flavour, rank in :data:`FLAVOUR_ORDER`) of a file of a flavour, else None."""
    parts = module.split(".")
    if len(parts) == 3 and parts[1] in ("_async", "_sync") and parts[2] in FLAVOUR_ORDER:
        return parts[1], FLAVOUR_ORDER.index(parts[2])
    return None


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import of ``graph`` (importer -> imported modules) that points up, as
    ``"importer -> imported"``; allowed ones (:data:`ALLOWED_UPWARD`) left out."""
    found = []
    for importer, imported in sorted(graph.items()):
        for target in sorted(imported):
            if target == importer or (importer, target) in ALLOWED_UPWARD:
                continue
            upward = layer_of(target) > layer_of(importer)
            side_by_side = {importer.split(".")[:2][-1], target.split(".")[:2][-1]} == {
                "_async",
                "_sync",
            }
            mine, theirs = _flavour_rank(importer), _flavour_rank(target)
            out_of_order = (
                mine is not None
                and theirs is not None
                and mine[0] == theirs[0]
                and theirs[1] > mine[1]
            )
            if upward or side_by_side or out_of_order:
                found.append(f"{importer} -> {target}")
    return found


def import_graph() -> dict[str, set[str]]:
    """importer -> the package's modules it imports, for every module of the package."""
    return {
        name: imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
        for name, path in modules().items()
    }


def private_reads(source: str, module: str) -> list[str]:
    """``X._name`` in ``source`` where ``X`` is not ``self`` or ``cls``, and ``from M import
    _name`` where ``_name`` is not a module: another object's underscore attribute."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            name = node.attr
            owner = node.value
            if not name.startswith("_") or name.startswith("__"):
                continue
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            text = ast.unparse(node)
            if (module, text) not in ALLOWED_PRIVATE:
                found.append(f"{module}:{node.lineno}: {text}")
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                allowed = (module, alias.name) in ALLOWED_PRIVATE_IMPORTS
                if private and not allowed and not _imports_a_module(node, module, alias.name):
                    found.append(f"{module}:{node.lineno}: import of {alias.name}")
    return found


def _imports_a_module(node: ast.ImportFrom, module: str, name: str) -> bool:
    """Whether ``from ... import name`` in ``module`` names a module of the package."""
    if not node.level:
        return _is_module(f"{node.module}.{name}")
    package = module.split(".")
    is_package = (SRC.joinpath(*package) / "__init__.py").exists()
    base = package if is_package else package[:-1]
    base = base[: len(base) - (node.level - 1)]
    return _is_module(".".join(base + ([node.module] if node.module else []) + [name]))


def test_every_module_has_a_layer() -> None:
    for name in modules():
        layer_of(name)
        if name.startswith(("agentbay._async.", "agentbay._sync.")):
            assert _flavour_rank(name) is not None, f"{name}: add it to FLAVOUR_ORDER"


def test_imports_only_point_down() -> None:
    assert upward_imports(import_graph()) == []


def test_the_transports_import_nothing_above_them() -> None:
    graph = import_graph()
    transports = {name: graph[name] for name in graph if name.startswith("agentbay._transports")}
    assert transports
    for importer, imported in transports.items():
        for target in imported:
            assert layer_of(target) <= layer_of("agentbay._transports"), (importer, target)


def test_no_module_reads_another_objects_underscore_attribute() -> None:
    found = []
    for name, path in modules().items():
        found += private_reads(path.read_text(encoding="utf-8"), name)
    assert found == []


# The checks bite: an upward import or a private read, added by hand, is caught.


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("agentbay._transports.http", "from .._async import _channel"),
        ("agentbay._transports.http", "from agentbay.cli import main"),
        ("agentbay._transports._async.base", "from ...emulator import running"),
        ("agentbay._async._channel", "from .context import AsyncContextService"),
        ("agentbay._async._io", "from .._sync import _io"),
        ("agentbay._results", "from ._async._client import AsyncAgentBay"),
        ("agentbay._errors", "from ._transports.errors import Kind"),
    ],
)
def test_an_upward_import_added_by_hand_is_caught(module: str, line: str) -> None:
    path = modules()[module]
    source = path.read_text(encoding="utf-8") + "\n" + line + "\n"
    graph = import_graph()
    graph[module] = imports_of(source, module, path.name == "__init__.py")
    assert upward_imports(graph) != []


def test_an_import_inside_a_function_is_seen() -> None:
    source = "def late():\n    from ..cli import main\n"
    assert imports_of(source, "agentbay._transports.http", False) == {"agentbay.cli"}


def test_a_private_read_added_by_hand_is_caught() -> None:
    assert private_reads("def f(service):\n    return service._channel\n", "agentbay.x") == [
        "agentbay.x:2: service._channel"
    ]
    assert private_reads("from ._exchange import _read_upto\n", "agentbay._async._channel") == [
        "agentbay._async._channel:1: import of _read_upto"
    ]
    clean = "from . import _exchange\nself._x = _exchange.fetch\n"
    assert private_reads(clean, "agentbay._async._channel") == []
