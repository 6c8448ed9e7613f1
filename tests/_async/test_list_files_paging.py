"""Both paging styles of list_files page a folder of 120 files exactly once (live emulator)."""

from __future__ import annotations

from agentbay import AsyncAgentBay

PATHS = {f"/d/f{i:03d}" for i in range(120)}


async def fill(agent_bay: AsyncAgentBay) -> str:
    context_id = (await agent_bay.context.create("paging")).context_id
    for path in PATHS:
        assert (await agent_bay.context.upload_file(context_id, path, b"")).success
    return context_id


async def test_page_numbers_page_120_files_exactly_once(agent_bay: AsyncAgentBay) -> None:
    context_id = await fill(agent_bay)
    seen: list[str] = []
    for number in range(1, 20):
        page = await agent_bay.context.list_files(context_id, "/d", page_number=number, page_size=7)
        assert page.success, page.error_message
        assert page.count == 120 and page.next_token is None
        seen += [entry.file_path for entry in page.entries]
        if len(page.entries) < 7:
            break
    assert len(seen) == 120 and set(seen) == PATHS


async def test_tokens_page_120_files_exactly_once(agent_bay: AsyncAgentBay) -> None:
    context_id = await fill(agent_bay)
    seen: list[str] = []
    page = await agent_bay.context.list_files(context_id, "/d", max_results=7)
    while True:
        assert page.success, page.error_message
        seen += [entry.file_path for entry in page.entries]
        if not page.next_token:
            break
        page = await agent_bay.context.list_files(context_id, "/d", next_token=page.next_token)
    assert len(seen) == 120 and set(seen) == PATHS
