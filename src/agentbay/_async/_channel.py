"""AsyncChannel: how services reach AgentBay. It calls an action (with retries) and streams a
transfer, over whichever transport the client was given; nothing else talks to a transport."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping

import attrs

from .. import _request, _retry
from .._config import Config
from .._redact import Redactor
from .._reply import Reply, decode_reply, failure
from .._transports._async.base import AsyncTransport
from .._transports.errors import TransportError, client_closed
from .._transports.http import Response
from .._transports.timing import Deadline
from . import _exchange, _io
from ._exchange import BodyDestination

logger = logging.getLogger("agentbay")


class AsyncChannel:
    """Sends actions and transfers for one client; owns its transport.

    Example::

        reply = await channel.call("GetContext", {"Name": "my-context"})
    """

    def __init__(self, api_key: str, config: Config, transport: AsyncTransport) -> None:
        self._api_key = api_key
        self.config = config  # read by the transfers too (max_retries, verify_crc)
        self._transport = transport
        self._base_url = config.base_url
        self._timeout_s = config.attempt_timeout_ms / 1000
        self._redactor = Redactor(api_key)
        self._pace = _retry.AdaptiveRate()
        self.closed = False

    async def call(
        self, action: str, params: _request.Params, deadline: Deadline | None = None
    ) -> Reply:
        """Send ``action`` with ``params``; retry transient failures on the retry schedule.

        ``deadline`` bounds all attempts and waits together.
        """
        if self.closed:
            error = client_closed(action)
            return failure(error.message, code=error.code)
        body = _request.encode_form(params, self._api_key)
        headers = _request.call_headers(action)
        started = time.monotonic()
        schedule = _retry.Schedule(self.config.max_retries, deadline)
        while True:
            turn = self._pace.take()  # None until the service throttles this client
            while (wait := self._pace.delay(turn)) > 0:
                if deadline is not None and deadline.remaining() <= wait:
                    break
                await _io.sleep(min(wait, _retry.PACE_RECHECK_S))
            timeout = self._timeout_s
            if deadline is not None:
                timeout = min(timeout, deadline.remaining() - wait)
                if timeout <= 0:
                    reply = failure(f"{action} ran out of time", code="SDK.Timeout", retryable=True)
                    break
            sent_at = time.monotonic()
            reply = await self._attempt(action, body, headers, timeout)
            throttled = not reply.ok and _retry.is_throttling(reply.code, reply.http_status)
            admitted = reply.ok or (reply.from_service and not throttled)
            self._pace.answered(
                sent_at, admitted=admitted, throttled=throttled, retry_after=reply.retry_after
            )
            retryable = not reply.ok and reply.retryable
            delay = schedule.next_delay(retryable, reply.retry_after, throttled)
            if delay is None:
                break
            logger.debug(
                "%s failed (%s); retry %d in %.2fs", action, reply.error, schedule.attempts, delay
            )
            await _io.sleep(delay)
        if schedule.attempts > 1 and not reply.ok:
            reply = attrs.evolve(reply, error=f"{reply.error} (after {schedule.attempts} attempts)")
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

    async def _attempt(
        self, action: str, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> Reply:
        url = _request.call_url(self._base_url, action)
        try:
            response = await _exchange.fetch(
                self._transport, "POST", url, headers, body, Deadline(total=timeout)
            )
        except TransportError as exc:
            return failure(self.safe(exc.message), code=exc.code, retryable=exc.retryable)
        reply = decode_reply(response.status, response.body, response.retry_after)
        if reply.ok:
            return reply
        return attrs.evolve(reply, error=self.safe(reply.error), message=self.safe(reply.message))

    def _transfer_deadline(self, deadline: Deadline | None) -> Deadline:
        """One attempt's deadline: no stall longer than the client's timeout, no end past
        ``deadline`` (the whole transfer's)."""
        total = None if deadline is None else deadline.remaining()
        return Deadline(total=total, stall=self._timeout_s)

    async def upload(
        self,
        url: str,
        headers: Mapping[str, str],
        chunks: AsyncIterator[bytes],
        deadline: Deadline | None = None,
    ) -> Response:
        """PUT ``chunks`` to a presigned ``url``: each step must progress within the client's
        timeout, the whole before ``deadline`` when given. Raises ``TransportError``."""
        if self.closed:
            raise client_closed("Upload")
        return await _exchange.send_stream(
            self._transport, "PUT", url, headers, chunks, self._transfer_deadline(deadline)
        )

    async def download(
        self,
        url: str,
        headers: Mapping[str, str],
        destination: BodyDestination,
        deadline: Deadline | None = None,
    ) -> Response:
        """GET a presigned ``url`` into ``destination``, under the same time rules as
        :meth:`upload`. Raises ``TransportError``."""
        if self.closed:
            raise client_closed("Download")
        return await _exchange.receive_stream(
            self._transport, url, headers, destination, self._transfer_deadline(deadline)
        )

    def safe(self, text: str) -> str:
        """``text`` without the API key (in any encoding) and without URL queries."""
        return self._redactor.redact(text)

    async def aclose(self) -> None:
        """Close the transport; later calls fail without sending."""
        self.closed = True
        await self._transport.aclose()
