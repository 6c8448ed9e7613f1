"""Concurrency: 200 mixed requests at once, across two accounts, leave a consistent store.

The requests race on purpose: creates of the same names, renames onto the same names,
uploads to the same path, uploads into contexts being deleted, deletes of files. Afterwards
the store is checked through the API while the emulator runs, then on disk (SQLite and the
content files) once it has stopped, before any restart could sweep leftovers away.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any

import anyio
import attrs
import httpx
import pytest
from emulator_support import rpc_request

from agentbay_emulator import running

KEYS = ("concurrency-alice", "concurrency-bob")
CONTEXTS_PER_ACCOUNT = 8
DELETED_PER_ACCOUNT = 3
REQUESTS = 200
RACE_PATH = "/race.bin"


def sha(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


@attrs.define
class Outcome:
    """One request of the mix and how the emulator answered it."""

    kind: str
    key: str
    target: str  # a context id, or the name of a create
    value: str = ""  # the new name, the file path
    digest: str = ""  # sha256 of an upload's bytes
    ok: bool = False
    code: str = ""  # the failure's Code
    result: str = ""  # the id a create returned


class Client:
    """RPC and presigned transfers over one shared AsyncClient."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def call(self, key: str, action: str, **params: Any) -> dict[str, Any]:
        response = await self.http.request(**rpc_request(action, key, params))
        body: dict[str, Any] = response.json()
        return body

    async def upload(self, key: str, context_id: str, path: str, data: bytes) -> tuple[bool, str]:
        """Presign and PUT; (acknowledged, failure code)."""
        body = await self.call(key, "GetContextFileUploadUrl", ContextId=context_id, FilePath=path)
        if not body["Success"]:
            return False, body["Code"]
        response = await self.http.put(body["Data"]["Url"], content=data)
        if response.status_code != 200:
            return False, response.json()["Code"]
        return True, ""

    async def download(self, key: str, context_id: str, path: str) -> httpx.Response:
        body = await self.call(
            key, "GetContextFileDownloadUrl", ContextId=context_id, FilePath=path
        )
        assert body["Success"], body
        return await self.http.get(body["Data"]["Url"])

    async def contexts(self, key: str) -> list[dict[str, Any]]:
        """Every context of the account, by following NextToken."""
        found: list[dict[str, Any]] = []
        token = None
        while True:
            body = await self.call(key, "ListContexts", MaxResults=7, NextToken=token)
            assert body["Success"], body
            found += body["Data"]
            token = body.get("NextToken")
            if token is None:
                assert body["TotalCount"] == len(found)
                return found


def plan(rng: random.Random, contexts: dict[str, list[str]]) -> list[Outcome]:
    """The 200 requests: the same few names, paths and doomed contexts, hit many times."""
    doomed = {key: rng.sample(ids, DELETED_PER_ACCOUNT) for key, ids in contexts.items()}
    mix: list[Outcome] = []
    for key in KEYS:
        mix += [Outcome("delete", key, context_id) for context_id in doomed[key]]
        mix += [Outcome("delete_file", key, context_id, "/pre/1") for context_id in contexts[key]]
    uploads = 0
    while len(mix) < REQUESTS:
        key = rng.choice(KEYS)
        context_id = rng.choice(contexts[key])
        roll = rng.random()
        if roll < 0.25:
            mix.append(Outcome("create", key, f"shared-{rng.randrange(4)}"))
        elif roll < 0.45:
            mix.append(Outcome("rename", key, context_id, f"renamed-{rng.randrange(5)}"))
        else:
            uploads += 1
            path = RACE_PATH if roll < 0.6 else f"/u/{uploads}.bin"
            mix.append(Outcome("upload", key, context_id, path))
    rng.shuffle(mix)
    return mix


