"""The pure layers: request building, reply decoding, results, retry policy, redaction, and
the transports' shared facts, fed arbitrary and hostile input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentbay import AgentBayError, _checks, _request, _results, _retry
from agentbay._models import ApiResponse
from agentbay._redact import Redactor, strip_queries, url_for_humans
from agentbay._reply import Reply, decode_reply, failure
from agentbay._results import file_list_result
from agentbay._transports.errors import Kind, TransportError, cannot_connect
from agentbay._transports.http import check_url, content_length

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
    _results.context_result,
    _results.context_list_result,
    _results.file_list_result,
    _results.file_url_result,
    _results.operation_result,
    _results.clear_status_result,
    lambda reply: _results.clear_started_result(reply, "ctx-1"),
]


def test_encode_form_sorts_keys_drops_none_and_spells_booleans() -> None:
    body = _request.encode_form({"Name": "a b&c", "AllowCreate": True, "Skip": None, "N": 3}, "k")
    assert body == b"AllowCreate=true&Authorization=Bearer%20k&N=3&Name=a%20b%26c"


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


def test_a_429_is_retried_whatever_its_code_and_throttling_whatever_its_status() -> None:
    assert decode_reply(429, b'{"Code": "QuotaExceeded", "Message": "m"}').retryable
    assert decode_reply(400, b'{"Code": "Throttling", "Message": "m"}').retryable
    assert not decode_reply(400, b'{"Code": "Throttled", "Message": "m"}').retryable


def test_a_reply_with_success_is_ok_only_below_400() -> None:
    assert decode_reply(200, b'{"Success": true}').ok
    assert not decode_reply(500, b'{"Success": true}').ok


def test_throttling_is_retryable_and_honours_retry_after() -> None:
    reply = decode_reply(503, b'{"Code": "Throttling", "Message": "m"}', "2")
    assert reply.retryable and reply.retry_after == 2.0
    assert _retry.backoff_delay(0, reply.retry_after) == 2.0
    refused = decode_reply(400, b'{"Code": "InvalidParameter", "Message": "m"}')
    assert not refused.retryable


def test_backoff_is_jittered_and_capped() -> None:
    delays = [_retry.backoff_delay(attempt, None) for attempt in range(12) for _ in range(20)]
    assert all(0 <= d <= _retry.MAX_BACKOFF_S for d in delays)
    assert len(set(delays)) > 100


def test_a_gateway_page_is_retryable_and_keeps_retry_after() -> None:
    reply = decode_reply(503, b"<html>Service Unavailable</html>", "1.5")
    assert not reply.ok and reply.retryable and reply.retry_after == 1.5
    assert reply.error.startswith("HTTP 503: the response is not JSON")
    assert not reply.from_service and reply.code == "HTTP503"


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


@pytest.mark.parametrize("value", ["\u00b2", "-1", "1e3", "", " 5", "99999999999999999999"])
def test_content_length_reads_only_ascii_digits(value: str) -> None:
    assert content_length(value) is None
    assert content_length("1048576") == 1 << 20


@pytest.mark.parametrize("value", ["a\udcffb", "\ud800"])
def test_lone_surrogates_are_refused_before_sending(value: str) -> None:
    with pytest.raises(AgentBayError, match="lone surrogate"):
        _checks.check_text("name", value)
    with pytest.raises(AgentBayError, match="NextToken is not valid text"):
        _request.encode_form({"NextToken": value}, "k")


def test_the_key_is_redacted_raw_and_as_encoded_on_the_wire() -> None:
    key = "sk-abc/def+ghi="
    redactor = Redactor(key)
    for text in (
        key,
        _request.bearer_field(key),
        "Bearer%20sk-abc%2Fdef%2Bghi%3D",
        "sk-abc%2Fdef%2Bghi%3D",
    ):
        assert "sk-abc" not in redactor.redact(f"echo {text} end"), text
    assert Redactor("k").redact("Network error") == "Network error"


KEY = "sk a/b+c=d"  # a space, a slash, a plus and an equals sign: every encoding differs


@pytest.mark.parametrize(
    "form",
    [
        KEY,
        "Bearer%20sk%20a%2Fb%2Bc%3Dd",  # the Authorization field as sent
        "sk%20a%2Fb%2Bc%3Dd",  # percent-encoded, nothing kept
        "sk%20a/b%2Bc%3Dd",  # percent-encoded, "/" kept (a URL path)
        "sk+a%2Fb%2Bc%3Dd",  # form-encoded
    ],
)
def test_each_encoding_of_the_key_becomes_one_marker(form: str) -> None:
    assert Redactor(KEY).redact(f"echo {form} end") == "echo <redacted> end"


def test_keys_from_eight_characters_on_are_redacted() -> None:
    assert Redactor("12345678").redact("key 12345678 sent") == "key <redacted> sent"
    assert Redactor("1234567").redact("key 1234567 sent") == "key 1234567 sent"


def test_the_key_is_percent_encoded_whole_in_the_form() -> None:
    body = _request.encode_form({}, "sk-abc/def+ghi=")
    assert body == b"Authorization=Bearer%20sk-abc%2Fdef%2Bghi%3D"


def test_url_queries_never_reach_a_message() -> None:
    text = "PUT https://oss.test/a/b.bin?OSSAccessKeyId=x&Signature=s%3D&Expires=9 failed"
    assert strip_queries(text) == "PUT https://oss.test/a/b.bin?<redacted> failed"
    assert url_for_humans("https://user:pw@oss.test/a?sig=1") == "https://oss.test/a"


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://127.0.0.1:99999/x", "ftp://h/x", "http:///x", "http://h/a b", 3]
)
def test_a_url_no_transport_can_request_is_refused_without_its_query(url: object) -> None:
    with pytest.raises(TransportError) as caught:
        check_url(f"{url}?sig=secret" if isinstance(url, str) else url)  # type: ignore[arg-type]
    assert caught.value.kind is Kind.INVALID_URL and "secret" not in str(caught.value)


def test_failure_keeps_its_code() -> None:
    reply = failure("Request timed out after 5 ms", code="SDK.Timeout", retryable=True)
    assert (reply.code, reply.http_status, reply.retryable) == ("SDK.Timeout", 0, True)


def test_a_failed_tls_handshake_is_not_retried_but_a_refused_connection_is() -> None:
    tls = cannot_connect("https://h:1/", tls_error="[SSL: WRONG_VERSION_NUMBER] wrong version")
    assert not tls.retryable and "plain HTTP" in tls.message
    assert cannot_connect("https://h:1/").retryable


# --------------------------------------------------------------------------- presigned URLs


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (5, "Invalid URL '://int object': not a string"),
        ("http://h/a b", "Invalid URL 'http://h/a b': it holds spaces or control characters"),
        (
            "http://h/a\x7fb",
            "Invalid URL 'http://h/a\\x7fb': it holds spaces or control characters",
        ),
        ("http://h/\u00e9", "Invalid URL 'http://h/\u00e9': it holds characters outside ASCII"),
        ("ftp://h/x", "Invalid URL 'ftp://h/x': only http and https are supported"),
        ("http:///x", "Invalid URL 'http:///x': it names no host"),
        ("http://h:0/x", "Invalid URL 'http://h:0/x': port 0"),
    ],
)
def test_a_url_no_transport_can_request_is_refused_saying_why(url: Any, message: str) -> None:
    with pytest.raises(TransportError) as caught:
        check_url(url)
    assert str(caught.value) == message and caught.value.code == "SDK.InvalidUrl"


@pytest.mark.parametrize("url", ["http://h/a!b~", "https://h:443/x?sig=%2F&e=1", "HTTP://H/"])
def test_a_url_a_transport_can_request_passes(url: str) -> None:
    assert check_url(url) == url


# --------------------------------------------------------------------------- numbers and times


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
