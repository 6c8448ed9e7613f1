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
from agentbay_emulator.faults import FaultInjector, FaultSpec, Quota, parse_duration


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
        "quota=0",
        "quota=many",
        "quota:GetContext=5/never",
        "quota_retry_after=maybe",
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
            if response.status_code == 400:  # as the POP gateway throttles
                assert body["Code"] == "Throttling.User" and body["Success"] is False
                assert body["Message"] == "Request was denied due to user flow control."
                assert "retry-after" not in response.headers
                assert created is None
            elif response.status_code == 500:
                assert body["Code"] == "InternalError"
                assert created is None
            else:
                assert response.status_code == 200 and created is not None
        assert emulator.store.count_contexts(account) == statuses[200]
    assert set(statuses) == {200, 400, 500}
    assert 50 <= statuses[400] <= 110  # 20 % of 400
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


def test_parse_quotas() -> None:
    spec = FaultSpec.parse(
        "quota=200, quota:GetContext=50/2s,quota:ListContexts=5/60,quota_retry_after=1"
    )
    assert spec.quotas == (
        Quota(200, 1.0, ""),
        Quota(50, 2.0, "GetContext"),
        Quota(5, 60.0, "ListContexts"),
    )
    assert spec.quota_retry_after and spec.active
    assert not FaultSpec.parse("quota=5").quota_retry_after


def test_quotas_count_per_account_per_window() -> None:
    now = [10.25]
    faults = FaultInjector(FaultSpec.parse("quota=3,quota:GetContext=2"), clock=lambda: now[0])
    assert [faults.admit("a", "GetContext") for _ in range(2)] == [None, None]
    assert faults.admit("a", "GetContext") == pytest.approx(0.75)  # the action's quota
    assert faults.admit("a", "ListContexts") is None  # the overall quota: 3rd call
    assert faults.admit("a", "ListContexts") == pytest.approx(0.75)
    assert faults.admit("b", "GetContext") is None  # another account
    now[0] = 11.0  # the next window
    assert faults.admit("a", "GetContext") is None


@pytest.mark.parametrize("header", [True, False])
async def test_a_call_past_its_quota_is_throttled_like_the_gateway(
    tmp_path: Path, header: bool
) -> None:
    faults = "quota:ListContexts=2/3600" + (",quota_retry_after=1" if header else "")
    app = create_app(tmp_path, faults=faults)
    key = new_key()
    async with _app_client(app) as http:
        answers = [await http.request(**rpc_request("ListContexts", key, {})) for _ in range(3)]
        other = await http.request(**rpc_request("GetContext", key, {"Name": "n"}))
    assert [a.status_code for a in answers] == [200, 200, 400]
    body = answers[2].json()
    check_envelope(body)
    assert (body["Code"], body["HttpStatusCode"]) == ("Throttling.User", 400)
    assert body["Message"] == "Request was denied due to user flow control."
    wait = answers[2].headers.get("x-acs-retry-after")
    assert (wait is not None) == header
    if wait is not None:
        assert 0 < int(wait) <= 3_600_000
    assert other.status_code == 200 and other.json()["Code"] == "InvalidContext.NotFound"
