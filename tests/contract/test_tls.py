"""TLS as the default transports (aiohttp, urllib3) speak it: they trust the certifi bundle (and
AGENTBAY_CA_BUNDLE, see tests/_async/e2e/test_emulator_tls.py) and nothing else, whatever the
system's store or SSL_CERT_FILE say; TLS failing mid-reply is a
broken connection over every transport. The servers hold certificates of a throwaway CA
(trustme); "the certifi bundle" is made to hold that CA by pointing ``certifi.where`` at it."""

from __future__ import annotations

import os
import socket
import ssl
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import certifi
import httpx
import pytest
import trustme

from agentbay import AgentBay, AsyncAgentBay, Config
from tests._async.contract.test_contract import Collector
from tests.helpers import API_KEY
from tests.hostile import Handler, HostileServer, Request, ok, reply, serving


class TlsServer(HostileServer):
    """A :class:`HostileServer` behind TLS, with a certificate for 127.0.0.1."""

    def __init__(self, handler: Handler, context: ssl.SSLContext) -> None:
        self._context = context  # before the accepting thread starts
        super().__init__(handler)
        self.url = self.url.replace("http://", "https://", 1)

    def _serve(self, conn: socket.socket) -> None:
        try:
            tls = self._context.wrap_socket(conn, server_side=True)
        except OSError:  # the client refused the certificate
            conn.close()
            return
        super()._serve(tls)


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, str]:
    """A server context with a certificate for 127.0.0.1, and the file of its CA."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return context, str(ca_file)


@contextmanager
def tls_serving(handler: Handler, context: ssl.SSLContext) -> Iterator[TlsServer]:
    server = TlsServer(handler, context)
    try:
        yield server
    finally:
        server.close()


def presigning(storage: HostileServer) -> Handler:
    """Answers calls with a presigned URL of ``storage`` (another host: another pool)."""

    def handle(conn: socket.socket, request: Request) -> bool:
        request.body()
        return reply(conn, 200, ok({"Url": f"{storage.url}/blob?Signature=s", "ExpireTime": 9}))

    return handle


def blob(conn: socket.socket, request: Request) -> bool:
    return reply(conn, 200, b"stored bytes")


@pytest.fixture
def certifi_holds_the_ca(monkeypatch: pytest.MonkeyPatch, authority: tuple[object, str]) -> None:
    monkeypatch.setattr(certifi, "where", lambda: authority[1])


@pytest.fixture
def only_the_system_store_holds_the_ca(
    monkeypatch: pytest.MonkeyPatch, authority: tuple[object, str]
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", authority[1])


def config(url: str) -> Config:
    return Config(endpoint=url, timeout_ms=2000, max_retries=0)


@pytest.mark.usefixtures("certifi_holds_the_ca")
def test_sync_trusts_the_certifi_bundle(authority: tuple[ssl.SSLContext, str]) -> None:
    context = authority[0]
    with (
        tls_serving(blob, context) as storage,
        tls_serving(presigning(storage), context) as endpoint,
        AgentBay(API_KEY, config(endpoint.url)) as client,
    ):
        url = client.context.get_file_download_url("ctx-1", "/a")
        downloaded = Collector()
        download = client.context.download_file("ctx-1", "/a", downloaded)
    assert url.success and download.success and bytes(downloaded.data) == b"stored bytes"


@pytest.mark.usefixtures("certifi_holds_the_ca")
async def test_async_trusts_the_certifi_bundle(authority: tuple[ssl.SSLContext, str]) -> None:
    context = authority[0]
    with tls_serving(blob, context) as storage, tls_serving(presigning(storage), context) as end:
        async with AsyncAgentBay(API_KEY, config(end.url)) as client:
            url = await client.context.get_file_download_url("ctx-1", "/a")
            downloaded = Collector()
            download = await client.context.download_file("ctx-1", "/a", downloaded)
    assert url.success and download.success and bytes(downloaded.data) == b"stored bytes"


def refused(server: HostileServer) -> tuple[str, str]:
    """The code and message of a result whose TLS handshake with ``server`` failed."""
    port = server.url.rpartition(":")[2]
    return "SDK.TlsHandshakeFailed", f"Network error: TLS handshake with 127.0.0.1:{port} failed"


def system_store_trusts(server: HostileServer) -> bool:
    """Whether Python's default TLS context (the system's store) accepts ``server``."""
    port = int(server.url.rpartition(":")[2])
    context = ssl.create_default_context()
    with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
        context.wrap_socket(raw, server_hostname="127.0.0.1").close()
    return True


@pytest.mark.usefixtures("only_the_system_store_holds_the_ca")
def test_sync_trusts_nothing_but_the_certifi_bundle(authority: tuple[ssl.SSLContext, str]) -> None:
    context = authority[0]
    with (
        tls_serving(blob, context) as storage,
        tls_serving(presigning(storage), context) as service,
    ):
        assert system_store_trusts(service)
        with AgentBay(API_KEY, config(service.url)) as client:
            called = client.context.get_file_download_url("ctx-1", "/a")
        with (
            serving(presigning(storage)) as endpoint,
            AgentBay(API_KEY, config(endpoint.url)) as client,
        ):
            download = client.context.download_file("ctx-1", "/a", Collector())
    assert (called.code, called.error_message) == refused(service)
    assert (download.code, download.error_message) == refused(storage)


@pytest.mark.usefixtures("only_the_system_store_holds_the_ca")
async def test_async_trusts_nothing_but_the_certifi_bundle(
    authority: tuple[ssl.SSLContext, str],
) -> None:
    context = authority[0]
    with (
        tls_serving(blob, context) as storage,
        tls_serving(presigning(storage), context) as service,
    ):
        assert system_store_trusts(service)
        async with AsyncAgentBay(API_KEY, config(service.url)) as client:
            called = await client.context.get_file_download_url("ctx-1", "/a")
        with serving(presigning(storage)) as endpoint:
            async with AsyncAgentBay(API_KEY, config(endpoint.url)) as client:
                download = await client.context.download_file("ctx-1", "/a", Collector())
    assert (called.code, called.error_message) == refused(service)
    assert (download.code, download.error_message) == refused(storage)


def spoiled(head: bytes) -> Handler:
    """Sends ``head`` of a reply, then a TLS record that does not decrypt."""

    def handle(conn: socket.socket, request: Request) -> bool:
        request.body()
        conn.sendall(head)
        time.sleep(0.2)
        with socket.socket(fileno=os.dup(conn.fileno())) as raw:  # under TLS
            raw.sendall(b"\x17\x03\x03\x00\x10" + b"Z" * 16)
            time.sleep(0.3)
        return False

    return handle


MID_BODY = b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"Success": '
BROKEN = (
    "SDK.ConnectionBroken",
    "Network error: the connection closed before the reply was complete",
)


@pytest.fixture(params=["default", "httpx"])
def sync_http_client(
    request: pytest.FixtureRequest, authority: tuple[object, str]
) -> Iterator[httpx.Client | None]:
    """The default transport (None), or a user's httpx client trusting the CA."""
    if request.param == "default":
        yield None
        return
    with httpx.Client(verify=ssl.create_default_context(cafile=authority[1])) as client:
        yield client


