"""HTTPS against the emulator (``--tls``): the SDK's default transport trusts its CA through
``AGENTBAY_CA_BUNDLE`` alone, a bare host endpoint means HTTPS, presigned URLs are HTTPS too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agentbay import AgentBayError, AsyncAgentBay, Config
from agentbay_emulator import running


@pytest.fixture(scope="module")
def tls_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """An HTTPS emulator: its bare ``host:port`` and the CA certificate it prints."""
    data = tmp_path_factory.mktemp("tls-emulator")
    with running(data, tls=True, clear_delay=0.1) as url:
        assert url.startswith("https://127.0.0.1:")
        yield url.removeprefix("https://"), data / "tls" / "ca.pem"


async def test_a_round_trip_over_https_with_the_ca_in_agentbay_ca_bundle(
    tls_emulator: tuple[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    host, ca = tls_emulator
    monkeypatch.setenv("AGENTBAY_CA_BUNDLE", str(ca))
    async with AsyncAgentBay(api_key="tls", cfg=Config(endpoint=host, timeout_ms=10_000)) as bay:
        created = await bay.context.get(name="secure", create=True)
        assert created.success, created.error_message
        url = await bay.context.get_file_upload_url(created.context_id, "/a/b.txt")
        assert url.url.startswith(f"https://{host}/files/")
        uploaded = await bay.context.upload_file(created.context_id, "/a/b.txt", b"over tls")
        assert uploaded.success, uploaded.error_message
        listed = await bay.context.list_files(created.context_id, "/a")
        assert [entry.file_name for entry in listed.entries] == ["b.txt"]
        target = tmp_path / "b.txt"
        downloaded = await bay.context.download_file(created.context_id, "/a/b.txt", target)
        assert downloaded.success, downloaded.error_message
    assert target.read_bytes() == b"over tls"


async def test_without_the_ca_the_handshake_fails(
    tls_emulator: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    host, _ = tls_emulator
    monkeypatch.delenv("AGENTBAY_CA_BUNDLE", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    async with AsyncAgentBay(
        api_key="tls", cfg=Config(endpoint=host, timeout_ms=10_000, max_retries=0)
    ) as bay:
        refused = await bay.context.get(name="secure", create=True)
    assert refused.code == "SDK.TlsHandshakeFailed"


async def test_the_ca_is_kept_across_restarts(tmp_path: Path) -> None:
    with running(tmp_path, tls=True):
        first = (tmp_path / "tls" / "ca.pem").read_bytes()
    with running(tmp_path, tls=True) as url:
        assert (tmp_path / "tls" / "ca.pem").read_bytes() == first
        assert url.startswith("https://")
    assert (tmp_path / "tls" / "ca-key.pem").stat().st_mode & 0o077 == 0


def test_an_unusable_ca_bundle_is_refused_before_anything_is_sent(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AGENTBAY_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with pytest.raises(
        AgentBayError, match=r"AGENTBAY_CA_BUNDLE=.*missing\.pem.* not a readable PEM file"
    ):
        AsyncAgentBay(api_key="k", cfg=Config(endpoint="127.0.0.1:1", timeout_ms=1000))
