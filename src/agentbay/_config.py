"""Client configuration, built as wuying-agentbay-sdk 0.22.3 builds it: a region (default
``cn-hangzhou``) names the endpoint, a timeout (default 60,000 ms) bounds each attempt, and a
client given no ``cfg`` reads ``AGENTBAY_*`` variables after loading a ``.env`` file."""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import Any

import attrs

from ._errors import AgentBayError

DEFAULT_REGION = "cn-hangzhou"
DEFAULT_TIMEOUT_MS = 60_000
KNOWN_REGIONS = ("cn-hangzhou", "ap-southeast-1", "us-east-1")
# Pre-release hosts do not follow one pattern; others fall back to agentbay-pre.<region>.
PRE_RELEASE_HOSTS = {
    "cn-hangzhou": "agentbay-pre.cn-hangzhou.aliyuncs.com",
    "ap-southeast-1": "wuyingai-pre.ap-southeast-1.aliyuncs.com",
}
_PRE = "pre-"

logger = logging.getLogger("agentbay")


def region_endpoint(region_id: str) -> tuple[str, str]:
    """The region sent as ``LoginRegionId`` and the host that serves ``region_id``.

    ``pre-X`` selects X's pre-release host; an unknown region is logged as a warning (a typo is
    likelier than a new region) and still follows the pattern.

    >>> region_endpoint("ap-southeast-1")
    ('ap-southeast-1', 'agentbay.ap-southeast-1.aliyuncs.com')
    >>> region_endpoint("pre-cn-hangzhou")
    ('cn-hangzhou', 'agentbay-pre.cn-hangzhou.aliyuncs.com')
    """
    if region_id.startswith(_PRE):
        region = region_id[len(_PRE) :]
        host = PRE_RELEASE_HOSTS.get(region)
        if host is None:
            host = f"agentbay-pre.{region}.aliyuncs.com"
            logger.warning(
                "Unknown pre-release region %r: using %s (known: %s)",
                region_id,
                host,
                ", ".join(_PRE + r for r in PRE_RELEASE_HOSTS),
            )
        return region, host
    host = f"agentbay.{region_id}.aliyuncs.com"
    if region_id not in KNOWN_REGIONS:
        logger.warning(
            "Unknown region %r: using %s (known: %s)", region_id, host, ", ".join(KNOWN_REGIONS)
        )
    return region_id, host


DEFAULT_ENDPOINT = region_endpoint(DEFAULT_REGION)[1]