async def perform(client: Client, outcome: Outcome, payload: bytes) -> None:
    """Send one request of the mix and record the answer in ``outcome``."""
    if outcome.kind == "upload":
        outcome.digest = sha(payload)
        outcome.ok, outcome.code = await client.upload(
            outcome.key, outcome.target, outcome.value, payload
        )
        return
    if outcome.kind == "create":
        body = await client.call(outcome.key, "GetContext", Name=outcome.target, AllowCreate=True)
        outcome.result = body["Data"]["Id"] if body["Success"] else ""
    elif outcome.kind == "rename":
        body = await client.call(
            outcome.key, "ModifyContext", Id=outcome.target, Name=outcome.value
        )
    elif outcome.kind == "delete":
        body = await client.call(outcome.key, "DeleteContext", Id=outcome.target)
    else:
        body = await client.call(
            outcome.key, "DeleteContextFile", ContextId=outcome.target, FilePath=outcome.value
        )
    outcome.ok, outcome.code = body["Success"], body["Code"]


@pytest.mark.timeout(60)
async def test_200_mixed_concurrent_requests_leave_a_consistent_store(tmp_path: Path) -> None:
    rng = random.Random(20251124)
    limits = httpx.Limits(max_connections=REQUESTS, max_keepalive_connections=REQUESTS)
    with running(tmp_path) as url:
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
            client = Client(http)
            contexts: dict[str, list[str]] = {}
            originals: dict[str, str] = {}
            pre: dict[tuple[str, str], bytes] = {}
            for key in KEYS:
                contexts[key] = []
                for index in range(CONTEXTS_PER_ACCOUNT):
                    name = f"base-{index}"
                    body = await client.call(key, "GetContext", Name=name, AllowCreate=True)
                    context_id = body["Data"]["Id"]
                    contexts[key].append(context_id)
                    originals[context_id] = name
                    for path in ("/pre/1", "/pre/2"):
                        pre[context_id, path] = rng.randbytes(rng.randrange(1, 4000))
                        ok, _ = await client.upload(key, context_id, path, pre[context_id, path])
                        assert ok
            mix = plan(rng, contexts)
            # Mostly small payloads, a few spanning several of the server's 1 MiB chunks.
            payloads = [
                rng.randbytes(rng.choice((0, 1, 700, 60_000, 2_500_000)))
                if outcome.kind == "upload"
                else b""
                for outcome in mix
            ]
            async with anyio.create_task_group() as group:
                for outcome, payload in zip(mix, payloads, strict=True):
                    group.start_soon(perform, client, outcome, payload)

            await check_live(client, mix, contexts, originals, pre)
    check_on_disk(tmp_path, mix, contexts)


async def check_live(
    client: Client,
    mix: list[Outcome],
    contexts: dict[str, list[str]],
    originals: dict[str, str],
    pre: dict[tuple[str, str], bytes],
) -> None:
    """What the API shows once the dust has settled."""
    kinds = {outcome.kind for outcome in mix}
    assert kinds == {"create", "rename", "upload", "delete", "delete_file"}
    deleted = {o.target for o in mix if o.kind == "delete" and o.ok}
    assert len(deleted) == DELETED_PER_ACCOUNT * len(KEYS)  # each doomed context, once
    for outcome in mix:  # nothing refused but what the races explain
        if outcome.ok:
            continue
        explained = {
            "create": set(),
            "delete": set(),
            "rename": {"InvalidContext.NameExists", "InvalidContext.NotFound"},
            "upload": {"InvalidContext.NotFound", "NoSuchBucket"},
            "delete_file": {"InvalidContext.NotFound"},
        }[outcome.kind]
        assert outcome.code in explained, outcome
        if outcome.code != "InvalidContext.NameExists":
            assert outcome.target in deleted, outcome

    for key in KEYS:
        listed = await client.contexts(key)
        names = [item["Name"] for item in listed]
        assert len(names) == len(set(names)), names  # no duplicate names in an account
        by_id = {item["Id"]: item["Name"] for item in listed}
        created: dict[str, set[str]] = defaultdict(set)
        for outcome in mix:
            if outcome.kind == "create" and outcome.key == key:
                assert outcome.ok, outcome
                created[outcome.target].add(outcome.result)
        for name, ids in created.items():  # concurrent creates of a name: one context
            assert len(ids) == 1, (name, ids)
            assert by_id[ids.pop()] == name
        survivors = [c for c in contexts[key] if c not in deleted]
        expected_ids = set(survivors) | {
            o.result for o in mix if o.kind == "create" and o.key == key
        }
        assert set(by_id) == expected_ids  # accounts see exactly their own contexts

        for context_id in survivors:
            renames = {o.value for o in mix if o.kind == "rename" and o.target == context_id}
            acked = {o.value for o in mix if o.kind == "rename" and o.target == context_id and o.ok}
            assert by_id[context_id] in (acked or {originals[context_id]}), (renames, acked)

            uploads = [o for o in mix if o.kind == "upload" and o.target == context_id]
            assert all(o.ok for o in uploads), uploads
            for outcome in uploads:
                if outcome.value != RACE_PATH:
                    got = await client.download(key, context_id, outcome.value)
                    assert got.status_code == 200 and sha(got.content) == outcome.digest
            race = {o.digest for o in uploads if o.value == RACE_PATH}
            got = await client.download(key, context_id, RACE_PATH)
            if race:  # the last writer wins, whole: one of the acknowledged contents
                assert got.status_code == 200 and sha(got.content) in race
            else:
                assert got.status_code == 404
            assert (await client.download(key, context_id, "/pre/1")).status_code == 404
            kept = await client.download(key, context_id, "/pre/2")
            assert kept.content == pre[context_id, "/pre/2"]

        for context_id in deleted & set(contexts[key]):
            body = await client.call(key, "GetContext", ContextId=context_id)
            assert body["Code"] == "InvalidContext.NotFound"


