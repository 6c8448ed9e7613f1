"""The emulator's side of the wire: parameters in, response bodies and error codes out.

Every RPC response body carries ``RequestId``, ``Success``, ``Code``, ``Message`` and
``HttpStatusCode``. Failures follow one rule:

* a malformed request (missing or unparsable parameter, bad path, bad token) is refused with
  HTTP 400 (``MissingParameter``, ``InvalidParameter.<Name>``), like the API gateway does;
* a missing or unknown API key gets HTTP 401 (``Unauthorized``, ``InvalidApiKey``);
* an unknown action gets HTTP 404 (``InvalidAction.NotFound``);
* a well-formed request that the state of the world refuses (unknown context, taken name,
  missing file) gets HTTP 200 with ``Success: false`` and the meaning in ``HttpStatusCode``
  (404 ``InvalidContext.NotFound``, 409 ``InvalidContext.NameExists``, 404
  ``InvalidFile.NotFound``): the official SDK reads these as ``[Code] Message``;
* injected faults and calls past a quota get HTTP 400 ``Throttling.User``, as the POP gateway
  throttles; other injected faults HTTP 500 ``InternalError``.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_to_bytes

API_VERSION = "2025-05-06"
DEFAULT_PAGE = 10
MAX_PAGE = 100
_PARAMETER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.]{0,63}")
_INTEGER = re.compile(r"-?[0-9]+")


class ApiError(Exception):
    """A failure reply: ``status`` is the HTTP status, ``http_status_code`` the body's."""

    def __init__(
        self, code: str, message: str, *, status: int = 200, http_status_code: int | None = None
    ) -> None:
        """Describe a failure; ``http_status_code`` defaults to ``status``."""
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
        self.status = status
        self.http_status_code = http_status_code if http_status_code is not None else status


def missing_parameter(name: str) -> ApiError:
    """HTTP 400 for a required parameter that is absent or empty."""
    return ApiError(
        "MissingParameter",
        f"The input parameter {name!r} that is mandatory for processing this request"
        " is not supplied.",
        status=400,
    )


def invalid_parameter(name: str, why: str) -> ApiError:
    """HTTP 400 for a parameter whose value cannot be used."""
    return ApiError(
        f"InvalidParameter.{name}", f"The parameter {name!r} is invalid: {why}", status=400
    )


def context_not_found(ref: str) -> ApiError:
    """Success false, HttpStatusCode 404: no such context in this account."""
    return ApiError(
        "InvalidContext.NotFound",
        f"The specified context {shown(ref)} does not exist.",
        http_status_code=404,
    )


def name_exists(name: str) -> ApiError:
    """Success false, HttpStatusCode 409: another context of the account has that name."""
    return ApiError(
        "InvalidContext.NameExists",
        f"A context named {name!r} already exists.",
        http_status_code=409,
    )


def file_not_found(path: str) -> ApiError:
    """Success false, HttpStatusCode 404: no file or folder at that path."""
    return ApiError(
        "InvalidFile.NotFound", f"The specified file {path!r} does not exist.", http_status_code=404
    )


def unknown_action(name: str) -> ApiError:
    """HTTP 404 for an action the service does not have."""
    return ApiError(
        "InvalidAction.NotFound",
        f"Specified api {shown(name)} is not found, please check your url and method.",
        status=404,
    )


def new_request_id() -> str:
    """A request id in the service's style (an upper-case UUID)."""
    return str(uuid.uuid4()).upper()


def iso_time(seconds: float) -> str:
    """``2025-05-29T12:00:00Z`` for POSIX seconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def success_body(request_id: str, **fields: Any) -> dict[str, Any]:
    """A success body with the given extra fields (``None`` values are left out)."""
    body: dict[str, Any] = {
        "RequestId": request_id,
        "Success": True,
        "Code": "ok",
        "Message": "ok",
        "HttpStatusCode": 200,
    }
    body.update({key: value for key, value in fields.items() if value is not None})
    return body


def error_body(request_id: str, error: ApiError) -> dict[str, Any]:
    """The body of a failure."""
    return {
        "RequestId": request_id,
        "Success": False,
        "Code": error.code,
        "Message": error.message,
        "HttpStatusCode": error.http_status_code,
    }


def shown(value: str) -> str:
    """A value for an error message: its repr, cut short when long."""
    return repr(value) if len(value) <= 64 else repr(value[:64]) + "..."


def _utf8(raw: bytes) -> str | None:
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return None


def parse_params(raw: bytes) -> dict[str, str]:
    """Decode a query string or form body, refusing any name or value that is not UTF-8.

    Invalid bytes are never replaced (``Name=x%FF%FE`` and ``Name=x%FE%FF`` would otherwise
    name the same context): the value's parameter answers HTTP 400 ``InvalidParameter.<Name>``,
    a name that cannot be decoded ``InvalidParameter.Encoding``. Example::

        parse_params(b"Name=caf%C3%A9&AllowCreate=true")  # {"Name": "café", ...}
    """
    params: dict[str, str] = {}
    for pair in raw.split(b"&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition(b"=")
        name = _utf8(raw_name)
        value = _utf8(raw_value)
        if name is not None and value is not None:
            params[name] = value
        elif name is not None and _PARAMETER_NAME.fullmatch(name):
            raise invalid_parameter(name, "the value is not valid UTF-8")
        else:
            raise ApiError(
                "InvalidParameter.Encoding", "A parameter is not valid UTF-8.", status=400
            )
    return params


class Params:
    """The parameters of one RPC request (query string merged with the form body)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        """Wrap the raw string values."""
        self._values = dict(values)

    def get(self, name: str) -> str | None:
        """The raw value, or None when absent or empty."""
        value = self._values.get(name)
        return value if value else None

    def text(self, name: str) -> str:
        """A required, non-empty value."""
        value = self.get(name)
        if value is None:
            raise missing_parameter(name)
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        """``true``/``false`` in any letter case (the official SDKs send True and true)."""
        value = self.get(name)
        if value is None:
            return default
        lowered = value.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        raise invalid_parameter(name, f"{shown(value)} is not a boolean")

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        """An integer within ``low..high`` in plain ASCII digits, or ``default`` when absent."""
        value = self.get(name)
        if value is None:
            return default
        if not _INTEGER.fullmatch(value):
            raise invalid_parameter(name, f"{shown(value)} is not an integer")
        if len(value) > 20 or not low <= int(value) <= high:
            raise invalid_parameter(name, f"{shown(value)} is not between {low} and {high}")
        return int(value)
