"""Checking arguments before anything is sent. Pure; shared by both flavours."""

from __future__ import annotations

from ._errors import AgentBayError


def check_text(name: str, value: object) -> str:
    """Return ``value`` if it is non-empty text without NUL or lone surrogates, else raise
    :class:`AgentBayError` naming ``name``.

    >>> check_text("name", "my-context")
    'my-context'
    """
    if not isinstance(value, str):
        raise AgentBayError(f"{name} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise AgentBayError(f"{name} must not be empty")
    if "\0" in value:
        raise AgentBayError(f"{name} must not contain NUL characters")
    check_encodable(name, value)
    return value


def check_encodable(name: str, value: str) -> str:
    """Return ``value`` if it encodes to UTF-8, else raise :class:`AgentBayError` (file names
    read with undecodable bytes hold lone surrogates such as ``"\\udcff"``)."""
    try:
        value.encode()
    except UnicodeEncodeError:
        raise AgentBayError(
            f"{name} is not valid text: it holds a lone surrogate (undecodable bytes?)"
        ) from None
    return value


def check_positive(name: str, value: object) -> int:
    """Return ``value`` if it is an int >= 1, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise AgentBayError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise AgentBayError(f"{name} must be >= 1, got {value}")
    return value


def check_duration(name: str, value: object) -> float:
    """Return ``value`` as seconds if it is a number >= 0, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AgentBayError(f"{name} must be a number of seconds, got {type(value).__name__}")
    if not value >= 0:  # also refuses NaN
        raise AgentBayError(f"{name} must be >= 0, got {value}")
    return float(value)


def get_context_params(
    name: str | None, create: bool, context_id: str | None, region_id: str | None
) -> dict[str, str | bool | None]:
    """GetContext parameters of ``get()``; raises before sending when the arguments conflict."""
    if name is None and context_id is None:
        raise AgentBayError("Either 'name' or 'context_id' must be provided")
    if name is not None and context_id is not None:
        raise AgentBayError("Provide either 'name' or 'context_id', not both")
    if create and context_id is not None:
        raise AgentBayError("create=True is only allowed with 'name', not with 'context_id'")
    if context_id is not None:
        return {"ContextId": check_text("context_id", context_id), "AllowCreate": False}
    return {
        "Name": check_text("name", name),
        "AllowCreate": bool(create),
        "LoginRegionId": region_id if create else None,
    }
