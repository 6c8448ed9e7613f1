"""AsyncAgentBay: the client. It owns the transport (through its channel) and the services."""

import os
from typing import TYPE_CHECKING

from .._config import DEFAULT_REGION, Config, resolve_api_key
from .._errors import AgentBayError
from .._transports._async.base import AsyncTransport
from . import _io
from ._channel import AsyncChannel
from .context import AsyncContextService

if TYPE_CHECKING:
    import httpx


class AsyncAgentBay:
    """The async client of AgentBay contexts; ``.context`` is the :class:`AsyncContextService`.

    Built as wuying-agentbay-sdk 0.22.3's client is: with no ``cfg``, a ``.env`` file
    (``env_file``, else the nearest one upward) is loaded and the ``AGENTBAY_*`` variables are
    read (:meth:`Config.from_env`); the API key falls back to ``AGENTBAY_API_KEY``.
    Pass ``http_client`` to use your own ``httpx.AsyncClient`` (proxies, TLS, mocking).
    Closing is optional: a client dropped unclosed releases its connections quietly.

    Example::

        async with AsyncAgentBay(api_key="key") as agent_bay:
            result = await agent_bay.context.get(name="my-context", create=True)
    """

    def __init__(
        self,
        api_key: str = "",
        cfg: Config | None = None,
        env_file: "str | os.PathLike[str] | None" = None,
        *,
        http_client: "httpx.AsyncClient | None" = None,
    ) -> None:
        if cfg is None:
            cfg = Config.from_env(env_file)
        elif not isinstance(cfg, Config):
            raise AgentBayError(f"cfg must be a Config, got {type(cfg).__name__}")
        self._api_key = resolve_api_key(api_key)
        # Every default applied: the timeout, the region and its endpoint.
        self.config: Config = cfg.resolved()
        transport: AsyncTransport
        if http_client is None:
            transport = _io.default_transport(self.config)
        else:
            from .._transports._async.httpx import AsyncHttpxTransport

            transport = AsyncHttpxTransport(http_client)
        self._channel = AsyncChannel(self._api_key, self.config, transport)
        self.context: AsyncContextService = AsyncContextService(self)

    @property
    def api_key(self) -> str:
        """The API key in use (never shown in reprs or logs)."""
        return self._api_key

    @property
    def channel(self) -> AsyncChannel:
        """How this client's services reach AgentBay (actions with retries, transfers); handed
        to each service as it is built. Internal: not for sending requests yourself."""
        return self._channel

    @property
    def region_id(self) -> str:
        """The region sent as LoginRegionId when creating contexts (default ``cn-hangzhou``)."""
        return self.config.region_id or DEFAULT_REGION

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={self.config.endpoint!r})"

    async def aclose(self) -> None:
        """Close the connection pool (not an ``http_client`` you passed in); later calls fail
        without sending. Optional: an unclosed client releases its pool when dropped."""
        await self._channel.aclose()

    async def __aenter__(self) -> "AsyncAgentBay":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