def _check_int(
    lowest: int, optional: bool, instance: Config, attribute: attrs.Attribute[Any], value: object
) -> None:
    """An attrs validator, given its first two arguments with ``functools.partial``: the value
    is an int >= ``lowest`` (or None when ``optional``)."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise AgentBayError(f"Config.{attribute.name} must be an int, got {value!r}")
    if value < lowest:
        raise AgentBayError(f"Config.{attribute.name} must be >= {lowest}, got {value}")


def _text_or_none(instance: Config, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise AgentBayError(f"Config.{attribute.name} must be a string, got {value!r}")


def _bool(instance: Config, attribute: attrs.Attribute[bool], value: bool) -> None:
    """An attrs validator: the value is a bool (not merely truthy)."""
    if not isinstance(value, bool):
        raise AgentBayError(f"Config.{attribute.name} must be a bool, got {value!r}")


@attrs.define
class Config:
    """Where and how the client talks to the service; every argument is optional, in the order
    of wuying-agentbay-sdk 0.22.3 (``Config(30_000, "ap-southeast-1")`` works as there).

    ``region_id`` names the endpoint (``agentbay.<region>.aliyuncs.com``, default
    ``cn-hangzhou``) and is sent as ``LoginRegionId`` when ``get(create=True)`` creates.
    ``endpoint``, a bare host (HTTPS) or a full URL used as is (``http://127.0.0.1:8765``), wins
    over the region's host when given here (0.22.3 ignores it when a region is set).
    ``timeout_ms`` bounds every attempt of every call (default 60,000); ``max_retries``
    transient failures are retried with backoff (0 disables); ``max_connections`` sizes the
    connection pool.
    ``verify_crc`` checks every transfer's bytes against the CRC-64 storage answers with
    (``x-oss-hash-crc64ecma``); ``False`` skips computing it (docs/transfers.md).

    Example::

        cfg = Config(region_id="ap-southeast-1", timeout_ms=30_000)
        local = Config(endpoint="http://127.0.0.1:8765", timeout_ms=10_000, max_retries=5)
        agent_bay = AgentBay(api_key="key", cfg=local)
    """

    timeout_ms: int | None = attrs.field(
        default=None, validator=functools.partial(_check_int, 1, True)
    )
    region_id: str | None = attrs.field(default=None, validator=_text_or_none)
    endpoint: str | None = attrs.field(default=None, validator=_text_or_none)
    max_retries: int = attrs.field(
        default=3, validator=functools.partial(_check_int, 0, False), kw_only=True
    )
    max_connections: int = attrs.field(
        default=100, validator=functools.partial(_check_int, 1, False), kw_only=True
    )
    verify_crc: bool = attrs.field(default=True, validator=_bool, kw_only=True)

    @classmethod
    def from_env(cls, env_file: str | os.PathLike[str] | None = None) -> Config:
        """The Config of a client given no ``cfg``: load a ``.env`` file (``env_file``, else
        the first ``.env`` found upward from the working directory; variables already set are
        kept), then read ``AGENTBAY_TIMEOUT_MS``, ``AGENTBAY_REGION_ID`` and
        ``AGENTBAY_ENDPOINT``, which is used only when no region is set.

        Example: ``Config.from_env(".env.staging").region_id``
        """
        load_env_file(env_file)
        timeout_ms: int | None = None
        raw_timeout = os.environ.get("AGENTBAY_TIMEOUT_MS")
        if raw_timeout:
            try:
                timeout_ms = int(raw_timeout)
            except ValueError:
                raise AgentBayError(
                    f"AGENTBAY_TIMEOUT_MS must be an integer, got {raw_timeout!r}"
                ) from None
        region_id = os.environ.get("AGENTBAY_REGION_ID") or None
        endpoint = os.environ.get("AGENTBAY_ENDPOINT") or None
        if region_id and endpoint:
            logger.warning(
                "AGENTBAY_ENDPOINT is ignored: AGENTBAY_REGION_ID=%r names the endpoint", region_id
            )
            endpoint = None
        return cls(timeout_ms=timeout_ms, region_id=region_id, endpoint=endpoint)

    def resolved(self) -> Config:
        """This Config with every default applied: the timeout, the region (without a ``pre-``
        prefix) and the endpoint (the one given, else the region's host).

        >>> Config(region_id="us-east-1").resolved().endpoint
        'agentbay.us-east-1.aliyuncs.com'
        """
        region, host = region_endpoint(self.region_id or DEFAULT_REGION)
        return attrs.evolve(
            self,
            timeout_ms=self.timeout_ms or DEFAULT_TIMEOUT_MS,
            region_id=region,
            endpoint=self.endpoint or host,
        )

    @property
    def attempt_timeout_ms(self) -> int:
        """``timeout_ms``, else the default 60,000."""
        return self.timeout_ms or DEFAULT_TIMEOUT_MS

    @property
    def base_url(self) -> str:
        """The URL calls are POSTed to: ``https://<host>/`` for a bare host, else the URL given
        (the region's host when no endpoint is given)."""
        given = self.endpoint if self.endpoint is not None else self.resolved().endpoint
        if not isinstance(given, str):
            raise AgentBayError(f"Config.endpoint must be a string, got {given!r}")
        endpoint = given.strip()
        if not endpoint:
            raise AgentBayError("Config.endpoint must not be empty")
        if "://" not in endpoint:
            endpoint = "https://" + endpoint
        scheme, _, rest = endpoint.partition("://")
        if scheme.lower() not in ("http", "https"):
            raise AgentBayError(f"Config.endpoint must be http or https, got {given!r}")
        return endpoint if "/" in rest else endpoint + "/"


def find_env_file(start: Path | None = None) -> Path | None:
    """The first ``.env`` file in ``start`` (the working directory) or a parent of it."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / ".env"
        if path.is_file():
            return path
    return None


def load_env_file(env_file: str | os.PathLike[str] | None = None) -> Path | None:
    """Load ``env_file`` (else the nearest ``.env`` upward) into ``os.environ`` without
    overriding variables already set, as 0.22.3 does; return the file loaded, if any.

    A named file that does not exist is logged and the upward search is used instead.
    python-dotenv is imported only here, so ``import agentbay`` does not pay for it.
    """
    path: Path | None = None
    if env_file is not None:
        path = Path(env_file)
        if not path.is_file():
            logger.warning("The .env file %s does not exist; looking for one upward", path)
            path = None
    if path is None:
        path = find_env_file()
    if path is None:
        return None
    import dotenv

    try:
        dotenv.load_dotenv(path, override=False)
    except (OSError, UnicodeDecodeError) as exc:
        logger.warning("Cannot load the .env file %s: %s", path, exc)
        return None
    return path


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
