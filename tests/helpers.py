"""Pure helpers shared by the async and sync tests: canned responses and request decoding."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qsl

import httpx

API_KEY = "sk-test-0123456789abcdef"
ENDPOINT = "http://agentbay.test"

CONTEXT_DATA = {
    "Id": "ctx-04bdwfj7u22a1s30g",
    "Name": "my-context",
    "CreateTime": "2025-05-29T12:00:00Z",
    "LastUsedTime": "2025-05-30T08:30:00Z",
    "State": "available",
    "OsType": None,
}


def ok(data: Any = None, request_id: str = "req-1", **extra: Any) -> httpx.Response:
    """A successful reply of the service, with ``Data`` and any extra top-level keys."""
    body: dict[str, Any] = {
        "RequestId": request_id,
        "Success": True,
        "Code": "",
        "Message": "",
        "HttpStatusCode": 200,
        **extra,
    }
    if data is not None:
        body["Data"] = data
    return httpx.Response(200, json=body)


def refused(
    code: str, message: str, status: int = 200, request_id: str = "req-err"
) -> httpx.Response:
    """A failed reply of the service."""
    body = {
        "RequestId": request_id,
        "Success": False,
        "Code": code,
        "Message": message,
        "HttpStatusCode": status,
    }
    return httpx.Response(status, json=body)


def form(request: httpx.Request) -> dict[str, str]:
    """The form fields of a request body."""
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


def action(request: httpx.Request) -> str:
    """The Action in a request's query."""
    return request.url.params["Action"]


class OneWay(io.RawIOBase):
    """A stream that can only be read, once and in order, as from a pipe: its size is unknown
    and it cannot go back (wrap it in ``io.BufferedReader`` to read it as a file)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._data.readinto(buffer)
