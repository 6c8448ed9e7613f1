"""Drive the official ``wuying-agentbay-sdk`` through a context lifecycle against an endpoint.

Run with a Python that has ``wuying-agentbay-sdk`` installed and NOT this project (both are
imported as ``agentbay``)::

    python official_driver.py http://127.0.0.1:8765 result.json

Only the endpoint and the protocol (http) differ from how the SDK talks to the real service.
It writes a JSON report of what the SDK saw; the test asserts on it. It needs only the
official SDK and its own dependencies (httpx among them).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import time
import warnings
from importlib.metadata import version
from typing import Any

import httpx
from agentbay._common.exceptions import AgentBayError

from agentbay import AgentBay, AsyncAgentBay, Config

API_KEY = "official-sdk-key"


def _client(endpoint: str) -> AgentBay:
    """An official client aimed at ``host:port`` over plain HTTP."""
    host_port = endpoint.split("://", 1)[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Config(endpoint=...) is deprecated
        agent_bay = AgentBay(api_key=API_KEY, cfg=Config(endpoint=host_port))
    agent_bay.client._protocol = "HTTP"  # the only way to pick http: the Tea client's protocol
    return agent_bay


def lifecycle(endpoint: str) -> dict[str, Any]:
    report: dict[str, Any] = {"sdk_version": version("wuying-agentbay-sdk")}
    import agentbay

    report["sdk_file"] = agentbay.__file__
    agent_bay = _client(endpoint)
    context = agent_bay.context

    created = context.get("official-lifecycle", create=True)
    report["create"] = {
        "success": created.success,
        "id": created.context_id,
        "request_id": created.request_id,
        "name": created.context.name,
    }
    context_id = created.context_id
    again = context.create("official-lifecycle")
    report["create_again_same_id"] = again.context_id == context_id

    listed = context.list()
    report["list"] = {
        "success": listed.success,
        "ids": [c.id for c in listed.contexts],
        "total": listed.total_count,
        "next_token": listed.next_token,
        "max_results": listed.max_results,
    }

    content = os.urandom(256 * 1024)
    upload = context.get_file_upload_url(context_id, "/docs/hello.bin")
    put = httpx.put(upload.url, content=content, timeout=30)
    report["upload"] = {
        "success": upload.success,
        "expire_time": upload.expire_time,
        "status": put.status_code,
    }

    root = context.list_files(context_id, "/")
    docs = context.list_files(context_id, "/docs", page_number=1, page_size=10)
    tokens = context.list_files(context_id, "/docs", max_results=5)
    report["list_files"] = {
        "root": [(e.file_name, e.file_type) for e in root.entries],
        "docs": [(e.file_path, e.file_type, e.size) for e in docs.entries],
        "docs_count": docs.count,
        "token_success": tokens.success,
        "token_next": tokens.next_token,
    }

    download = context.get_file_download_url(context_id, "/docs/hello.bin")
    got = httpx.get(download.url, timeout=30)
    report["download"] = {
        "success": download.success,
        "status": got.status_code,
        "same": hashlib.sha256(got.content).hexdigest() == hashlib.sha256(content).hexdigest(),
    }

    ctx = created.context
    ctx.name = "official-renamed"
    renamed = context.update(ctx)
    by_new_name = context.get("official-renamed")
    report["rename"] = {"success": renamed.success, "same_id": by_new_name.context_id == context_id}
    taken = context.create("official-taken")
    ctx.name = "official-taken"
    clash = context.update(ctx)
    report["rename_clash"] = {"success": clash.success, "error": clash.error_message}
    context.delete(taken.context)

    started = time.monotonic()
    cleared = context.clear(context_id, timeout=20, poll_interval=0.1)
    report["clear"] = {
        "success": cleared.success,
        "status": cleared.status,
        "seconds": time.monotonic() - started,
        "files_after": len(context.list_files(context_id, "/").entries),
    }

    upload = context.get_file_upload_url(context_id, "/tmp.txt")
    httpx.put(upload.url, content=b"temporary", timeout=30)
    deleted_file = context.delete_file(context_id, "/tmp.txt")
    report["delete_file"] = {
        "success": deleted_file.success,
        "files_after": len(context.list_files(context_id, "/").entries),
    }

    deleted = context.delete(ctx)
    gone = context.get(context_id=context_id)
    report["delete"] = {
        "success": deleted.success,
        "get_after": gone.success,
        "error": gone.error_message,
    }

    missing = context.get("never-created")
    report["missing"] = {"success": missing.success, "error": missing.error_message}

    try:
        bad = context.get_file_download_url("ctx-0000000000000000", "/x")
        report["bad_url"] = {"success": bad.success, "error": bad.error_message}
    except AgentBayError as exc:  # pragma: no cover - reported, not expected
        report["bad_url"] = {"raised": str(exc)}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        full_url_client = AgentBay(api_key=API_KEY, cfg=Config(endpoint=endpoint))
    report["full_url_endpoint"] = full_url_client.context.list().success

    async def async_list() -> bool:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            async_bay = AsyncAgentBay(api_key=API_KEY, cfg=Config(endpoint=endpoint))
        made = await async_bay.context.get("official-async", create=True)
        listed = await async_bay.context.list()
        return made.success and made.context_id in [c.id for c in listed.contexts]

    report["async_client"] = asyncio.run(async_list())
    report["token_paging"] = token_paging(context)
    return report


def token_paging(context: Any) -> dict[str, Any]:
    """120 files in a folder, listed by the SDK's token paging, 7 entries a page."""
    context_id = context.get("official-paging", create=True).context_id
    for index in range(120):
        upload = context.get_file_upload_url(context_id, f"/many/f{index:03d}.txt")
        httpx.put(upload.url, content=b"%d" % index, timeout=30).raise_for_status()
    pages: list[list[str]] = []
    next_token = None
    while len(pages) < 100:  # a guard against a token that never ends
        page = context.list_files(context_id, "/many", max_results=7, next_token=next_token)
        if not page.success:
            return {"success": False, "pages": pages}
        pages.append([entry.file_path for entry in page.entries])
        next_token = page.next_token
        if not next_token:
            break
    return {"success": True, "pages": pages, "next_token": next_token}


def main() -> int:
    endpoint, output = sys.argv[1], sys.argv[2]
    report = lifecycle(endpoint)
    with open(output, "w") as file:
        json.dump(report, file, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
