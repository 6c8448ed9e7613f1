"""The wire protocol, pure and shared by both flavours.

Building a call (URL, headers, form body), checking arguments before anything is sent, decoding
a reply and turning it into the seed's result objects. Nothing here does I/O.
"""

from __future__ import annotations

import functools
import json
import os
import random
import re
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

import attrs

from ._errors import AgentBayError
from ._models import (
    ClearContextResult,
    Context,
    ContextFileEntry,
    ContextFileListResult,
    ContextListResult,
    ContextResult,
    FileUrlResult,
    OperationResult,
)
from ._version import __version__

API_VERSION = "2025-05-06"
USER_AGENT = f"agentbay-contexts/{__version__} (python)"
# Statuses that mean "not processed, try again later" or a passing fault of a gateway.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_BACKOFF_S = 8.0
CHUNK_SIZE = 1 << 20  # bytes a transfer reads or writes at a time

Params = Mapping[str, object]
R = TypeVar("R")


# --------------------------------------------------------------------------- building a call


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


def encode_form(params: Params, api_key: str) -> bytes:
    """Form-encode ``params`` plus the Bearer key, keys sorted, ``None`` left out.

    >>> encode_form({"Name": "a b", "AllowCreate": True}, "k")
    b'AllowCreate=true&Authorization=Bearer%20k&Name=a%20b'
    """
    fields = {"Authorization": quote(f"Bearer {api_key}", safe="")}  # not cached: a secret
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            fields[key] = "true" if value else "false"
        else:
            fields[key] = _quoted(str(value))
    return "&".join(f"{key}={fields[key]}" for key in sorted(fields)).encode("ascii")


# --------------------------------------------------------------------------- checking arguments


