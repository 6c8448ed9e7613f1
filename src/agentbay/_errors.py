"""The exceptions the SDK raises. Every one is an :class:`AgentBayError`."""

from __future__ import annotations


class AgentBayError(Exception):
    """Base class of every error the SDK raises.

    ``code`` is the service's error code (``"InvalidContext.NotFound"``), or an SDK code
    (``"SDK.Timeout"``, ...) when the service gave no answer; ``request_id`` the service's
    RequestId and ``http_status_code`` the HTTP status, when known (else 0).

    Example::

        try:
            await agent_bay.context.get()
        except AgentBayError as exc:
            print(exc, exc.code)
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        request_id: str = "",
        http_status_code: int = 0,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.request_id = request_id
        self.http_status_code = http_status_code


class ClearanceTimeoutError(AgentBayError):
    """``clear()`` gave up waiting: the context was still being cleared at the timeout."""
