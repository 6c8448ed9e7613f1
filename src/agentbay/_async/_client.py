"""AsyncAgentBay: owns the connection pool and sends one action at a time, with retries."""

from __future__ import annotations

import logging
import time
from types import TracebackType
from typing import TYPE_CHECKING

import attrs

from .. import _wire
from .._config import Config, resolve_api_key
from .._io_async import AiohttpCarrier, sleep
from .context import AsyncContextService

if TYPE_CHECKING:
    import httpx

    from ._carrier_httpx import AsyncHttpxCarrier

logger = logging.getLogger("agentbay")


class AsyncAgentBay:
    """The async client of AgentBay contexts; ``.context`` is the :class:`AsyncContextService`.

    The API key falls back to ``AGENTBAY_API_KEY``; ``cfg`` to :meth:`Config.from_env`.
    Pass ``http_client`` to use your own ``httpx.AsyncClient`` (proxies, TLS, mocking).

    Example::

        async with AsyncAgentBay(api_key="key") as agent_bay:
            result = await agent_bay.context.get(name="my-context", create=True)
    """

    def __init__(
        self,
        api_key: str = "",
        cfg: Config | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._api_key = resolve_api_key(api_key)
        self.config = cfg if cfg is not None else Config.from_env()
        self._base_url = self.config.base_url
        self._timeout_s = self.config.timeout_ms / 1000
        self._carrier: AiohttpCarrier | AsyncHttpxCarrier
        if http_client is None:
            self._carrier = AiohttpCarrier(self.config)
        else:
            from ._carrier_httpx import AsyncHttpxCarrier

            self._carrier = AsyncHttpxCarrier(http_client)
        self._closed = False
        self.context = AsyncContextService(self)

    @property
    def api_key(self) -> str:
        """The API key in use (never shown in reprs or logs)."""
        return self._api_key

    @property
    def region_id(self) -> str | None:
        """The region sent as LoginRegionId when creating contexts."""
        return self.config.region_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={self.config.endpoint!r})"

    async def _call(
        self, action: str, params: _wire.Params, deadline: float | None = None
    ) -> _wire.Reply:
        """Send ``action`` with ``params``; retry transient failures with backoff.

        ``deadline`` (a ``time.monotonic()`` instant) bounds all attempts and waits together.
        """
        if self._closed:
            return _wire.failure(f"{action} not sent: the client is closed")
        body = _wire.encode_form(params, self._api_key)
        headers = _wire.call_headers(action)
        started = time.monotonic()
        attempt = 0
        while True:
            timeout = self._timeout_s
            if deadline is not None:
                timeout = min(timeout, deadline - time.monotonic())
                if timeout <= 0:
                    reply = _wire.failure(f"{action} ran out of time", retryable=True)
                    break
            url = _wire.call_url(self._base_url, action)
            try:
                answer = await self._carrier.request("POST", url, headers, timeout, body)
                reply = _wire.decode_reply(answer.status, answer.body, answer.retry_after)
            except _wire.CarrierError as exc:
                reply = _wire.failure(str(exc), retryable=True)
            reply = self._redacted(reply)
            if reply.ok or not reply.retryable or attempt >= self.config.max_retries:
                break
            delay = _wire.backoff_delay(attempt, reply)
            if deadline is not None and time.monotonic() + delay >= deadline:
                break
            logger.debug(
                "%s failed (%s); retry %d in %.2fs", action, reply.error, attempt + 1, delay
            )
            await sleep(delay)
            attempt += 1
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s in %.1f ms, RequestId=%s%s",
                action,
                "ok" if reply.ok else "failed",
                (time.monotonic() - started) * 1000,
                reply.request_id or "-",
                "" if reply.ok else f": {reply.error}",
            )
        return reply

    def _redacted(self, reply: _wire.Reply) -> _wire.Reply:
        """``reply`` with the API key cut out of its error, should a server echo it back (keys
        shorter than 8 characters would match inside ordinary words and are left alone)."""
        if reply.ok or len(self._api_key) < 8 or self._api_key not in reply.error:
            return reply
        return attrs.evolve(reply, error=reply.error.replace(self._api_key, "<redacted>"))

    async def aclose(self) -> None:
        """Close the connection pool (not an ``http_client`` you passed in); later calls fail."""
        self._closed = True
        await self._carrier.aclose()

    async def __aenter__(self) -> AsyncAgentBay:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
