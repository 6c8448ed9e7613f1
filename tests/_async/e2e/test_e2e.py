"""Every seed method end to end against a live emulator."""

from __future__ import annotations

import httpx
import pytest

from agentbay import AgentBayError, AsyncAgentBay, Config, ContextListParams


async def test_context_lifecycle(agent_bay: AsyncAgentBay) -> None:
    created = await agent_bay.context.create("e2e-context")
    assert created.success and created.context_id.startswith("ctx-")
    assert created.context is not None and created.context.created_at

    again = await agent_bay.context.get(name="e2e-context", create=True)
    assert again.context_id == created.context_id
    by_id = await agent_bay.context.get(context_id=created.context_id)
    assert by_id.context == created.context

    context = created.context
    context.name = "e2e-renamed"
    updated = await agent_bay.context.update(context)
    assert updated.success and updated.request_id
    assert (await agent_bay.context.get(name="e2e-renamed")).context_id == created.context_id
    assert not (await agent_bay.context.get(name="e2e-context")).success

    deleted = await agent_bay.context.delete(context)
    assert deleted.success
    missing = await agent_bay.context.get(context_id=created.context_id)
    assert not missing.success and missing.error_message.startswith("[")


async def test_list_pages_through_every_context(agent_bay: AsyncAgentBay) -> None:
    names = {f"ctx-{i:02d}" for i in range(7)}
    for name in sorted(names):
        assert (await agent_bay.context.create(name)).success
    seen: list[str] = []
    token = None
    while True:
        page = await agent_bay.context.list(ContextListParams(max_results=3, next_token=token))
        assert page.success and page.total_count == 7 and page.max_results == 3
        seen += [context.name for context in page.contexts]
        token = page.next_token
        if token is None:
            break
    assert sorted(seen) == sorted(names)
    assert len((await agent_bay.context.list()).contexts) == 7


async def test_files_through_presigned_urls(agent_bay: AsyncAgentBay) -> None:
    context_id = (await agent_bay.context.create("files")).context_id
    upload = await agent_bay.context.get_file_upload_url(context_id, "/data/hello.txt")
    assert upload.success and upload.expire_time
    async with httpx.AsyncClient() as http:
        assert (await http.put(upload.url, content=b"hello world")).status_code < 300
        listing = await agent_bay.context.list_files(context_id, "/data")
        assert listing.success and listing.count == 1
        (entry,) = listing.entries
        assert (entry.file_name, entry.file_path, entry.size) == (
            "hello.txt",
            "/data/hello.txt",
            11,
        )
        root = await agent_bay.context.list_files(context_id, "/")
        assert [(e.file_name, e.file_type) for e in root.entries] == [("data", "folder")]

        download = await agent_bay.context.get_file_download_url(context_id, "/data/hello.txt")
        assert (await http.get(download.url)).content == b"hello world"

        assert (await agent_bay.context.delete_file(context_id, "/data/hello.txt")).success
        assert (await http.get(download.url)).status_code == 404
    assert (await agent_bay.context.list_files(context_id, "/data")).entries == []


async def test_clear_goes_through_clearing_to_available(agent_bay: AsyncAgentBay) -> None:
    context_id = (await agent_bay.context.create("to-clear")).context_id
    url = (await agent_bay.context.get_file_upload_url(context_id, "/a.bin")).url
    async with httpx.AsyncClient() as http:
        await http.put(url, content=b"x" * 1000)

    started = await agent_bay.context.clear_async(context_id)
    assert started.status == "clearing"
    assert (await agent_bay.context.get_clear_status(context_id)).status == "clearing"
    with pytest.warns(DeprecationWarning):
        await agent_bay.context.start_clear(context_id)
    done = await agent_bay.context.clear(context_id, timeout=10, poll_interval=0.05)
    assert (done.success, done.status) == (True, "available")
    assert (await agent_bay.context.list_files(context_id, "/")).entries == []


async def test_refusals_of_the_emulator(agent_bay: AsyncAgentBay) -> None:
    with pytest.raises(AgentBayError) as info:
        await agent_bay.context.clear_async("ctx-doesnotexist00")
    assert info.value.code and "NotFound" in info.value.code
    a = (await agent_bay.context.create("taken")).context
    b = (await agent_bay.context.create("other")).context
    assert a is not None and b is not None
    b.name = "taken"
    renamed = await agent_bay.context.update(b)
    assert not renamed.success and renamed.error_message


async def test_accounts_are_isolated(emulator_url: str, agent_bay: AsyncAgentBay) -> None:
    await agent_bay.context.create("private")
    async with AsyncAgentBay(
        "someone-else", Config(endpoint=emulator_url, timeout_ms=10_000)
    ) as other:
        assert not (await other.context.get(name="private")).success
        assert (await other.context.list()).contexts == []


async def test_a_closed_client_fails_calls_without_sending(
    emulator_url: str, account_key: str
) -> None:
    client = AsyncAgentBay(account_key, Config(endpoint=emulator_url, timeout_ms=10_000))
    assert (await client.context.create("kept")).success
    await client.aclose()
    result = await client.context.create("late")
    assert not result.success
    assert result.error_message == "GetContext not sent: the client is closed"
    async with AsyncAgentBay(
        account_key, Config(endpoint=emulator_url, timeout_ms=10_000)
    ) as other:
        assert [c.name for c in (await other.context.list()).contexts] == ["kept"]
