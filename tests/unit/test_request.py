"""What goes on the wire before a call is sent, and the arguments refused before it: the query
of a call's URL (a UTC timestamp and a fresh 96-bit nonce) and the messages of argument checks.
Pure: no client, no server."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from agentbay import AgentBayError, _checks, _request
from agentbay._checks import check_text
from agentbay._request import call_url


def _query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's local time zone 5 h 45 min ahead of UTC (a POSIX TZ, no database)."""
    monkeypatch.setenv("TZ", "XYZ-05:45")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_nonce_is_24_hex_digits_fresh_for_every_call() -> None:
    nonces = [_query(call_url("http://h/", "GetContext"))["SignatureNonce"] for _ in range(50)]
    assert all(re.fullmatch(r"[0-9a-f]{24}", nonce) for nonce in nonces), nonces[0]
    assert len(set(nonces)) == 50


@pytest.mark.usefixtures("far_from_utc")
def test_the_timestamp_is_utc_whatever_the_local_time_zone() -> None:
    assert time.localtime().tm_gmtoff == 5 * 3600 + 45 * 60  # the fixture took effect
    before = datetime.now(timezone.utc).replace(microsecond=0)
    url = call_url("http://h/", "GetContext")
    after = datetime.now(timezone.utc)
    raw = re.search(r"&Timestamp=([^&]*)&", url)
    assert raw is not None and "%3A" in raw.group(1)  # ':' is percent-encoded on the wire
    stamp = datetime.strptime(unquote(raw.group(1)), "%Y-%m-%dT%H:%M:%SZ")
    assert before <= stamp.replace(tzinfo=timezone.utc) <= after + timedelta(seconds=1)


def test_an_argument_of_another_type_is_named_with_its_type() -> None:
    with pytest.raises(AgentBayError) as caught:
        check_text("context_id", 42)
    assert str(caught.value) == "context_id must be a string, got int"


def test_an_argument_with_a_lone_surrogate_is_named() -> None:
    with pytest.raises(AgentBayError) as caught:
        check_text("name", "report-\udcff.txt")
    assert str(caught.value) == (
        "name is not valid text: it holds a lone surrogate (undecodable bytes?)"
    )


# ------------------------------------------------------------ was test_protocol.py


def test_encode_form_sorts_keys_drops_none_and_spells_booleans() -> None:
    body = _request.encode_form({"Name": "a b&c", "AllowCreate": True, "Skip": None, "N": 3}, "k")
    assert body == b"AllowCreate=true&Authorization=Bearer%20k&N=3&Name=a%20b%26c"


@pytest.mark.parametrize("value", ["a\udcffb", "\ud800"])
def test_lone_surrogates_are_refused_before_sending(value: str) -> None:
    with pytest.raises(AgentBayError, match="lone surrogate"):
        _checks.check_text("name", value)
    with pytest.raises(AgentBayError, match="NextToken is not valid text"):
        _request.encode_form({"NextToken": value}, "k")


def test_the_key_is_percent_encoded_whole_in_the_form() -> None:
    body = _request.encode_form({}, "sk-abc/def+ghi=")
    assert body == b"Authorization=Bearer%20sk-abc%2Fdef%2Bghi%3D"
