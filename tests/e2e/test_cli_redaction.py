"""The CLI cuts the API key out of the messages it makes itself, which the library never sees:
a key pasted where a context name goes is not printed back."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from agentbay.cli import build, cli
from tests.e2e.test_cli import echo_server


@pytest.fixture(autouse=True)
def fresh_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test runs a command tree of its own, made by ``build()``: under mutmut, the
    mutants of the code that builds the tree are live only in one built during a test."""
    monkeypatch.setattr(sys.modules[__name__], "cli", build())


@pytest.mark.parametrize("via", ["option", "environment"])
def test_a_key_pasted_as_a_context_name_is_not_printed(
    via: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-pasted-0123456789"
    monkeypatch.delenv("AGENTBAY_API_KEY", raising=False)
    options = ["--api-key", key] if via == "option" else []
    env = {"AGENTBAY_API_KEY": key} if via == "environment" else {}
    with echo_server() as url:
        result = CliRunner().invoke(
            cli, ["context", "get", key, "--endpoint", url, *options], env=env
        )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Cannot find context '<redacted>': [Echo] ")
    assert key not in result.stderr
