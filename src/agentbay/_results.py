"""Turning a :class:`~agentbay._reply.Reply` (or a transfer's storage response) into the API's
result objects. Pure; shared.

A successful reply whose fields have the wrong type becomes a failed result saying what was
wrong, never an exception.
"""

from __future__ import annotations

import http
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from . import _crc64
from ._errors import AgentBayError
from ._models import (
    ApiResponse,
    ClearContextResult,
    Context,
    ContextFileEntry,
    ContextFileListResult,
    ContextListResult,
    ContextResult,
    FileUrlResult,
    OperationResult,
)
from ._reply import Reply
from ._transports.http import Response

R = TypeVar("R")
Fields = dict[str, Any]  # keyword arguments of a successful result, besides the common ones
MALFORMED = "SDK.MalformedResponse"  # the code of a success whose fields have the wrong type
CHECKSUM_MISMATCH = "SDK.ChecksumMismatch"  # a transfer's bytes and storage's CRC-64 differ
_MAX_INT_DIGITS = 20
SNIPPET_LENGTH = 200
HEAD_LENGTH = 1024
# A field of a JSON ({"Code": "x"}) or XML (<Code>x</Code>) error body of object storage.
_FIELD = r'"{name}"\s*:\s*"([^"]*)"|<{name}>([^<]*)</{name}>'


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
    if (
        isinstance(value, str)
        and value.isascii()
        and value.isdigit()
        and len(value) <= _MAX_INT_DIGITS
    ):
        return int(value)
    raise _Malformed(f"{key} is {type(value).__name__} {value!r:.40}, expected an integer")


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


def _build(
    reply: Reply, result: Callable[..., R], fields: Callable[[Mapping[str, Any]], Fields]
) -> R:
    """``result(request_id=..., success=True, **fields(reply.body))`` for a success; a failed
    result for a failure or a malformed body, with the structured ``code``, ``message`` and
    ``http_status_code`` of the failure (``success`` of every result defaults to False)."""
    if not reply.ok:
        return result(
            request_id=reply.request_id,
            error_message=reply.error,
            code=reply.code,
            message=reply.message,
            http_status_code=reply.http_status,
        )
    try:
        return result(request_id=reply.request_id, success=True, **fields(reply.body))
    except _Malformed as exc:
        return result(
            request_id=reply.request_id,
            error_message=f"Malformed response: {exc}",
            code=MALFORMED,
            message=str(exc),
            http_status_code=reply.http_status,
        )


