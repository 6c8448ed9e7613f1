"""Throttling as the POP gateway answers it (HTTP 400 ``Throttling.User``, 503
``ServiceUnavailable``, ``x-acs-retry-after`` in milliseconds), the retried failure's message,
and ``http_status_code`` from the body, in results and errors."""

from __future__ import annotations

import httpx
import pytest
import respx

from agentbay import AgentBayError, Config
from agentbay._transports.timing import Deadline
from tests._async.clocked import frozen_clock
from tests._async.mocking import mocked
from tests.helpers import CONTEXT_DATA, ENDPOINT, ok

CODES = ["Throttling", "Throttling.User", "Throttling.Api", "ServiceUnavailable"]


def slow_down(code: str, status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    """A throttling answer of the gateway: no ``HttpStatusCode`` in its body."""
    body = {"RequestId": "req-t", "Code": code, "Message": "Request was denied."}
    return httpx.Response(status, json=body, headers=headers)


@pytest.mark.parametrize("status", [400, 503])
@pytest.mark.parametrize("code", CODES)
async def test_throttling_codes_are_retried_at_any_status(
    code: str, status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_clock(monkeypatch)
    with respx.mock(base_url=ENDPOINT) as api:
        route = api.post("/").mock(side_effect=[slow_down(code, status), ok(CONTEXT_DATA)])
        async with mocked(Config(endpoint=ENDPOINT, timeout_ms=5000)) as client:
            result = await client.context.get(name="a")
    assert result.success and route.call_count == 2
    assert len(clock.slept) == 1 and 0 <= clock.slept[0] <= 0.1  # jitter: no header


@pytest.mark.parametrize("status", [400, 503])
@pytest.mark.parametrize("code", CODES)
async def test_x_acs_retry_after_is_waited_for(
    code: str, status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_clock(monkeypatch)
    throttled = slow_down(code, status, {"x-acs-retry-after": "1250"})
    with respx.mock(base_url=ENDPOINT) as api:
        route = api.post("/").mock(side_effect=[throttled, ok(CONTEXT_DATA)])
        async with mocked(Config(endpoint=ENDPOINT, timeout_ms=5000)) as client:
            result = await client.context.get(name="a")
    assert result.success and route.call_count == 2
    assert clock.slept == [1.25]


async def test_x_acs_retry_after_past_the_deadline_is_not_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = frozen_clock(monkeypatch)
    throttled = slow_down("Throttling.User", 400, {"x-acs-retry-after": "2000"})
    with respx.mock(base_url=ENDPOINT) as api:
        route = api.post("/").mock(side_effect=[throttled, ok(CONTEXT_DATA)])
        async with mocked(Config(endpoint=ENDPOINT, timeout_ms=5000)) as client:
            reply = await client.channel.call("GetContext", {"Name": "a"}, Deadline(total=1.0))
    assert route.call_count == 1 and clock.slept == []
    assert (reply.ok, reply.code, reply.http_status) == (False, "Throttling.User", 400)


@pytest.mark.parametrize("code", ["ThrottlingUser", "InvalidParameter.Throttling", "Unknown"])
async def test_other_codes_at_400_are_not_retried(code: str) -> None:
    with respx.mock(base_url=ENDPOINT) as api:
        route = api.post("/").mock(return_value=slow_down(code, 400))
        async with mocked(Config(endpoint=ENDPOINT, timeout_ms=5000)) as client:
            result = await client.context.get(name="a")
    assert not result.success and route.call_count == 1
    assert result.error_message == f"[{code}] Request was denied."


@pytest.mark.parametrize(("retries", "suffix"), [(0, ""), (2, " (after 3 attempts)")])
async def test_a_retried_failure_says_how_many_attempts(
    retries: int, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen_clock(monkeypatch)
    with respx.mock(base_url=ENDPOINT) as api:
        route = api.post("/").mock(return_value=slow_down("Throttling.User", 400))
        async with mocked(
            Config(endpoint=ENDPOINT, timeout_ms=5000, max_retries=retries)
        ) as client:
            result = await client.context.get(name="a")
    assert route.call_count == retries + 1
    assert result.error_message == "[Throttling.User] Request was denied." + suffix
    assert (result.code, result.message) == ("Throttling.User", "Request was denied.")


def _missing(http: int, body_status: int | None) -> httpx.Response:
    body = {"RequestId": "r", "Success": False, "Code": "InvalidContext.NotFound", "Message": "no"}
    if body_status is not None:
        body["HttpStatusCode"] = body_status
    return httpx.Response(http, json=body)


@pytest.mark.parametrize(
    ("http", "body_status", "reported"), [(200, 404, 404), (400, None, 400), (200, "404", 404)]
)
async def test_http_status_code_is_the_body_s_else_the_http_status(
    http: int, body_status: int | None, reported: int
) -> None:
    with respx.mock(base_url=ENDPOINT) as api:
        api.post("/").mock(return_value=_missing(http, body_status))
        async with mocked(Config(endpoint=ENDPOINT, timeout_ms=5000, max_retries=0)) as client:
            result = await client.context.get(name="a")
            assert not result.success and result.http_status_code == reported
            with pytest.raises(AgentBayError) as raised:
                await client.context.clear("ctx-1", timeout=1)
    assert raised.value.http_status_code == reported


@pytest.mark.parametrize(
    ("answer", "admitted", "throttled"),
    [
        (ok(CONTEXT_DATA), True, False),
        (slow_down("InvalidParameter", 400), True, False),  # the service's own refusal
        (slow_down("Throttling.User", 400), False, True),
        (httpx.Response(502, text="<html>bad gateway</html>"), False, False),  # not the service
    ],
)
async def test_the_pacer_learns_which_answers_the_service_took(
    answer: httpx.Response, admitted: bool, throttled: bool
) -> None:
    learnt: list[tuple[bool, bool]] = []
    with respx.mock(base_url=ENDPOINT) as api:
        api.post("/").mock(return_value=answer)
        cfg = Config(endpoint=ENDPOINT, timeout_ms=5000, max_retries=0)
        async with mocked(cfg) as client:
            pace = client.channel._pace  # the pacer is what is observed

            def answered(sent_at: float, *, admitted: bool, throttled: bool, **_: object) -> None:
                learnt.append((admitted, throttled))

            pace.answered = answered  # type: ignore[method-assign]
            await client.context.get(name="a")
    assert learnt == [(admitted, throttled)]
