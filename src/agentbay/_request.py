"""Building a call of the service: its URL, headers and form body. Pure; shared by both flavours."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import quote

from ._errors import AgentBayError
from ._version import __version__

API_VERSION = "2025-05-06"
USER_AGENT = f"agentbay-contexts/{__version__} (python)"

Params = Mapping[str, object]


def call_url(base_url: str, action: str) -> str:
    """The URL of one attempt: action, version, a fresh timestamp and nonce in the query."""
    timestamp = time.strftime("%Y-%m-%dT%H%%3A%M%%3A%SZ", time.gmtime())  # ':' quoted
    return (
        f"{base_url}?Action={action}&Version={API_VERSION}&Format=json"
        f"&Timestamp={timestamp}&SignatureNonce={os.urandom(12).hex()}"
    )


@functools.lru_cache(maxsize=64)
def call_headers(action: str) -> Mapping[str, str]:
    """The headers of a call of ``action`` (shared: never modify them)."""
    return MappingProxyType(
        {
            "content-type": "application/x-www-form-urlencoded",
            "accept": "application/json",
            "x-acs-action": action,
            "x-acs-version": API_VERSION,
            "user-agent": USER_AGENT,
        }
    )


@functools.lru_cache(maxsize=1024)
def _quoted(value: str) -> str:
    return quote(value, safe="")


def bearer_field(api_key: str) -> str:
    """The Authorization form field's value as it goes on the wire (percent-encoded)."""
    return quote(f"Bearer {api_key}", safe="")


def encode_form(params: Params, api_key: str) -> bytes:
    """Form-encode ``params`` plus the Bearer key, keys sorted, ``None`` left out.

    Raises :class:`AgentBayError` for a value that is not valid text (a lone surrogate).

    >>> encode_form({"Name": "a b", "AllowCreate": True}, "k")
    b'AllowCreate=true&Authorization=Bearer%20k&Name=a%20b'
    """
    fields = {"Authorization": bearer_field(api_key)}  # not cached: a secret
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            fields[key] = "true" if value else "false"
            continue
        try:
            fields[key] = _quoted(str(value))
        except UnicodeEncodeError:
            raise AgentBayError(
                f"{key} is not valid text: it holds a lone surrogate (undecodable bytes?)"
            ) from None
    return "&".join(f"{key}={fields[key]}" for key in sorted(fields)).encode("ascii")