def _data(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``Data`` object of a reply's body."""
    return _object(body.get("Data"), "Data")


def _context(data: Mapping[str, Any]) -> Context:
    return Context(
        id=_required(data, "Id"),
        name=_str(data, "Name") or "",
        created_at=_str(data, "CreateTime"),
        last_used_at=_str(data, "LastUsedTime"),
    )


def _context_fields(body: Mapping[str, Any]) -> Fields:
    context = _context(_data(body))
    return {"context_id": context.id, "context": context}


def context_result(reply: Reply) -> ContextResult:
    """Result of GetContext."""
    return _build(reply, ContextResult, _context_fields)


def _context_list_fields(body: Mapping[str, Any]) -> Fields:
    return {
        "contexts": [_context(item) for item in _objects(body.get("Data"), "Data")],
        "next_token": _str(body, "NextToken") or None,
        "max_results": _int(body, "MaxResults"),
        "total_count": _int(body, "TotalCount"),
    }


def context_list_result(reply: Reply) -> ContextListResult:
    """Result of ListContexts; an empty NextToken reads as the last page."""
    return _build(reply, ContextListResult, _context_list_fields)


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
    return _build(
        reply,
        ContextFileListResult,
        lambda body: {
            "entries": [_file_entry(item) for item in _objects(body.get("Data"), "Data")],
            "count": _int(body, "Count"),
            "next_token": _str(body, "NextToken") or None,
            "http_status_code": reply.http_status,
        },
    )


def _url_fields(body: Mapping[str, Any]) -> Fields:
    data = _data(body)
    return {"url": _required(data, "Url"), "expire_time": _int(data, "ExpireTime")}


def file_url_result(reply: Reply) -> FileUrlResult:
    """Result of GetContextFileDownloadUrl / GetContextFileUploadUrl."""
    return _build(reply, FileUrlResult, _url_fields)


def operation_result(reply: Reply) -> OperationResult:
    """Result of an action that answers no Data (ModifyContext, DeleteContext, ...)."""
    return _build(reply, OperationResult, lambda body: {"data": True})


def clear_started_result(reply: Reply, context_id: str) -> ClearContextResult:
    """Result of ClearContext: the task runs, the context reads ``clearing``."""
    return _build(
        reply, ClearContextResult, lambda body: {"status": "clearing", "context_id": context_id}
    )


def _clear_status_fields(body: Mapping[str, Any]) -> Fields:
    data = _data(body)
    return {"status": _str(data, "State") or "clearing", "context_id": _str(data, "Id") or ""}


def clear_status_result(reply: Reply) -> ClearContextResult:
    """Result of GetContext read as a clearing status: the context's State."""
    return _build(reply, ClearContextResult, _clear_status_fields)


def raise_for(reply: Reply, doing: str, *, api_errors: bool = True) -> None:
    """Raise :class:`AgentBayError` for a failed ``reply`` (where the API says a method raises).

    With ``api_errors=False`` only a call that got no answer from the service raises; a refusal
    by the service stays a failed result.
    """
    if not reply.ok and (api_errors or not reply.from_service):
        raise AgentBayError(
            f"Failed to {doing}: {reply.error}",
            code=reply.code,
            request_id=reply.request_id,
            http_status_code=reply.http_status,
        )


def page_error(doing: str, page: ApiResponse, error_message: str) -> AgentBayError:
    """The error a failed page of an iterator raises, with the page's structured failure."""
    return AgentBayError(
        f"Failed to {doing}: {error_message}",
        code=page.code or None,
        request_id=page.request_id,
        http_status_code=page.http_status_code,
    )


def repeated_page(doing: str, request_id: str) -> AgentBayError:
    """The error an iterator raises when the service hands back a page it already gave (a
    token seen before): following it would loop forever."""
    return AgentBayError(
        f"Failed to {doing}: the service repeated a page it already sent",
        code="SDK.RepeatedPage",
        request_id=request_id,
    )


def url_failure(url: FileUrlResult) -> OperationResult:
    """The failed result of a transfer whose presigned URL could not be had."""
    return OperationResult(
        request_id=url.request_id,
        success=False,
        error_message=url.error_message,
        code=url.code,
        message=url.message,
        http_status_code=url.http_status_code,
    )


def _field(name: str, text: str) -> str:
    match = re.search(_FIELD.format(name=name), text)
    return (match.group(1) or match.group(2) or "") if match else ""


def _describe(text: str) -> str:
    """``[Code] Message`` from a JSON or XML error body, else its first characters."""
    code, message = _field("Code", text), _field("Message", text)
    return f"[{code}] {message}" if code and message else text[:SNIPPET_LENGTH]


def storage_failure(url: FileUrlResult, status: int, head: bytes) -> OperationResult:
    """The failed result of a transfer that storage answered with an HTTP error status."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    text = " ".join(head[:HEAD_LENGTH].decode("utf-8", "replace").split())
    reason = _describe(text) or phrase or "no details"
    return OperationResult(
        request_id=url.request_id,
        success=False,
        error_message=f"Storage answered HTTP {status}: {reason}",
        code=_field("Code", text),
        message=_field("Message", text),
        http_status_code=status,
    )


def error_failure(url: FileUrlResult, message: str, code: str) -> OperationResult:
    """The failed result of a transfer cut short by the network or by local I/O (``code``:
    ``"SDK.ConnectionBroken"``, ``"SDK.LocalIOError"``, ...)."""
    return OperationResult(
        request_id=url.request_id, success=False, error_message=message, code=code, message=message
    )


def checksum_failure(
    url: FileUrlResult, file_path: str, moved: str, computed: int, answered: str | None
) -> OperationResult:
    """The failed result of a transfer whose bytes (``moved``: "sent" or "received") have
    another CRC-64 than storage's ``x-oss-hash-crc64ecma`` (``answered``, as sent).

    >>> url = FileUrlResult(request_id="r", success=True, url="u")
    >>> checksum_failure(url, "/a.txt", "sent", 1, "2").error_message
    'CRC-64 mismatch on /a.txt: the bytes sent give 1, storage answered 2 (x-oss-hash-crc64ecma)'
    """
    try:
        theirs = str(_crc64.parse_header(answered))
    except ValueError:
        theirs = f"the unreadable {_crc64.show(answered)}"
    message = (
        f"CRC-64 mismatch on {file_path}: the bytes {moved} give {computed}, "
        f"storage answered {theirs} ({_crc64.HEADER})"
    )
    return error_failure(url, message, CHECKSUM_MISMATCH)


def transfer_result(url: FileUrlResult, response: Response, size: int) -> OperationResult:
    """The result of a transfer storage answered: on success ``data`` is the bytes moved."""
    if not 200 <= response.status < 300:
        return storage_failure(url, response.status, response.body)
    return OperationResult(request_id=url.request_id, success=True, data=size)
