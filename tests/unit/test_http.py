"""Transports' shared facts: Content-Length, URLs a transport can request,
and what each kind of transport error means for a retry."""

from __future__ import annotations

from typing import Any

import pytest

from agentbay._transports.errors import Kind, TransportError, cannot_connect
from agentbay._transports.http import check_url, content_length

# ------------------------------------------------------------ was test_protocol.py


@pytest.mark.parametrize("value", ["\u00b2", "-1", "1e3", "", " 5", "99999999999999999999"])
def test_content_length_reads_only_ascii_digits(value: str) -> None:
    assert content_length(value) is None
    assert content_length("1048576") == 1 << 20


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://127.0.0.1:99999/x", "ftp://h/x", "http:///x", "http://h/a b", 3]
)
def test_a_url_no_transport_can_request_is_refused_without_its_query(url: object) -> None:
    with pytest.raises(TransportError) as caught:
        check_url(f"{url}?sig=secret" if isinstance(url, str) else url)  # type: ignore[arg-type]
    assert caught.value.kind is Kind.INVALID_URL and "secret" not in str(caught.value)


def test_a_failed_tls_handshake_is_not_retried_but_a_refused_connection_is() -> None:
    tls = cannot_connect("https://h:1/", tls_error="[SSL: WRONG_VERSION_NUMBER] wrong version")
    assert not tls.retryable and "plain HTTP" in tls.message
    assert cannot_connect("https://h:1/").retryable


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
