"""What only the sync flavour has: its sleep and its default carrier, urllib3.

urllib3 carries the bytes because, measured here, one pool shared by 50 threads keeps its pace
where httpx's ``Client`` reaches about 0.6 of it, and a sequential call costs less than a raw
httpx POST (docs/benchmarks.md). It is imported when the first client is made.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from ._config import Config
from ._wire import CHUNK_SIZE, Answer, CarrierError, Receiver, content_length

if TYPE_CHECKING:
    from urllib3 import BaseHTTPResponse


def sleep(seconds: float) -> None:
    """Sleep the calling thread."""
    time.sleep(seconds)


class Urllib3Carrier:
    """Pooled HTTP over urllib3; safe to share between threads.

    Calls to the endpoint go straight to its own connection pool (urllib3 then skips parsing
    the URL and looking the pool up on every call); presigned URLs go through a PoolManager.
    """

    def __init__(self, config: Config) -> None:
        import certifi
        import urllib3

        self._urllib3 = urllib3
        size, ca_certs = config.max_connections, certifi.where()
        self._pool = urllib3.PoolManager(
            maxsize=size, block=False, retries=False, ca_certs=ca_certs
        )
        origin = urllib3.util.parse_url(config.base_url)
        self._origin = f"{origin.scheme}://{origin.netloc}/"
        tls = {"ca_certs": ca_certs} if origin.scheme == "https" else {}
        self._endpoint = urllib3.connection_from_url(
            self._origin, maxsize=size, block=False, retries=False, **tls
        )

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        timeout: float,
        body: bytes | Iterator[bytes] | None = None,
        receiver: Receiver | None = None,
    ) -> Answer:
        """Send one request; stream a 2xx body to ``receiver`` when given.

        ``timeout`` bounds connecting and each read or write.
        Raises :class:`CarrierError` when no HTTP answer came back in time.
        """
        urllib3 = self._urllib3
        opener: Callable[..., BaseHTTPResponse] = self._pool.urlopen
        if url.startswith(self._origin):
            opener, url = self._endpoint.urlopen, url[len(self._origin) - 1 :]
        try:
            response = opener(
                method,
                url,
                body=body,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=receiver is None,
                decode_content=False,
                chunked=body is not None
                and not isinstance(body, bytes)
                and "content-length" not in headers,
                timeout=urllib3.Timeout(connect=timeout, read=timeout),
            )
            if receiver is None:
                return Answer(response.status, response.data, response.headers.get("Retry-After"))
            try:
                if not 200 <= response.status < 300:
                    return Answer(response.status, response.read())
                receiver.begin(content_length(response.headers.get("Content-Length")))
                for chunk in response.stream(CHUNK_SIZE, decode_content=False):
                    receiver.write(chunk)
                return Answer(response.status)
            except BaseException:
                response.close()  # never hand a half-read connection back to the pool
                raise
            finally:
                response.release_conn()
        except urllib3.exceptions.NewConnectionError as exc:  # a subclass of TimeoutError
            raise CarrierError(f"Network error: {type(exc).__name__}: {exc}") from None
        except urllib3.exceptions.TimeoutError:
            raise CarrierError(f"Request timed out after {timeout * 1000:.0f} ms") from None
        except urllib3.exceptions.HTTPError as exc:
            raise CarrierError(f"Network error: {type(exc).__name__}: {exc}") from None

    def close(self) -> None:
        """Close the pooled connections."""
        self._pool.clear()
        self._endpoint.close()
