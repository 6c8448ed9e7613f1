"""Path normalisation inside a context."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentbay_emulator.paths import InvalidPathError, normalize_file_path, normalize_folder_path


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a", "/a"),
        ("/a/b", "/a/b"),
        ("a//b", "/a/b"),
        ("./a/./b/", "/a/b"),
        ("///x", "/x"),
        ("a\\..\\b", "/a\\..\\b"),
        ("...", "/..."),
        ("..a/b..", "/..a/b.."),
    ],
)
def test_file_paths(raw: str, expected: str) -> None:
    assert normalize_file_path(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "/", ".", "./", "..", "../a", "a/../b", "/a/..", "a\x00", "a\nb"]
)
def test_bad_file_paths(raw: str) -> None:
    with pytest.raises(InvalidPathError):
        normalize_file_path(raw)


def test_too_long() -> None:
    with pytest.raises(InvalidPathError):
        normalize_file_path("a" * 2000)


@pytest.mark.parametrize(
    ("raw", "expected"), [("", "/"), ("/", "/"), (".", "/"), ("a", "/a/"), ("/a//b/", "/a/b/")]
)
def test_folder_paths(raw: str, expected: str) -> None:
    assert normalize_folder_path(raw) == expected


segment = st.sampled_from(["", ".", "..", "a", "b", "...", "..x", "%2e", " "])


@given(st.lists(segment, max_size=8), st.booleans())
def test_normalised_paths_never_climb_and_are_stable(parts: list[str], lead: bool) -> None:
    raw = ("/" if lead else "") + "/".join(parts)
    try:
        path = normalize_file_path(raw)
    except InvalidPathError:
        assert ".." in parts or not [part for part in parts if part not in ("", ".")]
        return
    assert path.startswith("/") and ".." not in path.split("/")
    assert "//" not in path and not path.endswith("/")
    assert normalize_file_path(path) == path
