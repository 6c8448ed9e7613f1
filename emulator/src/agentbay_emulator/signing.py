"""Presigned URLs for file transfers, signed with a secret kept in the data directory.

A URL looks like::

    {base}/files/{context_id}?acct=...&path=/a/b.txt&method=PUT&exp=1767225600&sig=<hex>

``sig`` is HMAC-SHA256 over the account, the context id, the normalised path, the HTTP method
and the expiry (POSIX seconds). Changing any of them, or using the URL with another method,
breaks the signature; a URL past ``exp`` is refused even if its signature is good.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import hmac
import os
import secrets
import uuid
from pathlib import Path
from urllib.parse import urlencode

import attrs

SECRET_FILE = "signing.key"


class Verdict(enum.Enum):
    """Outcome of checking a presigned request."""

    OK = "ok"
    BAD_SIGNATURE = "bad-signature"
    EXPIRED = "expired"


@attrs.frozen
class Grant:
    """What a presigned URL allows: one method on one file of one context, until ``expires``."""

    account: str
    context_id: str
    path: str
    method: str
    expires: int


def load_or_create_secret(data_dir: Path) -> bytes:
    """The signing secret of a data directory, created once (mode 0600) if missing.

    It is written to a temporary file first and then linked into place, so a crash never
    leaves an empty or partial secret behind, and a secret already there is never replaced.
    """
    path = data_dir / SECRET_FILE
    if not path.exists():
        temp = data_dir / f".{SECRET_FILE}.{uuid.uuid4().hex}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_hex(32))
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temp, path)
        finally:
            temp.unlink(missing_ok=True)
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise ValueError(f"the signing secret in {path} is too short")
    return secret.encode()


class Signer:
    """Signs and checks grants with one secret."""

    def __init__(self, secret: bytes) -> None:
        """Use ``secret`` as the HMAC key."""
        self._secret = secret

    def signature(self, grant: Grant) -> str:
        """The hex HMAC-SHA256 of a grant."""
        message = "\n".join(
            ("v1", grant.account, grant.context_id, grant.path, grant.method, str(grant.expires))
        )
        return hmac.new(self._secret, message.encode(), hashlib.sha256).hexdigest()

    def url(self, base: str, grant: Grant) -> str:
        """The presigned URL of a grant, served by the emulator at ``base``."""
        query = urlencode(
            {
                "acct": grant.account,
                "path": grant.path,
                "method": grant.method,
                "exp": str(grant.expires),
                "sig": self.signature(grant),
            }
        )
        return f"{base}/files/{grant.context_id}?{query}"

    def check(self, grant: Grant, signature: str, now: float) -> Verdict:
        """Whether ``signature`` is the grant's and the grant is still valid at ``now``."""
        expected = self.signature(grant).encode()
        if not hmac.compare_digest(expected, signature.encode("utf-8", "surrogateescape")):
            return Verdict.BAD_SIGNATURE
        if now >= grant.expires:
            return Verdict.EXPIRED
        return Verdict.OK
