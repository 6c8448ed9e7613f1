"""Every help page of the ``agentbay`` command, as a user reads it at 80 columns, is the one
in ``cli_help.txt``: the options, arguments, defaults and examples they document.

After a deliberate change of a help text, write the file again with
``python tests/e2e/test_cli_help.py`` and read the diff before committing it."""

from __future__ import annotations

import difflib
from importlib.metadata import version
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from agentbay.cli import build

PAGES = Path(__file__).with_name("cli_help.txt")


def help_pages() -> str:
    """Every help page (not the emulator's: another distribution's), each under its command
    line, from a freshly built command tree."""
    cli = build()
    shown: list[str] = []

    def visit(command: click.Command, path: list[str]) -> None:
        result = CliRunner().invoke(
            cli, [*path, "--help"], prog_name="agentbay", env={"COLUMNS": "80"}
        )
        assert result.exit_code == 0, result.output
        shown.append(f"$ agentbay {' '.join([*path, '--help'])}\n{result.stdout}")
        for name, sub in getattr(command, "commands", {}).items():
            if name != "emulator":
                visit(sub, [*path, name])

    visit(cli, [])
    return f"click {click_version()}\n\n" + "\n".join(shown)


def click_version() -> str:
    """The installed click's major and minor version, which lays the pages out."""
    return ".".join(version("click").split(".")[:2])


def test_every_help_page_is_as_documented() -> None:
    expected = PAGES.read_text(encoding="utf-8")
    if expected.partition("\n")[0] != f"click {click_version()}":
        pytest.skip(f"the pages were written with {expected.partition(chr(10))[0]}: layout differs")
    pages = help_pages()
    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            pages.splitlines(keepends=True),
            "cli_help.txt",
            "now",
        )
    )
    assert pages == expected, f"a help page changed (python {__file__} rewrites it):\n{diff}"


if __name__ == "__main__":
    PAGES.write_text(help_pages(), encoding="utf-8")
