"""Fault injection: parsing, rates, shapes, no side effects, latency, reproducibility."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from emulator_support import check_envelope, new_key, rpc_request
from starlette.applications import Starlette

from agentbay_emulator import create_app
from agentbay_emulator.faults import FaultSpec, parse_duration


def test_parse() -> None:
    spec = FaultSpec.parse("throttle=0.1, latency=20ms,error=0.05,seed=7")
    assert spec == FaultSpec(throttle=0.1, error=0.05, latency=0.02, seed=7)
    assert FaultSpec.parse("") == FaultSpec() and not FaultSpec().active
    assert parse_duration("1.5s") == 1.5 and parse_duration("250") == 0.25


@pytest.mark.parametrize(
    "spec",
    [
        "throttle=2",
        "error=-0.1",
        "latency=fast",
        "boom=1",
        "throttle",
        "seed=x",
        "throttle=0.6,error=0.6",
    ],
)
def test_bad_specs(spec: str) -> None:
    with pytest.raises(ValueError):
        FaultSpec.parse(spec)


@contextlib.asynccontextmanager
async def _app_client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://emulator.test"
        ) as client:
            yield client
    finally:
        app.state.emulator.close()


async def test_rates_are_roughly_honoured_and_faults_have_no_effect(tmp_path: Path) -> None:
    app = create_app(tmp_path, faults="throttle=0.2,error=0.1,seed=42")
    emulator = app.state.emulator
    key = new_key()
    account = emulator.account_of(key)
    statuses: Counter[int] = Counter()
    async with _app_client(app) as http:
        for index in range(400):
            name = f"n{index}"
            response = await http.request(
                **rpc_request("GetContext", key, {"Name": name, "AllowCreate": True})
            )
            body = response.json()
            check_envelope(body)
            statuses[response.status_code] += 1
            created = emulator.store.find_context(account, name)
            if response.status_code == 503:
                assert body["Code"] == "Throttling" and body["Success"] is False
                assert response.headers["retry-after"] == "0"
                assert created is None
            elif response.status_code == 500:
                assert body["Code"] == "InternalError"
                assert created is None
            else:
                assert response.status_code == 200 and created is not None
        assert emulator.store.count_contexts(account) == statuses[200]
    assert set(statuses) == {200, 500, 503}
    assert 50 <= statuses[503] <= 110  # 20 % of 400
    assert 20 <= statuses[500] <= 65  # 10 % of 400


async def test_a_seed_makes_faults_reproducible(tmp_path: Path) -> None:
    runs = []
    for run in range(2):
        app = create_app(tmp_path / str(run), faults="throttle=0.3,error=0.2,seed=5")
        codes = []
        async with _app_client(app) as http:
            for _ in range(40):
                response = await http.request(**rpc_request("ListContexts", "k", {}))
                codes.append(response.status_code)
        runs.append(codes)
    assert runs[0] == runs[1] and len(set(runs[0])) == 3


async def test_latency_is_added_to_rpc_calls(tmp_path: Path) -> None:
    app = create_app(tmp_path, faults="latency=60ms")
    async with _app_client(app) as http:
        started = time.perf_counter()
        response = await http.request(**rpc_request("ListContexts", "k", {}))
        assert response.status_code == 200
        assert time.perf_counter() - started >= 0.06


async def test_rpc_faults_spare_file_transfers(tmp_path: Path) -> None:
    app = create_app(tmp_path, faults="throttle=0.3,error=0.3,seed=1")
    async with _app_client(app) as http:

        async def call(action: str, **params: object) -> dict[str, object]:
            while True:  # retry through the faults, as a client would
                response = await http.request(**rpc_request(action, "k", params))
                if response.status_code == 200:
                    body: dict[str, object] = response.json()
                    return body

        context = await call("GetContext", Name="c", AllowCreate=True)
        context_id = context["Data"]["Id"]  # type: ignore[index]
        up = await call("GetContextFileUploadUrl", ContextId=context_id, FilePath="/f")
        down = await call("GetContextFileDownloadUrl", ContextId=context_id, FilePath="/f")
        put = await http.put(up["Data"]["Url"], content=b"payload")  # type: ignore[index]
        assert put.status_code == 200
        for _ in range(20):
            got = await http.get(down["Data"]["Url"])  # type: ignore[index]
            assert got.status_code == 200 and got.content == b"payload"
