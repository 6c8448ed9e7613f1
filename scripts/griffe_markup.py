"""A griffe extension for the API reference (mkdocs.yml): the docstrings' reST markup as Markdown.

The SDK's docstrings use two bits of reST that Markdown does not know:

- roles, ``:class:`AgentBayError``` or ``:meth:`clear_async```, become links to that object's
  entry in the reference (a bare method name is looked up in the enclosing class);
- ``Example::`` with an indented block becomes ``Example:`` and a fenced Python block.

Example (mkdocs.yml)::

    extensions:
      - scripts/griffe_markup.py
"""

from __future__ import annotations

import re
from typing import Any

import griffe

import agentbay

ROLE = re.compile(r":(?:class|meth|func|attr|exc|obj):`~?([\w.]+)`")
PUBLIC = frozenset(agentbay.__all__)


def public_path(target: str, obj: griffe.Object) -> str | None:
    """The reference's identifier of ``target`` as named in a docstring of ``obj``, or None."""
    if target.split(".")[0] in PUBLIC:
        return f"agentbay.{target}"
    owner = obj if obj.is_class else obj.parent
    if owner is not None and owner.is_class and owner.name in PUBLIC:
        return f"agentbay.{owner.name}.{target}"
    return None


def link_roles(text: str, obj: griffe.Object) -> str:
    """Replace each reST role by a Markdown cross-reference (plain code when unknown)."""

    def link(match: re.Match[str]) -> str:
        target = match.group(1)
        path = public_path(target, obj)
        return f"[`{target}`][{path}]" if path else f"`{target}`"

    return ROLE.sub(link, text)


def fence_literal_blocks(text: str) -> str:
    """Turn ``Para::`` followed by an indented block into ``Para:`` and a fenced Python block."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.rstrip().endswith("::") and i + 1 < len(lines) and not lines[i + 1].strip():
            block_end = i + 2
            while block_end < len(lines) and (
                not lines[block_end].strip() or lines[block_end].startswith("    ")
            ):
                block_end += 1
            block = [raw[4:] for raw in lines[i + 2 : block_end]]
            while block and not block[-1].strip():
                block.pop()
            if block:
                out += [line.rstrip()[:-1], "", "```python", *block, "```", ""]
                i = block_end
                continue
        out.append(line)
        i += 1
    return "\n".join(out).rstrip()


class RestMarkup(griffe.Extension):
    """Rewrite each docstring as it is loaded, before anything parses it."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Convert the docstring of ``obj`` (every module, class, function and attribute)."""
        if obj.docstring is not None:
            obj.docstring.value = fence_literal_blocks(link_roles(obj.docstring.value, obj))
