"""What a result says about a reply of the service: the exact code, message and status a user
reads for a body that is not JSON, too deep, not an object, a refusal without a code or message,
and a success whose fields have the wrong type. Pure: no client, no server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentbay import _results
from agentbay._models import ApiResponse
from agentbay._reply import Reply, decode_reply, failure
from agentbay._results import context_result, file_list_result, file_url_result, operation_result


def _failed(result: ApiResponse) -> tuple[str, str, str, int]:
    """The code, message, request id and status of a failed ``result``."""
    assert result.success is False  # type: ignore[attr-defined]
    return result.code, result.message, result.request_id, result.http_status_code


def _success(body: dict[str, Any]) -> bytes:
    return json.dumps({"Success": True, "RequestId": "req-1", **body}).encode()


def test_a_gateway_page_names_its_status_and_shows_its_start() -> None:
    result = operation_result(decode_reply(502, b"  <html>Bad Gateway</html>\n"))
    assert _failed(result) == (
        "HTTP502",
        "HTTP 502: the response is not JSON: '<html>Bad Gateway</html>'",
        "",
        502,
    )
    assert result.error_message == result.message


def test_a_long_body_that_is_not_json_shows_its_first_80_bytes() -> None:
    head = "<!DOCTYPE html>" + "x" * 65
    result = operation_result(decode_reply(200, (head + "y" * 100).encode()))
    assert len(head) == 80
    assert result.message == f"HTTP 200: the response is not JSON: {head!r}"


def test_bytes_that_are_not_utf8_show_as_replacement_characters() -> None:
    result = operation_result(decode_reply(502, b"\xc3(busy \xff"))
    assert result.message == "HTTP 502: the response is not JSON: '\ufffd(busy \ufffd'"


def test_a_body_nested_too_deep_is_named_so() -> None:
    result = context_result(decode_reply(200, b"[" * 100_000))
    assert _failed(result) == (
        "HTTP200",
        "HTTP 200: the response is not JSON: nested too deep",
        "",
        200,
    )


def test_a_body_that_is_not_an_object_is_named_so() -> None:
    result = context_result(decode_reply(503, b'["Success", true]'))
    assert _failed(result) == ("HTTP503", "HTTP 503: the response is not a JSON object", "", 503)


def test_a_reply_without_a_request_id_has_an_empty_one() -> None:
    assert operation_result(decode_reply(200, b'{"Success": true}')).request_id == ""
    refused = operation_result(decode_reply(404, b'{"Code": "NotFound", "Message": "m"}'))
    assert refused.request_id == ""


def test_a_refusal_without_code_or_message_below_400_is_unknown() -> None:
    result = operation_result(decode_reply(200, b'{"Success": false, "RequestId": "r"}'))
    assert _failed(result) == ("Unknown", "Unknown error", "r", 200)
    assert result.error_message == "[Unknown] Unknown error"


def test_success_true_with_status_400_is_a_failure_named_by_its_status() -> None:
    reply = decode_reply(400, b'{"Success": true, "RequestId": "r", "Code": "", "Message": 7}')
    result = operation_result(reply)
    assert _failed(result) == ("HTTP400", "Unknown error", "r", 400)
    assert result.error_message == "[HTTP400] Unknown error"
    assert operation_result(decode_reply(399, b'{"Success": true}')).success


def test_a_success_has_its_request_id_and_no_code() -> None:
    result = operation_result(decode_reply(201, _success({})))
    assert (result.success, result.request_id, result.code, result.message) == (
        True,
        "req-1",
        "",
        "",
    )


def test_a_field_of_the_wrong_type_is_named_with_its_type() -> None:
    result = context_result(decode_reply(200, _success({"Data": {"Id": 5}})))
    assert _failed(result) == (
        "SDK.MalformedResponse",
        "Id is int, expected a string",
        "req-1",
        200,
    )
    assert result.error_message == "Malformed response: Id is int, expected a string"


def test_a_context_without_an_id_is_malformed() -> None:
    for data in ({}, {"Id": ""}, {"Id": None, "Name": "n"}):
        result = context_result(decode_reply(200, _success({"Data": data})))
        assert (result.code, result.message) == ("SDK.MalformedResponse", "Id is missing")


def test_a_context_without_a_name_has_an_empty_one() -> None:
    result = context_result(decode_reply(200, _success({"Data": {"Id": "ctx-1"}})))
    assert result.success and result.context is not None
    assert (result.context.id, result.context.name) == ("ctx-1", "")


def test_a_url_reply_without_data_names_data() -> None:
    result = file_url_result(decode_reply(200, _success({})))
    assert _failed(result) == (
        "SDK.MalformedResponse",
        "Data is NoneType, expected an object",
        "req-1",
        200,
    )
    listed = file_url_result(decode_reply(200, _success({"Data": ["https://x"]})))
    assert listed.message == "Data is list, expected an object"


# ------------------------------------------------------------ was test_protocol.py


FIELDS = ["Id", "Name", "CreateTime", "State", "Url", "ExpireTime", "FileId", "Size", "Count"]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


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
    _results.context_result,
    _results.context_list_result,
    _results.file_list_result,
    _results.file_url_result,
    _results.operation_result,
    _results.clear_status_result,
    lambda reply: _results.clear_started_result(reply, "ctx-1"),
]


@given(status=st.sampled_from([200, 400, 404, 500, 503]), content=st.binary(max_size=64))
def test_any_bytes_decode_to_a_reply(status: int, content: bytes) -> None:
    reply = decode_reply(status, content)
    assert isinstance(reply, Reply)
    assert reply.ok or reply.error


@given(body=REPLIES | JSON, status=st.sampled_from([200, 400, 503]))
def test_any_json_builds_a_result_without_raising(body: Any, status: int) -> None:
    reply = decode_reply(status, json.dumps(body).encode())
    for build in BUILDERS:
        result = build(reply)
        assert isinstance(result, ApiResponse)
        success = result.success
        assert success is reply.ok or not success
        if not success:
            assert result.error_message  # type: ignore[attr-defined]


def test_a_reply_with_success_is_ok_only_below_400() -> None:
    assert decode_reply(200, b'{"Success": true}').ok
    assert not decode_reply(500, b'{"Success": true}').ok


def test_a_depth_bomb_is_a_failed_reply_not_a_recursion_error() -> None:
    reply = decode_reply(200, b"[" * 100_000)
    assert not reply.ok and "nested too deep" in reply.error


@pytest.mark.parametrize("field", ["Size", "Count", "TotalCount", "ExpireTime"])
@pytest.mark.parametrize("value", ["\u00b2", "\u0661", "9" * 5000, "-1", "1.5", " 1"])
def test_numbers_that_are_not_ascii_digits_are_malformed(field: str, value: str) -> None:
    data = {"Url": "http://h/x", "ExpireTime": value} if field == "ExpireTime" else {}
    body = {"Success": True, "RequestId": "r", field: value, "Data": data or [{"Size": value}]}
    reply = decode_reply(200, json.dumps(body).encode())
    results = [
        _results.file_list_result(reply),
        _results.context_list_result(reply),
        _results.file_url_result(reply),
    ]
    assert any(not r.success and "expected an integer" in r.error_message for r in results)


def test_a_number_sent_as_a_string_is_converted() -> None:
    body = {"Success": True, "Count": "11", "Data": [{"FilePath": "/a", "Size": "11"}]}
    result = _results.file_list_result(decode_reply(200, json.dumps(body).encode()))
    assert result.count == 11 and result.entries[0].size == 11


def test_lone_surrogates_in_a_reply_become_printable_text() -> None:
    reply = decode_reply(400, b'{"Code": "X\\udcff", "Message": "bad \\ud800 name"}')
    reply.error.encode("utf-8")  # would raise on a lone surrogate
    assert reply.code == "X?"


def test_failure_keeps_its_code() -> None:
    reply = failure("Request timed out after 5 ms", code="SDK.Timeout", retryable=True)
    assert (reply.code, reply.http_status, reply.retryable) == ("SDK.Timeout", 0, True)


def test_a_number_of_20_digits_sent_as_a_string_is_read() -> None:
    body = {"Success": True, "Data": [{"FilePath": "/a", "Size": "9" * 20}]}
    result = file_list_result(decode_reply(200, json.dumps(body).encode()))
    assert result.entries[0].size == int("9" * 20)


def test_a_number_of_another_type_is_named_in_the_failure() -> None:
    body = {"Success": True, "Data": [{"FilePath": "/a", "Size": [1]}]}
    result = file_list_result(decode_reply(200, json.dumps(body).encode()))
    assert result.error_message == "Malformed response: Size is list [1], expected an integer"


def test_a_failure_without_an_answer_keeps_its_message_and_status() -> None:
    reply = decode_reply(503, b"<html>busy</html>")
    result = file_list_result(reply)
    assert (result.http_status_code, result.message) == (503, reply.error)
    assert result.message == "HTTP 503: the response is not JSON: '<html>busy</html>'"
