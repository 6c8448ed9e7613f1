"""HTTP facts every transport shares: chunk size, body limits, the response, header parsing and
the checks a URL passes before it is requested."""

from __future__ import annotations

import os
import re
import ssl
from collections.abc import Mapping
from typing import Generic, TypeVar
from urllib.parse import urlsplit

import attrs

from .._errors import AgentBayError
from .errors import invalid_url

CA_BUNDLE_ENV = "AGENTBAY_CA_BUNDLE"
"""A PEM file of CA certificates the default transports trust besides the certifi bundle."""

CHUNK_SIZE = 1 << 20  # bytes a transfer reads or writes at a time
BODY_LIMIT = 16 << 20  # bytes of a reply of the service read at most; past it, a failed result
HEAD_LIMIT = 64 << 10  # bytes of a storage response (an error page, an upload's) kept
_CONTENT_RANGE = re.compile(r"bytes\s+(?:([0-9]{1,18})-([0-9]{1,18})|\*)/([0-9]{1,18}|\*)", re.I)


@attrs.frozen
class Response:
    """An HTTP response, read: status, body (empty when streamed to a destination), Retry-After,
    Content-Range (of a refused range) and ``x-oss-hash-crc64ecma`` as sent (``crc64``, of an
    upload's or a refused range's response). A decoded reply of the service is a ``Reply``."""

    status: int
    body: bytes = b""
    retry_after: str | None = None
    content_range: str | None = None
    crc64: str | None = None


L = TypeVar("L")


class LibraryResponse(Generic[L]):
    """What every transport's response shares (each adds ``read`` and its close): the HTTP
    library's own response ``L``, and the status and headers, in once the response is.

    Example: ``LibraryResponse(response, response.status, response.headers).header("ETag")``.
    """

    def __init__(self, response: L, status: int, headers: Mapping[str, str]) -> None:
        self._response = response
        self.status = status
        self._headers = headers

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (case-insensitive), None when absent."""
        return self._headers.get(name)


def content_length(value: str | None) -> int | None:
    """A Content-Length header's value as an int, None when absent or unreadable.

    >>> content_length("42"), content_length("²"), content_length(None)
    (42, None, None)
    """
    if value is None or not (value.isascii() and value.isdigit()) or len(value) > 18:
        return None
    return int(value)


def check_url(url: str) -> str:
    """Return ``url`` if a transport can request it, else raise ``TransportError``
    (``Kind.INVALID_URL``): http(s), a host, a port in range, no spaces or control characters."""
    if not isinstance(url, str):
        raise invalid_url(f"{type(url).__name__} object", "not a string")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise invalid_url(url, "it holds spaces or control characters")
    if not url.isascii():
        raise invalid_url(url, "it holds characters outside ASCII")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise invalid_url(url, str(exc) or "unreadable") from None
    if parts.scheme not in ("http", "https"):
        raise invalid_url(url, "only http and https are supported")
    if not parts.hostname:
        raise invalid_url(url, "it names no host")
    if port == 0:
        raise invalid_url(url, "port 0")
    return url


def content_range(value: str | None) -> tuple[int | None, int | None, int | None]:
    """``(first, last, total)`` of a Content-Range header; None for what is absent or ``*``.

    >>> content_range("bytes 10-99/100"), content_range("bytes */100"), content_range("x")
    ((10, 99, 100), (None, None, 100), (None, None, None))
    """
    match = _CONTENT_RANGE.fullmatch((value or "").strip())
    if match is None:
        return None, None, None
    first, last, total = (int(g) if g and g.isdigit() else None for g in match.groups())
    return first, last, total


def tls_context() -> ssl.SSLContext:
    """The TLS settings of the default transports: the certifi bundle, plus the CA
    certificates of the PEM file named by ``AGENTBAY_CA_BUNDLE`` when it is set (the
    emulator's ``--tls`` CA, a company proxy's). Nothing else: not the system's store, not
    ``SSL_CERT_FILE``. Raises :class:`AgentBayError` when the file cannot be used.
    """
    import certifi  # with the transport, not with ``import agentbay``

    context = ssl.create_default_context(cafile=certifi.where())
    extra = os.environ.get(CA_BUNDLE_ENV)
    if extra:
        try:
            context.load_verify_locations(cafile=extra)
        except (OSError, ssl.SSLError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise AgentBayError(
                f"{CA_BUNDLE_ENV}={extra!r} is not a readable PEM file of CA certificates: {reason}"
            ) from None
    return context
