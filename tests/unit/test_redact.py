"""What a storage error page may echo of a presigned URL never reaches a message: the query whole,
raw or decoded, and each value of 4+ characters, raw or percent-encoded."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentbay import _request
from agentbay._redact import REDACTED, Redactor, strip_queries, url_for_humans, without_query_of
from agentbay._transports.errors import TransportError
from agentbay._transports.http import check_url

URL = "https://oss.test/a.bin?Signature=ab%2Fcd%2Bef%3D&Expires=1700000000&n=abc"


@pytest.mark.parametrize(
    ("echo", "shown"),
    [
        ("bad Signature=ab%2Fcd%2Bef%3D&Expires=1700000000&n=abc", "bad <redacted>"),
        ("bad Signature=ab/cd+ef=&Expires=1700000000&n=abc", "bad <redacted>"),
        ("signature ab/cd+ef= expired at 1700000000", "signature <redacted> expired at <redacted>"),
        ("signature ab%2Fcd%2Bef%3D", "signature <redacted>"),
        ("n is abc, 3 characters: left alone", "n is abc, 3 characters: left alone"),
    ],
)
def test_a_storage_echo_keeps_no_part_of_the_query(echo: str, shown: str) -> None:
    assert without_query_of(URL, echo) == shown


def test_a_value_inside_the_query_does_not_split_it() -> None:
    # The whole query goes first: cutting a value out of it would leave the rest readable.
    url = "https://oss.test/a?a=zzzz&b=yyyy"
    assert without_query_of(url, "echo a=zzzz&b=yyyy") == "echo <redacted>"


def test_a_value_of_four_characters_is_cut_out() -> None:
    assert without_query_of("https://oss.test/a?sig=abcd", "got abcd") == "got <redacted>"


def test_a_url_without_a_query_leaves_the_text_alone() -> None:
    assert without_query_of("https://oss.test/a.bin", "Access denied") == "Access denied"


def test_an_unreadable_url_is_named_without_its_query() -> None:
    with pytest.raises(TransportError) as caught:
        check_url("http://[::1/blob?sig=secret")
    assert str(caught.value) == "Invalid URL 'an unreadable URL': Invalid IPv6 URL"


def test_a_url_is_shown_without_its_credentials() -> None:
    from agentbay._redact import url_for_humans

    assert url_for_humans("https://us@r:p@ss@oss.test:8443/a?sig=x") == "https://oss.test:8443/a"


# The rule strip_queries implements, as one regular expression: the reference for the tests
# below (the expression itself backtracks quadratically on long runs of "a.a.a", or "a://a://").
URL_WITH_QUERY = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s?#'\"<>]*)\?[^\s#'\"<>]*")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("GET https://oss.test/a?sig=x ok", "GET https://oss.test/a?<redacted> ok"),
        ("'s3://b/k?X-Amz=1'#frag", "'s3://b/k?<redacted>'#frag"),
        ("a+b.c-d://h/p?q=1#f z://h?2", "a+b.c-d://h/p?<redacted>#f z://h?<redacted>"),
        ("x_http://h?q", "x_http://h?q"),  # no word starts at the scheme
        ("_x.http://h?q", "_x.http://h?<redacted>"),  # "http" starts a word after the dot
        ("9http://h?q é://h?q", "9http://h?q é://h?q"),
        ("http://a/b?c://d?e", "http://a/b?<redacted>"),
        ("http://a/b c://d/e?f", "http://a/b c://d/e?<redacted>"),
        ("://h?q http://", "://h?q http://"),
        ("://h http://h?q", "://h http://h?<redacted>"),  # a "://" at the very start
        ("see http://?q", "see http://?<redacted>"),  # no host, no path
        ("a://h?1 b://h?2 c://h?3", "a://h?<redacted> b://h?<redacted> c://h?<redacted>"),
        ("9Xb://h?q", "9Xb://h?q"),  # no word starts inside "9Xb"
    ],
)
def test_every_url_query_is_cut_and_nothing_else(text: str, shown: str) -> None:
    assert strip_queries(text) == shown == URL_WITH_QUERY.sub(rf"\1?{REDACTED}", text)


@given(st.text(alphabet="ab9_.+-:/?#é <>'\"", max_size=60))
def test_strip_queries_follows_the_rule_on_any_text(text: str) -> None:
    assert strip_queries(text) == URL_WITH_QUERY.sub(rf"\1?{REDACTED}", text)


@pytest.mark.parametrize("unit", ["a.", "a://", "a://a/", "-a"])
def test_a_huge_hostile_message_is_cleaned_in_bounded_time(unit: str) -> None:
    # A service may send a 16 MiB message; the expression above needs hours on these 4 MiB.
    text = unit * (4 * 1024 * 1024 // len(unit)) + " https://h/p?sig=s"
    assert strip_queries(text).endswith(" https://h/p?<redacted>")


# ------------------------------------------------------------ was test_protocol.py


KEY = "sk a/b+c=d"  # a space, a slash, a plus and an equals sign: every encoding differs


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


def test_url_queries_never_reach_a_message() -> None:
    text = "PUT https://oss.test/a/b.bin?OSSAccessKeyId=x&Signature=s%3D&Expires=9 failed"
    assert strip_queries(text) == "PUT https://oss.test/a/b.bin?<redacted> failed"
    assert url_for_humans("https://user:pw@oss.test/a?sig=1") == "https://oss.test/a"