def check_text(name: str, value: object) -> str:
    """Return ``value`` if it is a non-empty string without NUL, else raise naming ``name``."""
    if not isinstance(value, str):
        raise AgentBayError(f"{name} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise AgentBayError(f"{name} must not be empty")
    if "\0" in value:
        raise AgentBayError(f"{name} must not contain NUL characters")
    return value


def check_positive(name: str, value: object) -> int:
    """Return ``value`` if it is an int >= 1, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise AgentBayError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise AgentBayError(f"{name} must be >= 1, got {value}")
    return value


def check_duration(name: str, value: object) -> float:
    """Return ``value`` as seconds if it is a number >= 0, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AgentBayError(f"{name} must be a number of seconds, got {type(value).__name__}")
    if not value >= 0:  # also refuses NaN
        raise AgentBayError(f"{name} must be >= 0, got {value}")
    return float(value)


def get_context_params(
    name: str | None, create: bool, context_id: str | None, region_id: str | None
) -> dict[str, str | bool | None]:
    """GetContext parameters of ``get()``; raises before sending when the arguments conflict."""
    if name is None and context_id is None:
        raise AgentBayError("Either 'name' or 'context_id' must be provided")
    if name is not None and context_id is not None:
        raise AgentBayError("Provide either 'name' or 'context_id', not both")
    if create and context_id is not None:
        raise AgentBayError("create=True is only allowed with 'name', not with 'context_id'")
    if context_id is not None:
        return {"ContextId": check_text("context_id", context_id), "AllowCreate": False}
    return {
        "Name": check_text("name", name),
        "AllowCreate": bool(create),
        "LoginRegionId": region_id if create else None,
    }


# --------------------------------------------------------------------------- what carriers return


class CarrierError(Exception):
    """A request got no HTTP answer: the connection failed, broke or timed out."""


@attrs.frozen
class Answer:
    """An HTTP answer: status, body (empty when streamed to a receiver) and Retry-After."""

    status: int
    body: bytes = b""
    retry_after: str | None = None


class Receiver(Protocol):
    """Takes the body of a successful streamed download."""

    def begin(self, total: int | None) -> None:
        """The body starts; ``total`` is its Content-Length, None when unknown."""

    def write(self, chunk: bytes) -> None:
        """The next chunk of the body."""


def content_length(value: str | None) -> int | None:
    """A Content-Length header's value as an int, None when absent or unreadable."""
    return int(value) if value is not None and value.isdigit() else None


# --------------------------------------------------------------------------- decoding a reply


@attrs.frozen
class Reply:
    """What one call came back with: the body of a success, or why it failed."""

    ok: bool
    body: dict[str, Any] = attrs.field(factory=dict)
    request_id: str = ""
    error: str = ""
    code: str | None = None
    retryable: bool = False
    retry_after: float | None = None


def failure(message: str, *, retryable: bool = False) -> Reply:
    """A reply for a call that got no usable answer (network, timeout, malformed body)."""
    return Reply(ok=False, error=message, retryable=retryable)


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return min(max(seconds, 0.0), 60.0) if seconds == seconds else None


def decode_reply(status: int, content: bytes, retry_after: str | None = None) -> Reply:
    """Turn an HTTP status and body into a :class:`Reply`; never raises."""
    retryable = status in RETRYABLE_STATUSES
    wait = _retry_after(retry_after)
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        snippet = content[:80].decode("utf-8", "replace").strip()
        problem = f"the response is not JSON: {snippet!r}"
    else:
        problem = "" if isinstance(body, dict) else "the response is not a JSON object"
    if problem:
        return Reply(
            ok=False, error=f"HTTP {status}: {problem}", retryable=retryable, retry_after=wait
        )
    request_id = body.get("RequestId")
    request_id = request_id if isinstance(request_id, str) else ""
    if body.get("Success") is True and status < 400:
        return Reply(ok=True, body=body, request_id=request_id)
    code = body.get("Code")
    code = (
        code if isinstance(code, str) and code else ("Unknown" if status < 400 else f"HTTP{status}")
    )
    message = body.get("Message")
    message = message if isinstance(message, str) and message else "Unknown error"
    return Reply(
        ok=False,
        request_id=request_id,
        error=f"[{code}] {message}",
        code=code,
        retryable=retryable or code == "Throttling",
        retry_after=wait,
    )


def backoff_delay(attempt: int, reply: Reply) -> float:
    """Seconds to wait before retry number ``attempt + 1``: Retry-After, else full jitter."""
    if reply.retry_after is not None:
        return reply.retry_after
    return random.uniform(0.0, min(MAX_BACKOFF_S, 0.1 * 2**attempt))


# --------------------------------------------------------------------------- building results


class _Malformed(Exception):
    """A field of a successful reply has the wrong type."""


def _str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _Malformed(f"{key} is {type(value).__name__}, expected a string")


def _int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise _Malformed(f"{key} is {type(value).__name__}, expected an integer")


def _required(data: Mapping[str, Any], key: str) -> str:
    value = _str(data, key)
    if not value:
        raise _Malformed(f"{key} is missing")
    return value


def _object(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _Malformed(f"{what} is {type(value).__name__}, expected an object")
    return value


def _objects(value: object, what: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Malformed(f"{what} is {type(value).__name__}, expected a list")
    return [_object(item, f"an item of {what}") for item in value]


def _build(reply: Reply, make: Callable[[Reply], R], failed: Callable[..., R]) -> R:
    """``make(reply)`` for a success; a failed result for a failure or a malformed body."""
    if not reply.ok:
        return failed(request_id=reply.request_id, success=False, error_message=reply.error)
    try:
        return make(reply)
    except _Malformed as exc:
        return failed(
            request_id=reply.request_id,
            success=False,
            error_message=f"Malformed response: {exc}",
        )


def _context(data: Mapping[str, Any]) -> Context:
    return Context(
        id=_required(data, "Id"),
        name=_str(data, "Name") or "",
        created_at=_str(data, "CreateTime"),
        last_used_at=_str(data, "LastUsedTime"),
    )


def context_result(reply: Reply) -> ContextResult:
    """Result of GetContext."""

    def make(reply: Reply) -> ContextResult:
        context = _context(_object(reply.body.get("Data"), "Data"))
        return ContextResult(
            request_id=reply.request_id, success=True, context_id=context.id, context=context
        )

    return _build(reply, make, ContextResult)


def context_list_result(reply: Reply) -> ContextListResult:
    """Result of ListContexts; an empty NextToken reads as the last page."""

    def make(reply: Reply) -> ContextListResult:
        body = reply.body
        return ContextListResult(
            request_id=reply.request_id,
            success=True,
            contexts=[_context(item) for item in _objects(body.get("Data"), "Data")],
            next_token=_str(body, "NextToken") or None,
            max_results=_int(body, "MaxResults"),
            total_count=_int(body, "TotalCount"),
        )

    return _build(reply, make, ContextListResult)


def _file_entry(data: Mapping[str, Any]) -> ContextFileEntry:
    return ContextFileEntry(
        file_id=_str(data, "FileId") or "",
        file_name=_str(data, "FileName") or "",
        file_path=_str(data, "FilePath") or "",
        file_type=_str(data, "FileType"),
        gmt_create=_str(data, "GmtCreate"),
        gmt_modified=_str(data, "GmtModified"),
        size=_int(data, "Size"),
        status=_str(data, "Status"),
    )


def file_list_result(reply: Reply) -> ContextFileListResult:
    """Result of DescribeContextFiles."""

    def make(reply: Reply) -> ContextFileListResult:
        return ContextFileListResult(
            request_id=reply.request_id,
            success=True,
            entries=[_file_entry(item) for item in _objects(reply.body.get("Data"), "Data")],
            count=_int(reply.body, "Count"),
        )

    return _build(reply, make, ContextFileListResult)


def file_url_result(reply: Reply) -> FileUrlResult:
    """Result of GetContextFileDownloadUrl / GetContextFileUploadUrl."""

    def make(reply: Reply) -> FileUrlResult:
        data = _object(reply.body.get("Data"), "Data")
        return FileUrlResult(
            request_id=reply.request_id,
            success=True,
            url=_required(data, "Url"),
            expire_time=_int(data, "ExpireTime"),
        )

    return _build(reply, make, FileUrlResult)


def operation_result(reply: Reply) -> OperationResult:
    """Result of an action that answers no Data (ModifyContext, DeleteContext, ...)."""
    return _build(
        reply,
        lambda reply: OperationResult(request_id=reply.request_id, success=True, data=True),
        OperationResult,
    )


def clear_started_result(reply: Reply, context_id: str) -> ClearContextResult:
    """Result of ClearContext: the task runs, the context reads ``clearing``."""
    return _build(
        reply,
        lambda reply: ClearContextResult(
            request_id=reply.request_id, success=True, status="clearing", context_id=context_id
        ),
        ClearContextResult,
    )


def clear_status_result(reply: Reply) -> ClearContextResult:
    """Result of GetContext read as a clearing status: the context's State."""

    def make(reply: Reply) -> ClearContextResult:
        data = _object(reply.body.get("Data"), "Data")
        return ClearContextResult(
            request_id=reply.request_id,
            success=True,
            status=_str(data, "State") or "clearing",
            context_id=_str(data, "Id") or "",
        )

    return _build(reply, make, ClearContextResult)


def raise_for(reply: Reply, doing: str, *, api_errors: bool = True) -> None:
    """Raise :class:`AgentBayError` for a failed ``reply`` (where the seed says a method raises).

    With ``api_errors=False`` only a call that got no answer from the service raises; a refusal
    by the service stays a failed result.
    """
    if not reply.ok and (api_errors or reply.code is None):
        raise AgentBayError(
            f"Failed to {doing}: {reply.error}", code=reply.code, request_id=reply.request_id
        )


def page_error(doing: str, error_message: str, request_id: str) -> AgentBayError:
    """The error a failed page of an iterator raises; ``code`` is read back from
    ``[Code] Message``."""
    code = re.match(r"\[([^\]]+)\] ", error_message)
    return AgentBayError(
        f"Failed to {doing}: {error_message}",
        code=code.group(1) if code else None,
        request_id=request_id,
    )
