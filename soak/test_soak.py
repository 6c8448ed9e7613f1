"""Soak: 5,000 SDK operations, 20 at a time, against an emulator that faults 10 % of RPC calls.

Twenty workers over two accounts each drive their own contexts through the async SDK (create
and get, upload, download and verify, rename, list and iterate, delete files, delete contexts)
and keep a model of what the service acknowledged. Half of them use the SDK's default HTTP
carrier, half an ``httpx.AsyncClient`` passed in as ``http_client``. The emulator draws its
faults before an action runs, so an operation that still fails after the SDK's retries changed
nothing, and the model stays exact. At the end, through a client that retries harder, every
acknowledged context must exist under its latest name, every acknowledged upload not deleted
since must download with its sha256, nothing deleted may come back; then, with the emulator
stopped, SQLite and the content files on disk must agree.

Run with ``nox -s soak`` or ``pytest soak -q``. ``SOAK_OPERATIONS`` and ``SOAK_SEED`` override
the defaults.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import sqlite3
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import attrs
import httpx
import pytest

from agentbay import AgentBayError, AsyncAgentBay, Config, Context, ContextListParams
from agentbay_emulator import running
from agentbay_emulator.faults import Fault, FaultInjector

OPERATIONS = int(os.environ.get("SOAK_OPERATIONS", "5000"))
SEED = int(os.environ.get("SOAK_SEED", "20251124"))
WORKERS = 20
KEYS = ("soak-key-a", "soak-key-b")
FAULTS = f"throttle=0.05,error=0.05,seed={SEED}"
TIME_LIMIT = 240.0  # seconds for the whole test; it takes far less
MAX_CONTEXTS = 4  # per worker
PATHS = ("/a.bin", "/b.txt", "/d1/c.bin", "/d1/d.bin", "/d2/e.bin", "/d2/sub/f.bin")
SIZES = (0, 1, 300, 4_000, 40_000, 150_000)
INJECTED = ("Throttling.User", "InternalError")  # the codes of the emulator's injected faults
MAX_FAILURE_RATE = 0.005


def sha(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def code_of(error_message: str) -> str:
    """``Code`` out of ``[Code] Message``."""
    return error_message[1:].partition("]")[0] if error_message.startswith("[") else ""


def children(paths: set[str], folder: str) -> set[str]:
    """The entries (files and folders) directly under ``folder`` implied by file ``paths``."""
    prefix = folder.rstrip("/") + "/"
    return {
        prefix + path[len(prefix) :].partition("/")[0] for path in paths if path.startswith(prefix)
    }


@attrs.define
class ContextModel:
    """What the service acknowledged about one context: its name and its files' sha256."""

    id: str
    name: str
    files: dict[str, str] = attrs.Factory(dict)
    gone: set[str] = attrs.Factory(set)  # paths deleted and not uploaded since


@attrs.define
class Tally:
    """Counts shared by all workers."""

    operations: Counter[str] = attrs.Factory(Counter)
    failed: Counter[str] = attrs.Factory(Counter)  # failed even after retries, by operation
    draws: Counter[Fault] = attrs.Factory(Counter)  # the emulator's draw for each RPC request
    problems: list[str] = attrs.Factory(list)  # lost or wrong data, unexpected answers


