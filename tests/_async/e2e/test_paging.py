"""iter_contexts and iter_files against the live emulator: every page, failures, bad sizes."""

from __future__ import annotations

from typing import Any

import pytest

from agentbay import AgentBayError, AsyncAgentBay, ContextListParams


def record_calls(monkeypatch: pytest.MonkeyPatch, agent_bay: AsyncAgentBay, name: str) -> list[Any]:
    """Record the arguments of every call of ``agent_bay.context.<name>``."""
    calls: list[Any] = []
    original = getattr(agent_bay.context, name)

    async def recording(*args: Any, **kwargs: Any) -> Any:
        calls.append(args + tuple(sorted(kwargs.items())))
        return await original(*args, **kwargs)

    monkeypatch.setattr(agent_bay.context, name, recording)
    return calls


async def test_iter_contexts_walks_every_page(
    agent_bay: AsyncAgentBay, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [f"context-{i:02d}" for i in range(23)]
    for name in names:
        assert (await agent_bay.context.create(name)).success
    calls = record_calls(monkeypatch, agent_bay, "list")

    contexts = [c async for c in agent_bay.context.iter_contexts(page_size=5)]

    assert sorted(c.name for c in contexts) == names
    assert len({c.id for c in contexts}) == 23
    assert len(calls) == 5
    assert all(params.max_results == 5 for (params,) in calls)
    assert calls[0][0].next_token is None
    assert all(params.next_token for (params,) in calls[1:])


async def test_iter_contexts_of_an_empty_account(agent_bay: AsyncAgentBay) -> None:
    assert [c async for c in agent_bay.context.iter_contexts()] == []


async def test_iter_contexts_passes_the_session_filter(
    agent_bay: AsyncAgentBay, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = record_calls(monkeypatch, agent_bay, "list")
    [c async for c in agent_bay.context.iter_contexts(page_size=3, session_id="s-1")]
    assert calls == [(ContextListParams(max_results=3, session_id="s-1"),)]


async def test_a_failed_page_raises_with_code_and_message(
    agent_bay: AsyncAgentBay, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(4):
        await agent_bay.context.create(f"c{i}")
    original = agent_bay.context.list

    async def corrupt_token(params: ContextListParams) -> Any:
        if params.next_token:
            params.next_token = "not-a-token"
        return await original(params)

    monkeypatch.setattr(agent_bay.context, "list", corrupt_token)
    seen = []
    with pytest.raises(AgentBayError) as caught:
        async for context in agent_bay.context.iter_contexts(page_size=2):
            seen.append(context)

    assert len(seen) == 2
    assert caught.value.code == "InvalidParameter.NextToken"
    assert "is invalid" in caught.value.message
    assert caught.value.message.startswith("Failed to list contexts: [InvalidParameter.NextToken]")
    assert caught.value.request_id


async def test_iter_files_walks_every_page(
    agent_bay: AsyncAgentBay, monkeypatch: pytest.MonkeyPatch
) -> None:
    context_id = (await agent_bay.context.create("files")).context_id
    paths = [f"/many/file-{i:02d}.txt" for i in range(23)]
    for path in paths:
        assert (await agent_bay.context.upload_file(context_id, path, path.encode())).success
    calls = record_calls(monkeypatch, agent_bay, "list_files")

    entries = [e async for e in agent_bay.context.iter_files(context_id, "/many", page_size=5)]

    assert sorted(e.file_path for e in entries) == paths
    assert all(e.size == len(e.file_path) for e in entries)
    assert len(calls) == 5  # by token: max_results=5, then each page's next_token
    assert calls[0][2:] == (("max_results", 5), ("next_token", None))
    assert all(dict(args[2:])["next_token"] for args in calls[1:])


async def test_iter_files_recursive_yields_every_file_below_once(
    agent_bay: AsyncAgentBay,
) -> None:
    context_id = (await agent_bay.context.create("tree")).context_id
    paths = ["/t/a/x.txt", "/t/a/b/y.txt", "/t/a/b/c/z.txt", "/t/top.txt", "/t/e/w.txt"]
    for path in paths:
        assert (await agent_bay.context.upload_file(context_id, path, b"1")).success
    found = [
        e.file_path
        async for e in agent_bay.context.iter_files(context_id, "/t", page_size=2, recursive=True)
    ]
    assert sorted(found) == sorted(paths) and len(found) == len(paths)
    flat = [e.file_path async for e in agent_bay.context.iter_files(context_id, "/t")]
    assert sorted(flat) == ["/t/a", "/t/e", "/t/top.txt"]


async def test_iter_files_stops_when_count_is_reached(
    agent_bay: AsyncAgentBay, monkeypatch: pytest.MonkeyPatch
) -> None:
    context_id = (await agent_bay.context.create("ten")).context_id
    for i in range(10):
        await agent_bay.context.upload_file(context_id, f"/f{i}", b"x")
    calls = record_calls(monkeypatch, agent_bay, "list_files")

    entries = [e async for e in agent_bay.context.iter_files(context_id, "/", page_size=5)]

    assert len(entries) == 10
    assert len(calls) == 2


async def test_iter_files_of_an_empty_folder(agent_bay: AsyncAgentBay) -> None:
    context_id = (await agent_bay.context.create("empty")).context_id
    assert [e async for e in agent_bay.context.iter_files(context_id, "/nothing/")] == []


async def test_iter_files_of_a_missing_context_raises(agent_bay: AsyncAgentBay) -> None:
    with pytest.raises(AgentBayError) as caught:
        [e async for e in agent_bay.context.iter_files("ctx-missing", "/")]
    assert caught.value.code == "InvalidContext.NotFound"
    assert "ctx-missing" in caught.value.message
    assert caught.value.http_status_code == 404  # the body's HttpStatusCode, as 0.22.3


@pytest.mark.parametrize("page_size", [0, -1, "5", 2.5, True, None])
async def test_bad_page_sizes_are_refused_before_sending(
    agent_bay: AsyncAgentBay, monkeypatch: pytest.MonkeyPatch, page_size: Any
) -> None:
    contexts = record_calls(monkeypatch, agent_bay, "list")
    files = record_calls(monkeypatch, agent_bay, "list_files")
    with pytest.raises(AgentBayError, match="page_size"):
        [c async for c in agent_bay.context.iter_contexts(page_size=page_size)]
    with pytest.raises(AgentBayError, match="page_size"):
        [e async for e in agent_bay.context.iter_files("ctx-1", "/", page_size=page_size)]
    assert contexts == files == []


# ------------------------------------------------------------ was test_list_files_paging.py


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
