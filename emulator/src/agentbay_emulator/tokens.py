"""Page tokens: opaque, signed, and good for one listing of one account only.

A token is ``<payload>.<mac>``, both base64url. The payload is the JSON position after the last
entry of the page it ends (``{"after": 42}``), never an offset, so a listing that changes
between pages neither repeats nor skips the entries that stay. The MAC is an HMAC-SHA256 of
the payload with the account and the listing it was issued for (``("contexts",)``, or
``("files", context_id, folder)``), keyed by the data directory's secret. A token edited by
hand, or used by another account or for another listing, fails the check and is refused with
HTTP 400 ``InvalidParameter.NextToken``; so does anything that was never a token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from typing import Any

from .wire import ApiError, invalid_parameter

MAX_TOKEN_LENGTH = 16384  # room for a file name of 1,024 four-byte characters
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def forged_token() -> ApiError:
    """HTTP 400 ``InvalidParameter.NextToken``: not a token of this listing and account."""
    return invalid_parameter(
        "NextToken", "not a token this service issued for this listing and account"
    )


class PageTokens:
    """Issues and checks the page tokens of every listing.

    Example::

        tokens = PageTokens(secret)
        token = tokens.issue(("acct", "contexts"), 42)
        assert tokens.position(("acct", "contexts"), token) == 42
    """

    def __init__(self, secret: bytes) -> None:
        """Derive the token key from the data directory's secret."""
        self._key = hmac.new(secret, b"agentbay-emulator page tokens v1", hashlib.sha256).digest()

    def _mac(self, listing: Sequence[str], payload: str) -> str:
        message = json.dumps([*listing, payload]).encode()
        return _encode(hmac.new(self._key, message, hashlib.sha256).digest()[:18])

    def issue(self, listing: Sequence[str], after: Any) -> str:
        """The token of the page that follows position ``after`` (JSON-able) of ``listing``."""
        raw = json.dumps({"after": after}, separators=(",", ":"), ensure_ascii=False).encode()
        payload = _encode(raw)
        return f"{payload}.{self._mac(listing, payload)}"

    def position(self, listing: Sequence[str], token: str) -> Any:
        """The ``after`` of a token issued for ``listing``; raises ApiError for any other."""
        payload, dot, mac = token.rpartition(".")
        if not (dot and len(token) <= MAX_TOKEN_LENGTH and _BASE64URL.fullmatch(payload)):
            raise forged_token()
        if not hmac.compare_digest(mac.encode(), self._mac(listing, payload).encode()):
            raise forged_token()
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (binascii.Error, ValueError):  # never for a token we signed
            raise forged_token() from None
        if not (isinstance(data, dict) and "after" in data):
            raise forged_token()
        return data["after"]