def check_on_disk(data_dir: Path, mix: list[Outcome], contexts: dict[str, list[str]]) -> None:
    """The stopped emulator's SQLite file and content files agree, row for file."""
    db = sqlite3.connect(data_dir / "meta.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        duplicates = db.execute(
            "SELECT account, name FROM contexts GROUP BY account, name HAVING COUNT(*) > 1"
        ).fetchall()
        assert duplicates == []
        stray_rows = db.execute(
            "SELECT path FROM files WHERE context_id NOT IN (SELECT id FROM contexts)"
        ).fetchall()
        assert stray_rows == []  # no file of a deleted context
        rows = dict(db.execute("SELECT blob, size FROM files").fetchall())
        context_count = db.execute("SELECT COUNT(*) FROM contexts").fetchone()[0]
    finally:
        db.close()
    blobs = {
        path.name: path.stat().st_size for path in (data_dir / "blobs").rglob("*") if path.is_file()
    }
    assert blobs == rows  # no content without a row, no row without its content
    assert list((data_dir / "tmp").iterdir()) == []

    deleted = {o.target for o in mix if o.kind == "delete" and o.ok}
    names = {(o.key, o.target) for o in mix if o.kind == "create"}
    all_ids = [c for ids in contexts.values() for c in ids]
    assert context_count == len(all_ids) - len(deleted) + len(names)
    expected_files = 0
    for context_id in set(all_ids) - deleted:
        paths = {o.value for o in mix if o.kind == "upload" and o.target == context_id}
        expected_files += len(paths) + 1  # and /pre/2
    assert len(rows) == expected_files


async def test_a_context_deleted_during_an_upload_keeps_nothing_of_it(tmp_path: Path) -> None:
    with running(tmp_path) as url:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            client = Client(http)
            key = KEYS[0]
            body = await client.call(key, "GetContext", Name="doomed", AllowCreate=True)
            context_id = body["Data"]["Id"]
            body = await client.call(
                key, "GetContextFileUploadUrl", ContextId=context_id, FilePath="/big.bin"
            )
            parts = tmp_path / "tmp"

            async def content() -> Any:
                yield b"x" * 3_000_000  # more than a chunk: the server starts writing it
                with anyio.fail_after(10):
                    while not any(parts.iterdir()):
                        await anyio.sleep(0.01)
                deleted = await client.call(key, "DeleteContext", Id=context_id)
                assert deleted["Success"], deleted
                yield b"y" * 1_000_000

            response = await http.put(
                body["Data"]["Url"], content=content(), headers={"content-length": "4000000"}
            )
            assert response.status_code == 404 and response.json()["Code"] == "NoSuchBucket"
    assert list(parts.iterdir()) == []
    assert [path for path in (tmp_path / "blobs").rglob("*") if path.is_file()] == []
    db = sqlite3.connect(tmp_path / "meta.sqlite3")
    try:
        assert db.execute("SELECT COUNT(*) FROM files").fetchone() == (0,)
    finally:
        db.close()
