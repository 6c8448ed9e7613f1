"""The pure wire layer: form encoding and decoding of arbitrary, possibly hostile, replies."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from agentbay import _wire
from agentbay._models import ApiResponse

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = ["Id", "Name", "CreateTime", "State", "Url", "ExpireTime", "FileId", "Size", "Count"]
# Replies shaped like the service's, with any JSON in any field.
REPLIES = st.fixed_dictionaries(
    {"Success": st.booleans() | JSON, "RequestId": JSON},
    optional={
        "Data": JSON
        | st.dictionaries(st.sampled_from(FIELDS), JSON)
        | st.lists(st.dictionaries(st.sampled_from(FIELDS), JSON), max_size=3),
        "Code": JSON,
        "Message": JSON,
        "NextToken": JSON,
        "TotalCount": JSON,
        "Count": JSON,
    },
)
BUILDERS = [
    _wire.context_result,
    _wire.context_list_result,
    _wire.file_list_result,
    _wire.file_url_result,
    _wire.operation_result,
    _wire.clear_status_result,
    lambda reply: _wire.clear_started_result(reply, "ctx-1"),
]


def test_encode_form_sorts_keys_drops_none_and_spells_booleans() -> None:
    body = _wire.encode_form({"Name": "a b&c", "AllowCreate": True, "Skip": None, "N": 3}, "k")
    assert body == b"AllowCreate=true&Authorization=Bearer%20k&N=3&Name=a%20b%26c"


@given(status=st.sampled_from([200, 400, 404, 500, 503]), content=st.binary(max_size=64))
def test_any_bytes_decode_to_a_reply(status: int, content: bytes) -> None:
    reply = _wire.decode_reply(status, content)
    assert isinstance(reply, _wire.Reply)
    assert reply.ok or reply.error


@given(body=REPLIES | JSON, status=st.sampled_from([200, 400, 503]))
def test_any_json_builds_a_result_without_raising(body: Any, status: int) -> None:
    reply = _wire.decode_reply(status, json.dumps(body).encode())
    for build in BUILDERS:
        result = build(reply)
        assert isinstance(result, ApiResponse)
        success = result.success
        assert success is reply.ok or not success
        if not success:
            assert result.error_message  # type: ignore[attr-defined]


def test_a_reply_with_success_is_ok_only_below_400() -> None:
    assert _wire.decode_reply(200, b'{"Success": true}').ok
    assert not _wire.decode_reply(500, b'{"Success": true}').ok


def test_throttling_is_retryable_and_honours_retry_after() -> None:
    reply = _wire.decode_reply(503, b'{"Code": "Throttling", "Message": "m"}', "2")
    assert reply.retryable and reply.retry_after == 2.0
    assert _wire.backoff_delay(0, reply) == 2.0
    refused = _wire.decode_reply(400, b'{"Code": "InvalidParameter", "Message": "m"}')
    assert not refused.retryable


def test_backoff_is_jittered_and_capped() -> None:
    reply = _wire.failure("x", retryable=True)
    delays = [_wire.backoff_delay(attempt, reply) for attempt in range(12) for _ in range(20)]
    assert all(0 <= d <= _wire.MAX_BACKOFF_S for d in delays)
    assert len(set(delays)) > 100


def test_a_gateway_page_is_retryable_and_keeps_retry_after() -> None:
    reply = _wire.decode_reply(503, b"<html>Service Unavailable</html>", "1.5")
    assert not reply.ok and reply.retryable and reply.retry_after == 1.5
    assert reply.error.startswith("HTTP 503: the response is not JSON")
    assert reply.code is None  # no answer from the service itself
