"""What a result says about a reply of the service: the exact code, message and status a user
reads for a body that is not JSON, too deep, not an object, a refusal without a code or message,
and a success whose fields have the wrong type. Pure: no client, no server."""

from __future__ import annotations

import json
from typing import Any

from agentbay._models import ApiResponse
from agentbay._reply import decode_reply
from agentbay._results import context_result, file_url_result, operation_result


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
