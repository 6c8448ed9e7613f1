"""Helpers shared by the emulator's tests: building RPC requests the way the wire spec says."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

ENVELOPE = {"RequestId", "Success", "Code", "Message", "HttpStatusCode"}
CONTEXT_KEYS = {"Id", "Name", "CreateTime", "LastUsedTime", "State", "OsType"}
FILE_KEYS = {
    "FileId",
    "FileName",
    "FilePath",
    "FileType",
    "GmtCreate",
    "GmtModified",
    "Size",
    "Status",
}


def new_key() -> str:
    """A fresh API key, hence a fresh account."""
    return "key-" + uuid.uuid4().hex


def _wire_value(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"  # what the official Python SDK sends
    return str(value)


def rpc_request(action: str, key: str | None, params: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of httpx's request() for one RPC call."""
    data = {name: _wire_value(value) for name, value in params.items() if value is not None}
    if key is not None:
        data["Authorization"] = f"Bearer {key}"
    return {
        "method": "POST",
        "url": "/",
        "params": {
            "Action": action,
            "Version": "2025-05-06",
            "Format": "json",
            "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "SignatureNonce": uuid.uuid4().hex,
        },
        "data": dict(sorted(data.items())),
        "headers": {"x-acs-action": action, "x-acs-version": "2025-05-06"},
    }


def check_envelope(body: dict[str, Any]) -> None:
    """Every RPC body has the five envelope keys with the right types."""
    assert body.keys() >= ENVELOPE, body
    assert isinstance(body["Success"], bool)
    assert isinstance(body["HttpStatusCode"], int)
    assert isinstance(body["RequestId"], str) and body["RequestId"]


class Api:
    """A synchronous RPC client for one account."""

    def __init__(self, client: httpx.Client, key: str | None = None) -> None:
        self.client = client
        self.key = key if key is not None else new_key()

    def raw(self, action: str, *, key: str | None = "", **params: Any) -> httpx.Response:
        """Send one action; ``key=""`` means this client's key, None means no key."""
        use = self.key if key == "" else key
        response = self.client.request(**rpc_request(action, use, params))
        check_envelope(response.json())
        return response

    def call(self, action: str, **params: Any) -> dict[str, Any]:
        """Send one action that must succeed; its body."""
        response = self.raw(action, **params)
        body: dict[str, Any] = response.json()
        assert response.status_code == 200 and body["Success"] is True, body
        return body

    def fail(self, action: str, status: int = 200, **params: Any) -> dict[str, Any]:
        """Send one action that must fail with that HTTP status; its body."""
        response = self.raw(action, **params)
        body: dict[str, Any] = response.json()
        assert response.status_code == status, (response.status_code, body)
        assert body["Success"] is False, body
        return body

    def create(self, name: str | None = None) -> str:
        """Create a context; its id."""
        body = self.call("GetContext", Name=name or "ctx-" + uuid.uuid4().hex[:8], AllowCreate=True)
        context_id: str = body["Data"]["Id"]
        return context_id

    def upload(self, context_id: str, path: str, content: bytes) -> httpx.Response:
        """Upload through a presigned URL; the PUT's response."""
        url = self.call("GetContextFileUploadUrl", ContextId=context_id, FilePath=path)["Data"][
            "Url"
        ]
        response = self.client.put(url, content=content)
        assert response.status_code == 200, response.text
        return response

    def download(self, context_id: str, path: str) -> httpx.Response:
        """Download through a presigned URL; the GET's response (any status)."""
        url = self.call("GetContextFileDownloadUrl", ContextId=context_id, FilePath=path)["Data"][
            "Url"
        ]
        return self.client.get(url)

    def children(self, context_id: str, folder: str = "/", **params: Any) -> list[dict[str, Any]]:
        """DescribeContextFiles' Data."""
        body = self.call(
            "DescribeContextFiles", ContextId=context_id, ParentFolderPath=folder, **params
        )
        data: list[dict[str, Any]] = body["Data"]
        return data
