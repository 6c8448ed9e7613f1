"""Fuzzing: no request, however malformed, makes the emulator answer 500.

Every action gets requests built from valid parameters with one to three of them replaced by
fuzz (bytes that are not UTF-8, huge numbers, real, mangled and forged tokens, unknown ids),
plus stray parameters, split between the query string and the form body (raw or escaped). The
presigned-file route gets arbitrary queries. All of it in-process, straight into the app.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_from_bytes

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentbay_emulator import create_app
from agentbay_emulator.actions import ACTIONS

KEY = "fuzz-key"
COMMON = ["Action", "Authorization", "Version"]
PARAMETERS = {
    "GetContext": ["ContextId", "Name", "AllowCreate"],
    "ListContexts": ["MaxResults", "NextToken", "SessionId"],
    "ModifyContext": ["Id", "Name"],
    "DeleteContext": ["Id"],
    "ClearContext": ["Id"],
    "GetContextFileDownloadUrl": ["ContextId", "FilePath"],
    "GetContextFileUploadUrl": ["ContextId", "FilePath"],
    "DeleteContextFile": ["ContextId", "FilePath"],
    "DescribeContextFiles": [
        "ContextId",
        "ParentFolderPath",
        "PageNumber",
        "PageSize",
        "MaxResults",
        "NextToken",
    ],
}
ALL_NAMES = sorted({name for names in PARAMETERS.values() for name in names} | set(COMMON))
SPECIAL = [
    *[b"", b"0", b"-1", b"101", b"1000001", b"1.5", b"true", b"True", b"2025-05-06"],
    *[b"/", b"..", b"/a/../b", b"/d/", b"%", b"%ZZ", b"%FF", b"%C0%AF", b"%ED%A0%80", b"\x00"],
    *[b"Bearer ", b"ctx-0000000000000000", b"9" * 30, b"-" + b"9" * 30, b"9" * 5000],
]
BIG = [2**63 - 1, 2**63, 2**64, 10**21, 10**400, -(2**63) - 1, -(10**21)]
INTEGERS = st.integers() | st.sampled_from(BIG)
JSON = st.recursive(
    st.none() | st.booleans() | INTEGERS | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)
SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _b64(raw: bytes) -> bytes:
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


def _json_b64(value: Any) -> bytes:
    return _b64(json.dumps(value).encode())


class InProcess:
    """A blocking client of the app in-process: no server between it and the requests."""

    def __init__(self, portal: BlockingPortal, client: httpx.AsyncClient) -> None:
        self.portal = portal
        self.client = client

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request; whatever the app raises is raised here."""
        return self.portal.call(functools.partial(self.client.request, method, url, **kwargs))

    def call(self, action: str, **params: str) -> dict[str, Any]:
        """One action of the fuzzing account that must succeed; its body."""
        form = {"Authorization": f"Bearer {KEY}", **params}
        response = self.request("POST", "/", params={"Action": action}, data=form)
        body: dict[str, Any] = response.json()
        assert response.status_code == 200 and body["Success"], body
        return body


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcess]:
    """The emulator app behind an in-process client."""
    app = create_app(tmp_path_factory.mktemp("fuzz"), clear_delay=0.0)
    with start_blocking_portal() as portal:
        transport = httpx.ASGITransport(app=app)
        client = httpx.AsyncClient(transport=transport, base_url="http://emulator.test")
        yield InProcess(portal, client)
        portal.call(client.aclose)
    app.state.emulator.close()


def _seeds(client: InProcess) -> dict[str, bytes]:
    """A context with files, two tokens that work (all made again if fuzzing broke them)."""
    context_id = client.call("GetContext", Name="fuzz-home", AllowCreate="true")["Data"]["Id"]
    files = client.call("DescribeContextFiles", ContextId=context_id, MaxResults="1")
    if files.get("NextToken") is None:
        for path in ("/a", "/b", "/d/c", "/d/e/f"):
            url = client.call("GetContextFileUploadUrl", ContextId=context_id, FilePath=path)
            assert client.request("PUT", url["Data"]["Url"], content=b"x").status_code == 200
        files = client.call("DescribeContextFiles", ContextId=context_id, MaxResults="1")
    contexts = client.call("ListContexts", MaxResults="1")
    if contexts.get("NextToken") is None:
        client.call("GetContext", Name="fuzz-other", AllowCreate="true")
        contexts = client.call("ListContexts", MaxResults="1")
    return {
        "context": context_id.encode(),
        "files": files["NextToken"].encode(),
        "contexts": contexts["NextToken"].encode(),
    }


def _anything(seeds: dict[str, bytes]) -> st.SearchStrategy[bytes]:
    return (
        st.sampled_from(SPECIAL + list(seeds.values()))
        | st.binary(max_size=40)
        | st.text(max_size=40).map(str.encode)
        | INTEGERS.map(lambda number: str(number).encode())
        | JSON.map(_json_b64)
    )


def _token(seeds: dict[str, bytes]) -> st.SearchStrategy[bytes]:
    real = st.sampled_from([seeds["files"], seeds["contexts"]])
    after = st.builds(lambda value: {"after": value}, INTEGERS | st.lists(JSON, max_size=2))
    return st.one_of(
        real,
        st.tuples(real, st.binary(min_size=1, max_size=4)).map(b"".join),
        after.map(_json_b64),
        after.map(_json_b64).flatmap(lambda token: real.map(lambda r: token + r[r.index(b".") :])),
        st.tuples(JSON.map(_json_b64), st.binary(max_size=24).map(_b64)).map(b".".join),
    )


