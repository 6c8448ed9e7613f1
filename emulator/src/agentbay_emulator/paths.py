"""Normalisation of file paths inside a context.

A context is a tree of its own: every path is taken relative to the context's root, so
``a/b``, ``/a/b``, ``/a//b/`` and ``./a/./b`` name the same file, stored as ``/a/b``. A ``..``
segment is refused rather than resolved: it never names anything inside a context, and a
path that tries to climb out of one is a client bug worth reporting. Paths never become file
names on disk (contents are stored under random names), so even an accepted path cannot
reach outside the data directory.
"""

from __future__ import annotations

MAX_PATH_LENGTH = 1024


class InvalidPathError(ValueError):
    """A path that cannot name anything inside a context."""


def _segments(raw: str) -> list[str]:
    if len(raw) > MAX_PATH_LENGTH:
        raise InvalidPathError(f"the path is longer than {MAX_PATH_LENGTH} characters")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in raw):
        raise InvalidPathError("the path contains a control character")
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise InvalidPathError("the path must not contain '..'")
    return parts


def normalize_file_path(raw: str) -> str:
    """Return the canonical form (``/a/b``) of a file path, or raise InvalidPathError."""
    parts = _segments(raw)
    if not parts:
        raise InvalidPathError("the path names no file")
    return "/" + "/".join(parts)


def normalize_folder_path(raw: str) -> str:
    """Return the canonical form of a folder path: ``/`` for the root, else ``/a/b/``."""
    parts = _segments(raw)
    return "/" + "".join(part + "/" for part in parts)
