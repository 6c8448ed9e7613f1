"""Decoding a reply of the service into a :class:`Reply`. Pure; never raises.

Any body is handled: not JSON, nested too deep, not an object, wrong types. A body is only
decoded here once the transport has read it within :data:`~agentbay._transports.BODY_LIMIT`.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from ._retry import is_retryable, parse_retry_after


@attrs.frozen
class Reply:
    """What one call came back with: the body of a success, or why it failed.

    ``code`` and ``message`` of a failure are the service's (or an SDK code for a call that got
    no usable answer), ``http_status`` the body's ``HttpStatusCode`` when it has one, else the
    HTTP status (0 when there was no answer),
    ``from_service`` whether the service itself refused (its JSON envelope, not a gateway page
    or no answer). A success carries neither a code nor ``from_service``: nothing reads them.
    """

    ok: bool
    body: dict[str, Any] = attrs.field(factory=dict)
    request_id: str = ""
    error: str = ""
    code: str = ""
    message: str = ""
    http_status: int = 0
    from_service: bool = False
    retryable: bool = False
    retry_after: float | None = None


def failure(
    message: str,
    *,
    code: str,
    retryable: bool = False,
    http_status: int = 0,
    retry_after: float | None = None,
) -> Reply:
    """A reply for a call that got no usable answer (network, timeout, malformed body)."""
    return Reply(
        ok=False,
        error=message,
        code=code,
        message=message,
        http_status=http_status,
        retryable=retryable,
        retry_after=retry_after,
    )


def printable(text: str) -> str:
    """``text`` with lone surrogates replaced, so that it can always be printed or logged."""
    return text.encode(errors="replace").decode()


def _load(content: bytes) -> tuple[Any, str]:
    try:
        return json.loads(content), ""
    except RecursionError:
        return None, "the response is not JSON: nested too deep"
    except ValueError:  # includes UnicodeDecodeError
        snippet = printable(content[:80].decode(errors="replace")).strip()
        return None, f"the response is not JSON: {snippet!r}"


def _reported_status(body: dict[str, Any], status: int) -> int:
    """The body's ``HttpStatusCode`` (as wuying-agentbay-sdk reports it: the service answers a
    missing context with HTTP 200 and ``"HttpStatusCode": 404``), else the HTTP status."""
    value = body.get("HttpStatusCode")
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
        return value
    return status


def decode_reply(status: int, content: bytes, retry_after: str | None = None) -> Reply:
    """Turn an HTTP status and body into a :class:`Reply`; never raises."""
    wait = parse_retry_after(retry_after)
    body, problem = _load(content)
    if not problem and not isinstance(body, dict):
        problem = "the response is not a JSON object"
    if problem:
        return failure(
            f"HTTP {status}: {problem}",
            code=f"HTTP{status}",
            retryable=is_retryable(status),
            http_status=status,
            retry_after=wait,
        )
    request_id = body.get("RequestId")
    request_id = printable(request_id) if isinstance(request_id, str) else ""
    reported = _reported_status(body, status)
    if body.get("Success") is True and status < 400:
        return Reply(ok=True, body=body, request_id=request_id, http_status=reported)
    code = body.get("Code")
    if not isinstance(code, str) or not code:
        code = "Unknown" if status < 400 else f"HTTP{status}"
    message = body.get("Message")
    message = message if isinstance(message, str) and message else "Unknown error"
    code, message = printable(code), printable(message)
    return Reply(
        ok=False,
        request_id=request_id,
        error=f"[{code}] {message}",
        code=code,
        message=message,
        http_status=reported,
        from_service=True,
        retryable=is_retryable(status, code),
        retry_after=wait,
    )
