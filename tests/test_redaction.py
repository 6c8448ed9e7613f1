"""What a storage error page may echo of a presigned URL never reaches a message: the query whole,
raw or decoded, and each value of 4+ characters, raw or percent-encoded."""

from __future__ import annotations

import pytest

from agentbay._redact import without_query_of
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
