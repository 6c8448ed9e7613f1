"""Keeping credentials out of messages and logs: the API key in every encoding it was sent in,
and the query (signature, expiry, credential) of any URL. Pure; shared by both flavours."""

from __future__ import annotations

import re
import string
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlsplit

from ._request import bearer_field

REDACTED = "<redacted>"
# Keys shorter than this would match inside ordinary words ("k" in "Network") and are left alone.
MIN_SECRET_LENGTH = 8
_SCHEME_CHARS = frozenset(string.ascii_letters + string.digits + "+.-")
_PATH = re.compile(r"[^\s?#'\"<>]*")  # after "://", up to the query
_QUERY = re.compile(r"\?[^\s#'\"<>]*")
_WORD = re.compile(r"\w")


class Redactor:
    """Cuts API keys out of text, raw or as they were encoded on the wire; the one redactor of
    the SDK and the CLI.

    >>> Redactor("sk-abc/def+ghi=").redact("echo: Bearer%20sk-abc%2Fdef%2Bghi%3D")
    'echo: <redacted>'
    """

    def __init__(self, *api_keys: str) -> None:
        forms: set[str] = set()
        for api_key in api_keys:
            if len(api_key) >= MIN_SECRET_LENGTH:
                forms |= {bearer_field(api_key), quote(api_key, safe=""), quote(api_key), api_key}
                forms.add(quote_plus(api_key, safe=""))
        self._forms = sorted(forms, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """``text`` without the key in any of its forms, and without URL queries."""
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return strip_queries(text)


def strip_queries(text: str) -> str:
    """``text`` with the query of every URL in it cut out: presigned URLs carry credentials.

    A URL is a scheme (a letter, then letters, digits, ``+``, ``.`` or ``-``, starting a word),
    ``://``, a path up to ``?`` and the query up to a space, quote, ``<``, ``>`` or ``#``. Linear
    in the length of ``text``, whatever it holds (a hostile service's message may be 16 MiB).

    >>> strip_queries("PUT https://oss.example/a.bin?sig=x&Expires=1 failed")
    'PUT https://oss.example/a.bin?<redacted> failed'
    """
    kept, done, scanned = [], 0, 0
    hit = text.find("://")
    while hit >= 0:
        if hit >= scanned and _scheme_before(text, hit):
            path_end = _end(_PATH, text, hit + 3)
            if text.startswith("?", path_end):
                kept += [text[done:path_end], "?", REDACTED]
                done = _end(_QUERY, text, path_end)
            # A later "://" before path_end has the same path end, hence no query of its own.
            scanned = max(path_end, done)
        hit = text.find("://", hit + 3)
    return "".join(kept) + text[done:]


def _end(pattern: re.Pattern[str], text: str, start: int) -> int:
    """Where ``pattern``, which matches the empty string if nothing more, ends from ``start``."""
    found = pattern.match(text, start)
    return found.end() if found else start


def _scheme_before(text: str, end: int) -> bool:
    """Whether a URL scheme ends at ``end``: a letter starting a word, then scheme characters."""
    start = end
    while start > 0 and text[start - 1] in _SCHEME_CHARS:
        start -= 1
    for first in range(start, end):
        before = text[first - 1] if first else " "
        at_word_start = before in "+.-" if first > start else not _WORD.match(before)
        if text[first] in string.ascii_letters and at_word_start:
            return True
    return False


def url_for_humans(url: str) -> str:
    """The scheme, host and path of ``url``, never its query; safe in any message."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "an unreadable URL"
    return f"{parts.scheme}://{host_for_humans(url)}{parts.path}"


def host_for_humans(url: str) -> str:
    """The host and port of ``url`` (one that was requested, so readable), never a user:password.

    >>> host_for_humans("https://user:pw@oss.example:8443/a?sig=x")
    'oss.example:8443'
    """
    return urlsplit(url).netloc.rpartition("@")[2]


def without_query_of(url: str, text: str) -> str:
    """``text`` without the query of ``url``, whole or value by value, raw or decoded: what a
    storage error page may echo of the presigned URL it refused."""
    try:
        query = urlsplit(url).query
    except ValueError:
        return text
    secrets = {query, unquote(query)} if query else set()
    for _, value in parse_qsl(query):
        if len(value) >= 4:
            secrets |= {value, quote(value, safe="")}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