def _aimed(name: str, seeds: dict[str, bytes]) -> st.SearchStrategy[bytes]:
    if name == "NextToken":
        return _token(seeds)
    if name in ("MaxResults", "PageNumber", "PageSize"):
        return INTEGERS.map(lambda number: str(number).encode())
    if name in ("ContextId", "Id"):
        return st.sampled_from([seeds["context"], b"ctx-0000000000000000"])
    return st.text(max_size=300).map(str.encode)


def _fuzzed(name: str, seeds: dict[str, bytes]) -> st.SearchStrategy[bytes]:
    """Mostly a value aimed at the parameter's kind, now and then anything at all."""
    return st.integers(0, 3).flatmap(lambda pick: _aimed(name, seeds) if pick else _anything(seeds))


def _valid(seeds: dict[str, bytes]) -> dict[str, bytes]:
    return {
        "ContextId": seeds["context"],
        "Id": seeds["context"],
        "Name": b"fuzz-other",
        "FilePath": b"/a",
        "ParentFolderPath": b"/",
        "MaxResults": b"2",
        "Authorization": b"Bearer " + KEY.encode(),
    }


def _encoded(pairs: list[tuple[bytes, bytes]], escape: list[bool]) -> bytes:
    parts = []
    for (name, value), escaped in zip(pairs, escape, strict=True):
        if escaped:
            name, value = quote_from_bytes(name).encode(), quote_from_bytes(value).encode()
        parts.append(name + b"=" + value)
    return b"&".join(parts)


def test_the_fuzz_seeds_are_real(fuzz_client: InProcess) -> None:
    """The seeds reach past parameter checking: a real context and tokens that page."""
    seeds = {key: value.decode() for key, value in _seeds(fuzz_client).items()}
    files = fuzz_client.call(
        "DescribeContextFiles", ContextId=seeds["context"], NextToken=seeds["files"]
    )
    assert files["Data"] and files["Count"] >= 2
    assert fuzz_client.call("ListContexts", NextToken=seeds["contexts"])["Data"]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("action", [*ACTIONS, "Nope"])
@SETTINGS
@given(data=st.data())
def test_no_rpc_request_answers_500(
    fuzz_client: InProcess, action: str, data: st.DataObject
) -> None:
    seeds = _seeds(fuzz_client)
    names = PARAMETERS.get(action, ALL_NAMES) + COMMON
    fuzzed = data.draw(st.sets(st.sampled_from(names), min_size=1, max_size=3), label="fuzzed")
    pairs: list[tuple[bytes, bytes]] = []
    for name in names:
        if name in fuzzed:
            pairs.append((name.encode(), data.draw(_fuzzed(name, seeds), label=name)))
        elif name in _valid(seeds) and data.draw(st.integers(0, 3), label=name):
            pairs.append((name.encode(), _valid(seeds)[name]))
    stray = st.tuples(
        st.sampled_from(ALL_NAMES).map(str.encode) | st.binary(max_size=8), _anything(seeds)
    )
    pairs += data.draw(st.lists(stray, max_size=2), label="stray")
    pairs = data.draw(st.permutations(pairs), label="order")
    where = data.draw(
        st.lists(
            st.sampled_from(["query", "body", "raw body"]), min_size=len(pairs), max_size=len(pairs)
        )
    )
    query = [pair for pair, place in zip(pairs, where, strict=True) if place == "query"]
    body = [
        (pair, place == "body")
        for pair, place in zip(pairs, where, strict=True)
        if place != "query"
    ]
    target = "/?Action=" + quote_from_bytes(action.encode())
    if query:  # a URL carries no raw bytes: always escaped
        target += "&" + _encoded(query, [True] * len(query)).decode()
    response = fuzz_client.request(
        data.draw(st.sampled_from(["POST", "GET"]), label="method"),
        target,
        content=_encoded([pair for pair, _ in body], [escaped for _, escaped in body]),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code < 500, response.text
    reply = response.json()
    assert reply["Success"] is (response.status_code == 200 and reply["HttpStatusCode"] == 200)
    assert reply["Code"] and reply["RequestId"]


@pytest.mark.timeout(120)
@SETTINGS
@given(
    method=st.sampled_from(["GET", "HEAD", "PUT"]),
    context=st.text(max_size=20),
    pairs=st.lists(
        st.tuples(
            st.sampled_from([b"acct", b"path", b"method", b"exp", b"sig"]) | st.binary(max_size=6),
            st.sampled_from(SPECIAL)
            | st.binary(max_size=30)
            | st.text(max_size=30).map(str.encode),
        ),
        max_size=6,
    ),
)
def test_no_transfer_request_answers_500(
    fuzz_client: InProcess, method: str, context: str, pairs: list[tuple[bytes, bytes]]
) -> None:
    query = _encoded(pairs, [True] * len(pairs)).decode()
    target = "/files/" + quote_from_bytes(context.encode() or b"x", safe="") + "?" + query
    response = fuzz_client.request(method, target, content=b"data" if method == "PUT" else None)
    assert response.status_code < 500, response.text
