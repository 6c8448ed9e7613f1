"""HTTPS for the emulator: a local certificate authority in the data directory, and a server
certificate it signs for the names the emulator is reached by.

The authority (``tls/ca.pem``, its key ``tls/ca-key.pem`` readable by the owner only) is made
once and reused at every start, so a client told to trust ``ca.pem`` keeps trusting the
emulator across restarts. The server certificate (``tls/server.pem``, ``tls/server-key.pem``)
is issued again at each start for the names of that start. Needs the ``cryptography`` package
(the ``emulator`` extra brings it).
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import socket
from collections.abc import Iterable
from pathlib import Path

import attrs

CA_DAYS = 3650
SERVER_DAYS = 825
WILDCARDS = frozenset({"0.0.0.0", "::", ""})


@attrs.frozen
class TlsFiles:
    """Where the authority's certificate, the server's certificate and its key are."""

    ca: Path
    certificate: Path
    key: Path


def names_for(host: str) -> list[str]:
    """The names a certificate for an emulator listening on ``host`` covers: ``host``, the
    loopback names, and for a wildcard address this machine's names too."""
    names = [host] if host not in WILDCARDS else [socket.gethostname(), socket.getfqdn()]
    names += ["localhost", "127.0.0.1", "::1"]
    return list(dict.fromkeys(name for name in names if name))


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, readable by the owner only (atomically replaced)."""
    temporary = path.with_suffix(".tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    os.replace(temporary, path)


def ensure_certificates(data_dir: Path, names: Iterable[str]) -> TlsFiles:
    """The authority of ``data_dir`` (made on first use) and a fresh server certificate for
    ``names`` (host names or IP addresses) signed by it.

    Example::

        files = ensure_certificates(Path("./data"), names_for("127.0.0.1"))
        print(files.ca)  # data/tls/ca.pem: what clients trust
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder = data_dir / "tls"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    ca_file, ca_key_file = folder / "ca.pem", folder / "ca-key.pem"
    now = datetime.datetime.now(datetime.timezone.utc)
    pem = serialization.Encoding.PEM
    if ca_file.exists() and ca_key_file.exists():
        ca_cert = x509.load_pem_x509_certificate(ca_file.read_bytes())
        loaded = serialization.load_pem_private_key(ca_key_file.read_bytes(), password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{ca_key_file} is not the key of the emulator's authority")
        ca_key = loaded
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "AgentBay emulator local CA")])
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        key_bytes = ca_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_private(ca_key_file, key_bytes)
        ca_file.write_bytes(ca_cert.public_bytes(pem))

    alternatives: list[x509.GeneralName] = []
    for name in dict.fromkeys(names):
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(name.strip("[]"))))
        except ValueError:
            alternatives.append(x509.DNSName(name))
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "AgentBay emulator")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = folder / "server.pem", folder / "server-key.pem"
    _write_private(
        key_file,
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )
    cert_file.write_bytes(certificate.public_bytes(pem) + ca_cert.public_bytes(pem))
    return TlsFiles(ca=ca_file, certificate=cert_file, key=key_file)