@pytest.fixture(params=["default", "httpx"])
async def async_http_client(
    request: pytest.FixtureRequest, authority: tuple[object, str]
) -> AsyncIterator[httpx.AsyncClient | None]:
    """The default transport (None), or a user's httpx client trusting the CA."""
    if request.param == "default":
        yield None
        return
    async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=authority[1])) as client:
        yield client


@pytest.mark.usefixtures("certifi_holds_the_ca")
def test_sync_tls_failing_mid_reply_is_a_broken_connection(
    authority: tuple[ssl.SSLContext, str], sync_http_client: httpx.Client | None
) -> None:
    """(Before the reply's head, urllib3's error reads as a failed handshake: no case here.)"""
    with (
        tls_serving(spoiled(MID_BODY), authority[0]) as server,
        AgentBay(API_KEY, config(server.url), http_client=sync_http_client) as client,
    ):
        result = client.context.get(name="a")
    assert (result.code, result.error_message) == BROKEN


@pytest.mark.usefixtures("certifi_holds_the_ca")
@pytest.mark.parametrize("head", [b"", MID_BODY], ids=["before-the-head", "mid-body"])
async def test_async_tls_failing_mid_reply_is_a_broken_connection(
    authority: tuple[ssl.SSLContext, str],
    async_http_client: httpx.AsyncClient | None,
    head: bytes,
) -> None:
    with tls_serving(spoiled(head), authority[0]) as server:
        async with AsyncAgentBay(
            API_KEY, config(server.url), http_client=async_http_client
        ) as client:
            result = await client.context.get(name="a")
    assert (result.code, result.error_message) == BROKEN
