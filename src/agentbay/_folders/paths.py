"""Paths of a folder transfer: remote paths joined and split, and local paths a download may
write (never outside its folder, whatever the service lists).

Example: ``safe_local_path("out", relative_remote("/data", "/data/a/b.txt"))`` is
``"out/a/b.txt"``; ``relative_remote("/data", "/data/../etc/passwd")`` raises.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import unicodedata

from .._errors import AgentBayError

MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 4096
_WINDOWS_FORBIDDEN = set('<>:"|?*')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in "123456789"
}
_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafePathError(AgentBayError):
    """A path that would land outside the folder it belongs to, or is not a valid file name."""


def _control_character(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


def _name_problem(name: str, windows: bool) -> str | None:
    """Why ``name`` cannot be one component of a local path, or None."""
    if name in ("", ".", ".."):
        return f"the path has a component {name!r}"
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return "the path is not valid UTF-8"
    if size > MAX_NAME_BYTES:
        return f"a name is longer than {MAX_NAME_BYTES} bytes"
    if _DRIVE.match(name):
        return "the path has a drive letter"
    if windows:
        if _WINDOWS_FORBIDDEN.intersection(name):
            return 'a name has a character Windows refuses (<>:"|?*)'
        if name[-1] in ". ":
            return "a name ends with a dot or a space"
        if name.split(".")[0].rstrip(" ").upper() in _WINDOWS_RESERVED:
            return "a name is reserved on Windows"
    return None


def safe_local_path(
    local_root: str | os.PathLike[str], relative: str, *, windows: bool = os.name == "nt"
) -> str:
    """The local path of ``relative`` below ``local_root``, or raise :class:`UnsafePathError`.

    ``relative`` is a posix path as :func:`relative_remote` gives it. Refused: an empty or
    absolute path, ``\\``, control characters (NUL included), empty, ``.`` and ``..``
    components, a drive letter, a name over 255 UTF-8 bytes or a path over 4096; with
    ``windows`` (the default on Windows) also ``<>:"|?*``, trailing dots and spaces, and
    reserved names such as ``CON``. The check is on the text: see :func:`prepare_download_path`
    for symbolic links.

    Example: ``safe_local_path("out", "a/b.txt")`` is ``"out/a/b.txt"``; ``"../x"`` raises.
    """
    problem = _path_problem(relative, windows)
    if problem is not None:
        raise UnsafePathError(f"Refused {relative!r}: {problem}")
    return os.path.join(os.fspath(local_root), *relative.split("/"))


def _path_problem(relative: str, windows: bool) -> str | None:
    if not relative:
        return "the path is empty"
    if relative.startswith("/"):
        return "the path is absolute"
    if "\\" in relative:
        return "the path has a backslash"
    if _control_character(relative):
        return "the path has a control character"
    if len(relative.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        return f"the path is longer than {MAX_PATH_BYTES} bytes"
    for name in relative.split("/"):
        problem = _name_problem(name, windows)
        if problem is not None:
            return problem
    return None


def prepare_download_path(local_root: str | os.PathLike[str], relative: str) -> str:
    """:func:`safe_local_path`, with the folders leading to it created, none of them a link.

    Raises :class:`UnsafePathError` for a refused path, or when a folder on the way (below
    ``local_root``) is a symbolic link or not a folder; a folder that cannot be created raises
    :class:`AgentBayError`. Blocking.

    Example: ``prepare_download_path("out", "a/b.txt")`` creates ``out/a``.
    """
    target = safe_local_path(local_root, relative)
    folder = os.fspath(local_root)
    for name in relative.split("/")[:-1]:
        folder = os.path.join(folder, name)
        try:
            try:
                os.mkdir(folder)
                continue
            except FileExistsError:
                mode = os.lstat(folder).st_mode
        except OSError as exc:
            raise AgentBayError(f"Cannot create {folder}: {exc.strerror or exc}") from None
        if stat.S_ISLNK(mode):
            raise UnsafePathError(f"Refused {relative!r}: {folder} is a symbolic link")
        if not stat.S_ISDIR(mode):
            raise UnsafePathError(f"Refused {relative!r}: {folder} is not a folder")
    return target


def segments(path: str) -> list[str]:
    """The names of a remote path; ``..`` raises (the service refuses it too).

    Example: ``segments("/a//b/./c")`` is ``["a", "b", "c"]``.
    """
    names = [name for name in path.split("/") if name not in ("", ".")]
    if ".." in names:
        raise UnsafePathError(f"Refused {path!r}: the path has a component '..'")
    return names


def remote_path(remote_folder: str, relative: str) -> str:
    """The remote path of ``relative`` below ``remote_folder``, with one slash between names.

    Example: ``remote_path("/a/", "b/c")`` is ``"/a/b/c"``.
    """
    return "/" + "/".join(segments(remote_folder) + segments(relative))


@functools.lru_cache(maxsize=64)
def _folder_prefix(remote_folder: str) -> str:
    """``remote_folder`` as ``"/a/b/"`` (``"/"`` for the root): a path that starts with it
    and goes on with plain names lies below it (UnsafePathError for a ``..``)."""
    return "/" + "".join(name + "/" for name in segments(remote_folder))


def relative_remote(remote_folder: str, file_path: str) -> str:
    """The posix path of ``file_path`` relative to ``remote_folder``.

    Raises :class:`UnsafePathError` unless ``file_path`` lies strictly below ``remote_folder``.

    Example: ``relative_remote("/a", "/a/b/c")`` is ``"b/c"``; ``"/ab/c"`` raises.
    """
    prefix = _folder_prefix(remote_folder)
    if file_path.startswith(prefix):  # the common case, quicker: each listed entry comes here
        rest = file_path[len(prefix) :]
        parts = rest.split("/")
        if "" not in parts and "." not in parts and ".." not in parts:
            return rest
    folder, names = segments(remote_folder), segments(file_path)
    if len(names) <= len(folder) or names[: len(folder)] != folder:
        raise UnsafePathError(f"Refused {file_path!r}: not below {remote_path(remote_folder, '')}")
    return "/".join(names[len(folder) :])
