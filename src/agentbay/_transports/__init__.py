"""The transport seam: the one place that knows HTTP libraries.

Every transport implements the protocol of its flavour, :class:`~._async.base.AsyncTransport`
(hand-written) or ``_sync.base.Transport`` (generated): *open* a request and get its status and
headers, then *read* the body chunk by chunk, then *close*. Everything above that (the time rules,
the body cap, streaming to a destination) is written once, in the exchange beside the channel
(``agentbay._async._exchange``, generated for the sync flavour), and what an error means in
:mod:`.errors`, so that the flavours and the transports behave alike by construction. Nothing
here imports the flavours, the services, the CLI or the emulator (``tests/repo/test_layers.py``).

=====================  =========  ======================================================
transport              flavour    used when
=====================  =========  ======================================================
``aiohttp.py``         async      by default (``AsyncAgentBay()``)
``urllib3.py``         sync       by default (``AgentBay()``)
``_async/httpx.py``    async      ``AsyncAgentBay(http_client=httpx.AsyncClient(...))``
``_sync/httpx.py``     sync       ``AgentBay(http_client=httpx.Client(...))`` (generated)
=====================  =========  ======================================================
"""