class Worker:
    """One of the concurrent clients: its own contexts, an exact model of them, a seeded RNG."""

    def __init__(self, number: int, agent_bay: AsyncAgentBay, key: str, tally: Tally) -> None:
        self.number = number
        self.agent_bay = agent_bay
        self.key = key
        self.tally = tally
        self.rng = random.Random(SEED * 1000 + number)
        self.contexts: dict[str, ContextModel] = {}
        self.deleted: set[str] = set()
        self.names = 0
        self.operations: list[tuple[int, Callable[[], Awaitable[None]]]] = [
            (12, self.create_or_get),
            (25, self.upload),
            (20, self.download),
            (8, self.rename),
            (12, self.listing),
            (10, self.delete_file),
            (6, self.delete),
        ]

    async def run(self, count: int) -> None:
        weights = [weight for weight, _ in self.operations]
        actions = [action for _, action in self.operations]
        for _ in range(count):
            action = self.rng.choices(actions, weights)[0]
            if not self.contexts:
                action = self.create_or_get
            self.tally.operations[action.__name__] += 1
            await action()

    # Outcomes

    def failed(self, operation: str, error_message: str) -> None:
        """An operation failed: fine (and counted) if only injected faults explain it."""
        if code_of(error_message) in INJECTED:
            self.tally.failed[operation] += 1
        else:
            self.problem(f"{operation} failed unexpectedly: {error_message}")

    def problem(self, what: str) -> None:
        self.tally.problems.append(f"worker {self.number}: {what}")

    def new_name(self) -> str:
        self.names += 1
        return f"soak-w{self.number}-n{self.names}"

    def pick(self) -> ContextModel:
        return self.rng.choice(list(self.contexts.values()))

    # Operations

    async def create_or_get(self) -> None:
        if len(self.contexts) < MAX_CONTEXTS and (self.rng.random() < 0.6 or not self.contexts):
            name = self.new_name()
            result = await self.agent_bay.context.get(name=name, create=True)
            if not result.success:
                return self.failed("create", result.error_message)
            if result.context is None or result.context.name != name:
                return self.problem(f"create {name} answered {result.context}")
            self.contexts[result.context_id] = ContextModel(result.context_id, name)
            return None
        model = self.pick()
        if self.rng.random() < 0.5:
            result = await self.agent_bay.context.get(name=model.name)
        else:
            result = await self.agent_bay.context.get(context_id=model.id)
        if not result.success:
            return self.failed("get", result.error_message)
        if result.context_id != model.id or result.context is None:
            return self.problem(f"get {model} answered {result.context}")
        if result.context.name != model.name:
            self.problem(f"get {model.id}: name {result.context.name}, expected {model.name}")
        return None

    async def upload(self) -> None:
        model = self.pick()
        path = self.rng.choice(PATHS)
        data = self.rng.randbytes(self.rng.choice(SIZES))
        result = await self.agent_bay.context.upload_file(model.id, path, data)
        if not result.success:
            return self.failed("upload", result.error_message)
        if result.data != len(data):
            self.problem(f"upload {path}: {result.data} bytes acknowledged, sent {len(data)}")
        model.files[path] = sha(data)
        model.gone.discard(path)
        return None

    async def download(self) -> None:
        model = self.pick()
        if model.files and self.rng.random() < 0.8:
            path = self.rng.choice(sorted(model.files))
            sink = io.BytesIO()
            result = await self.agent_bay.context.download_file(model.id, path, sink)
            if not result.success:
                return self.failed("download", result.error_message)
            if sha(sink.getvalue()) != model.files[path]:
                self.problem(f"download {model.id}{path}: wrong contents")
            return None
        absent = sorted(set(PATHS) - set(model.files))
        if not absent:
            return None
        path = self.rng.choice(absent)
        result = await self.agent_bay.context.download_file(model.id, path, io.BytesIO())
        if result.success:
            self.problem(f"download {model.id}{path}: a file never acknowledged (or deleted)")
        elif "HTTP 404" not in result.error_message:
            self.failed("download", result.error_message)
        return None

    async def rename(self) -> None:
        model = self.pick()
        others = [other for other in self.contexts.values() if other is not model]
        clash = bool(others) and self.rng.random() < 0.15
        name = self.rng.choice(others).name if clash else self.new_name()
        result = await self.agent_bay.context.update(Context(id=model.id, name=name))
        if clash:
            if result.success:
                self.problem(f"rename {model.id} onto the taken name {name} succeeded")
            elif code_of(result.error_message) != "InvalidContext.NameExists":
                self.failed("rename", result.error_message)
            return None
        if not result.success:
            return self.failed("rename", result.error_message)
        model.name = name
        return None

    async def listing(self) -> None:
        roll = self.rng.random()
        if roll < 0.4:
            await self.iterate_contexts()
        elif roll < 0.8:
            await self.iterate_files()
        else:
            result = await self.agent_bay.context.list(ContextListParams(max_results=5))
            if not result.success:
                self.failed("list", result.error_message)
            elif len(result.contexts) > 5:
                self.problem(f"list of 5 answered {len(result.contexts)} contexts")

    async def iterate_contexts(self) -> None:
        seen: dict[str, str] = {}
        try:
            async for context in self.agent_bay.context.iter_contexts(self.rng.choice((7, 50))):
                if context.id in seen:
                    self.problem(f"iter_contexts yielded {context.id} twice")
                seen[context.id] = context.name
        except AgentBayError as exc:
            return self.failed("iter_contexts", f"[{exc.code}] {exc}")
        for model in self.contexts.values():
            if seen.get(model.id) != model.name:
                self.problem(f"iter_contexts: {model} listed as {seen.get(model.id)!r}")
        for context_id in self.deleted & set(seen):
            self.problem(f"iter_contexts: deleted {context_id} is back")
        return None

    async def iterate_files(self) -> None:
        model = self.pick()
        folder = self.rng.choice(("/", "/d1", "/d2"))
        found: set[str] = set()
        try:
            async for entry in self.agent_bay.context.iter_files(model.id, folder, page_size=2):
                found.add(entry.file_path)
        except AgentBayError as exc:
            return self.failed("iter_files", f"[{exc.code}] {exc}")
        expected = children(set(model.files), folder)
        if found != expected:
            self.problem(f"iter_files {model.id}{folder}: {sorted(found)} != {sorted(expected)}")
        return None

    async def delete_file(self) -> None:
        model = self.pick()
        if not model.files:
            return None
        path = self.rng.choice(sorted(model.files))
        result = await self.agent_bay.context.delete_file(model.id, path)
        if not result.success:
            return self.failed("delete_file", result.error_message)
        del model.files[path]
        model.gone.add(path)
        return None

    async def delete(self) -> None:
        model = self.pick()
        result = await self.agent_bay.context.delete(Context(id=model.id, name=model.name))
        if not result.success:
            return self.failed("delete", result.error_message)
        del self.contexts[model.id]
        self.deleted.add(model.id)
        return None


