"""Client configuration: endpoint, timeouts, retries, pool size, and their environment fallbacks."""

import os
from collections.abc import Callable

import attrs

from ._errors import AgentBayError

DEFAULT_ENDPOINT = "wuyingai.cn-shanghai.aliyuncs.com"
DEFAULT_TIMEOUT_MS = 60_000


def _int_at_least(lowest: int) -> Callable[["Config", "attrs.Attribute[int]", int], None]:
    """An attrs validator: the value is an int >= ``lowest``."""

    def check(instance: "Config", attribute: "attrs.Attribute[int]", value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise AgentBayError(f"Config.{attribute.name} must be an int, got {value!r}")
        if value < lowest:
            raise AgentBayError(f"Config.{attribute.name} must be >= {lowest}, got {value}")

    return check


def _bool(instance: "Config", attribute: "attrs.Attribute[bool]", value: bool) -> None:
    """An attrs validator: the value is a bool (not merely truthy)."""
    if not isinstance(value, bool):
        raise AgentBayError(f"Config.{attribute.name} must be a bool, got {value!r}")


@attrs.define
class Config:
    """Where and how the client talks to the service.

    ``endpoint`` is a bare host (HTTPS) or a full URL used as is (``http://127.0.0.1:8765``).
    ``timeout_ms`` bounds every attempt of every call; ``max_retries`` transient failures are
    retried with backoff (0 disables); ``max_connections`` sizes the connection pool.
    ``verify_crc`` checks every transfer's bytes against the CRC-64 storage answers with
    (``x-oss-hash-crc64ecma``); ``False`` skips computing it (docs/transfers.md).

    Example::

        cfg = Config(endpoint="http://127.0.0.1:8765", timeout_ms=10_000, max_retries=5)
        agent_bay = AgentBay(api_key="key", cfg=cfg)
    """

    endpoint: str
    timeout_ms: int = attrs.field(validator=_int_at_least(1))
    region_id: str | None = None
    max_retries: int = attrs.field(default=3, validator=_int_at_least(0), kw_only=True)
    max_connections: int = attrs.field(default=100, validator=_int_at_least(1), kw_only=True)
    verify_crc: bool = attrs.field(default=True, validator=_bool, kw_only=True)

    @classmethod
    def from_env(cls) -> "Config":
        """Build a Config from ``AGENTBAY_ENDPOINT``, ``AGENTBAY_TIMEOUT_MS`` and
        ``AGENTBAY_REGION_ID``, with the cloud defaults for whatever is unset."""
        raw_timeout = os.environ.get("AGENTBAY_TIMEOUT_MS") or str(DEFAULT_TIMEOUT_MS)
        try:
            timeout_ms = int(raw_timeout)
        except ValueError:
            raise AgentBayError(
                f"AGENTBAY_TIMEOUT_MS must be an integer, got {raw_timeout!r}"
            ) from None
        return cls(
            endpoint=os.environ.get("AGENTBAY_ENDPOINT") or DEFAULT_ENDPOINT,
            timeout_ms=timeout_ms,
            region_id=os.environ.get("AGENTBAY_REGION_ID") or None,
        )

    @property
    def base_url(self) -> str:
        """The URL calls are POSTed to: ``https://<host>/`` for a bare host, else the URL given."""
        if not isinstance(self.endpoint, str):
            raise AgentBayError(f"Config.endpoint must be a string, got {self.endpoint!r}")
        endpoint = self.endpoint.strip()
        if not endpoint:
            raise AgentBayError("Config.endpoint must not be empty")
        if "://" not in endpoint:
            endpoint = "https://" + endpoint
        scheme, _, rest = endpoint.partition("://")
        if scheme.lower() not in ("http", "https"):
            raise AgentBayError(f"Config.endpoint must be http or https, got {self.endpoint!r}")
        return endpoint if "/" in rest else endpoint + "/"


def resolve_api_key(api_key: str) -> str:
    """Return ``api_key``, else ``AGENTBAY_API_KEY``; raise :class:`AgentBayError` if neither."""
    key = api_key or os.environ.get("AGENTBAY_API_KEY", "")
    if not isinstance(key, str) or not key.strip():
        raise AgentBayError(
            "No API key: pass api_key=... or set the AGENTBAY_API_KEY environment variable"
        )
    if any(c in key for c in "\r\n\0"):
        raise AgentBayError("The API key contains a control character")
    return key
