"""What can go wrong on the way, the same for every transport: :class:`TransportError` and its
:class:`Kind`, which says whether another attempt may help and which SDK code a result carries.

Each transport maps its library's exceptions to a kind; the messages are made here, so they read
the same whatever library carried the bytes.
"""

from __future__ import annotations

import enum

from .._redact import host_for_humans, url_for_humans


class Kind(enum.Enum):
    """Why a request got no usable HTTP answer; the value is the SDK error code of results."""

    TIMEOUT = "SDK.Timeout"
    CONNECT = "SDK.ConnectionFailed"
    TLS = "SDK.TlsHandshakeFailed"
    BROKEN = "SDK.ConnectionBroken"
    PROTOCOL = "SDK.ProtocolError"
    TOO_LARGE = "SDK.ReplyTooLarge"
    INVALID_URL = "SDK.InvalidUrl"
    CLOSED = "SDK.ClientClosed"

    @property
    def retryable(self) -> bool:
        """True when another attempt may succeed (a passing fault of the network or server)."""
        return self in _TRANSIENT


_TRANSIENT = frozenset({Kind.TIMEOUT, Kind.CONNECT, Kind.BROKEN, Kind.PROTOCOL})


class TransportError(Exception):
    """A request got no usable HTTP answer. ``str()`` is safe to show: no credentials, no URL
    query.

    Example: ``TransportError(Kind.BROKEN, "Network error: ...").retryable`` is True.
    """

    def __init__(self, kind: Kind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    @property
    def code(self) -> str:
        """The SDK error code a failed result carries, e.g. ``"SDK.Timeout"``."""
        return self.kind.value

    @property
    def retryable(self) -> bool:
        """True when another attempt may succeed."""
        return self.kind.retryable


def client_closed(what: str) -> TransportError:
    """``what`` was not sent: the client is closed."""
    return TransportError(Kind.CLOSED, f"{what} not sent: the client is closed")


def cannot_connect(url: str, *, tls_error: str | None = None) -> TransportError:
    """The connection to ``url``'s host could not be made: refused, unresolvable, or (with
    ``tls_error``, the library's text of it) the TLS handshake failed."""
    where = host_for_humans(url)
    if tls_error is None:
        return TransportError(Kind.CONNECT, f"Network error: cannot connect to {where}")
    message = f"Network error: TLS handshake with {where} failed"
    if any(sign in tls_error.lower() for sign in _PLAIN_HTTP_SIGNS):
        message += " (the server speaks plain HTTP: use an http:// endpoint)"
    return TransportError(Kind.TLS, message)  # a certificate or protocol: trying again won't help


# What OpenSSL says when a TLS client hears a plain HTTP server.
_PLAIN_HTTP_SIGNS = ("wrong version number", "wrong_version_number", "record layer failure")


def broken() -> TransportError:
    """The connection closed or reset before the reply was complete."""
    return TransportError(
        Kind.BROKEN, "Network error: the connection closed before the reply was complete"
    )


def malformed() -> TransportError:
    """The server's bytes are not a valid HTTP reply."""
    return TransportError(Kind.PROTOCOL, "Network error: the reply is not valid HTTP")


def timed_out() -> TransportError:
    """A per-operation timeout of the library fired (relabelled by the exchange's deadline)."""
    return TransportError(Kind.TIMEOUT, "Request timed out")


def too_large(limit: int) -> TransportError:
    """The reply body is larger than the SDK reads."""
    return TransportError(
        Kind.TOO_LARGE, f"The reply body is over the {limit // (1 << 20)} MiB limit"
    )


def invalid_url(url: str, reason: str) -> TransportError:
    """``url`` (as the service handed it over) cannot be requested."""
    return TransportError(Kind.INVALID_URL, f"Invalid URL {url_for_humans(url)!r}: {reason}")
