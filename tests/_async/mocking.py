"""Clients whose HTTP goes through httpx, where respx intercepts it."""

from __future__ import annotations

import httpx

from agentbay import AsyncAgentBay, Config
from tests.helpers import API_KEY


def mocked(cfg: Config) -> AsyncAgentBay:
    """A client on ``cfg`` that sends through a fresh ``httpx.AsyncClient``."""
    return AsyncAgentBay(API_KEY, cfg, http_client=httpx.AsyncClient())
