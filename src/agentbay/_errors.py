"""The exceptions the SDK raises. Every one is an :class:`AgentBayError`."""

from __future__ import annotations


class AgentBayError(Exception):
    """Base class of every error the SDK raises.

    ``code`` is the service's error code (``"InvalidContext.NotFound"``) when the service sent one,
    ``request_id`` the service's RequestId when known.

    Example::

        try:
            await agent_bay.context.get()
        except AgentBayError as exc:
            print(exc, exc.code)
    """

    def __init__(self, message: str, *, code: str | None = None, request_id: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.request_id = request_id


class ClearanceTimeoutError(AgentBayError):
    """``clear()`` gave up waiting: the context was still being cleared at the timeout."""