async def verify(url: str, workers: list[Worker]) -> int:
    """Check the acknowledged state with clients that retry until faults cannot win; the
    number of files verified."""
    verified = 0
    for key in KEYS:
        mine = [worker for worker in workers if worker.key == key]
        cfg = Config(
            endpoint=url, timeout_ms=30_000, max_retries=12
        )  # 13 faults in a row: p = 1e-13
        async with AsyncAgentBay(api_key=key, cfg=cfg) as agent_bay:
            listed: dict[str, str] = {}
            async for context in agent_bay.context.iter_contexts(page_size=100):
                assert context.id not in listed, context
                listed[context.id] = context.name
            expected = {m.id: m.name for w in mine for m in w.contexts.values()}
            assert listed == expected  # no context lost, renamed wrongly, or back from the dead
            assert len(set(listed.values())) == len(listed)
            for worker in mine:
                for model in worker.contexts.values():
                    verified += await verify_files(agent_bay, model)
    return verified


async def verify_files(agent_bay: AsyncAgentBay, model: ContextModel) -> int:
    """Every acknowledged file of a context, and only those, with the right contents."""
    found: set[str] = set()
    folders = ["/"]
    while folders:
        folder = folders.pop()
        async for entry in agent_bay.context.iter_files(model.id, folder, page_size=50):
            if entry.file_type == "folder":
                folders.append(entry.file_path)
            else:
                found.add(entry.file_path)
    assert found == set(model.files), model
    for path, digest in model.files.items():
        sink = io.BytesIO()
        result = await agent_bay.context.download_file(model.id, path, sink)
        assert result.success, result
        assert sha(sink.getvalue()) == digest, (model.id, path)
    for path in model.gone:
        result = await agent_bay.context.download_file(model.id, path, io.BytesIO())
        assert not result.success and "HTTP 404" in result.error_message, (model.id, path)
    return len(model.files)


def check_disk(data_dir: Path) -> None:
    """The stopped emulator's SQLite file and content files agree, row for file."""
    db = sqlite3.connect(data_dir / "meta.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = dict(db.execute("SELECT blob, size FROM files").fetchall())
        strays = db.execute(
            "SELECT COUNT(*) FROM files WHERE context_id NOT IN (SELECT id FROM contexts)"
        ).fetchone()
    finally:
        db.close()
    assert strays == (0,)
    blobs = {p.name: p.stat().st_size for p in (data_dir / "blobs").rglob("*") if p.is_file()}
    assert blobs == rows
    assert list((data_dir / "tmp").iterdir()) == []


@pytest.mark.timeout(2 * TIME_LIMIT + 60)
async def test_soak(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tally = Tally()
    draw = FaultInjector.draw

    def counted(injector: FaultInjector) -> Fault:
        fault = draw(injector)
        tally.draws[fault] += 1
        return fault

    monkeypatch.setattr(FaultInjector, "draw", counted)  # the emulator runs in this process
    started = time.monotonic()
    data_dir = tmp_path / "data"
    limits = httpx.Limits(max_connections=WORKERS, max_keepalive_connections=WORKERS)
    with running(data_dir, faults=FAULTS, clear_delay=0.1) as url:
        async with httpx.AsyncClient(limits=limits) as http:
            clients = [
                AsyncAgentBay(
                    api_key=key, cfg=Config(endpoint=url, timeout_ms=30_000), http_client=carrier
                )
                for carrier in (None, http)
                for key in KEYS
            ]
            workers = [
                Worker(number, clients[number % len(clients)], KEYS[number % len(KEYS)], tally)
                for number in range(WORKERS)
            ]
            with anyio.fail_after(TIME_LIMIT):
                async with anyio.create_task_group() as group:
                    for number, worker in enumerate(workers):
                        share = OPERATIONS // WORKERS + (number < OPERATIONS % WORKERS)
                        group.start_soon(worker.run, share)
            for client in clients:
                await client.aclose()
        soaked = time.monotonic() - started
        requests, faults = sum(tally.draws.values()), tally.draws.total() - tally.draws[Fault.NONE]
        with anyio.fail_after(TIME_LIMIT):
            files = await verify(url, workers)
    check_disk(data_dir)

    operations = sum(tally.operations.values())
    failed = sum(tally.failed.values())
    contexts = sum(len(worker.contexts) for worker in workers)
    with capsys.disabled():
        print(
            f"\nsoak: {operations} ops ({WORKERS} concurrent) in {soaked:.1f} s,"
            f" {requests} RPC requests, {faults} faults injected ({faults / requests:.1%}),"
            f" {failed} ops failed after retries ({failed / operations:.2%}"
            f"{', ' + str(dict(tally.failed)) if failed else ''}),"
            f" {len(tally.problems)} problems; verified {contexts} contexts, {files} files,"
            f" {time.monotonic() - started:.1f} s in all"
        )
    assert tally.problems == []
    assert operations == OPERATIONS
    assert faults > 0.05 * requests  # the faults were really there
    assert failed <= MAX_FAILURE_RATE * operations
