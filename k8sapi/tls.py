"""HTTPS for the Kubernetes API: a self-signed CA and a server certificate, made on first use.

kubectl sends a bearer token only over TLS, so `manage.py serve` also listens on an HTTPS port
(`endpoint()` gives daphne its Twisted endpoint string). The CA lives in `VAR_DIR/tls` and is
handed to users inside their kubeconfig (`certificate-authority-data`), so it must outlive
restarts; the server certificate is re-issued by the same CA whenever the names it must cover
change (serving on another interface), which keeps existing kubeconfigs valid.
"""
from __future__ import annotations

import datetime
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

CA_NAME = "kubesim-ca"
VALID_FOR = datetime.timedelta(days=3650)
WILDCARD_HOSTS = {"0.0.0.0", "::", ""}


@dataclass(frozen=True)
class TlsFiles:
    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.directory / "server.key"


def files() -> TlsFiles:
    return TlsFiles(Path(settings.VAR_DIR) / "tls")


def _write_private(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    path.chmod(0o600)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _now() -> datetime.datetime:
    """Certificate validity is about the real world, so this is the wall clock (not sim time)."""
    return datetime.datetime.now(datetime.timezone.utc)


def _ensure_ca(tls: TlsFiles) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    if tls.ca_cert.exists() and tls.ca_key.exists():
        cert = x509.load_pem_x509_certificate(tls.ca_cert.read_bytes())
        key = serialization.load_pem_private_key(tls.ca_key.read_bytes(), password=None)
        return cert, key
    tls.directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALID_FOR)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(tls.ca_key, _key_pem(key))
    tls.ca_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _wanted_names(host: str) -> tuple[set[str], set[str]]:
    """(DNS names, IP addresses) the server certificate must cover for `host`."""
    dns = {"localhost"}
    ips = {"127.0.0.1", "::1"}
    hosts = {host} if host not in WILDCARD_HOSTS else {socket.gethostname()}
    for name in hosts:
        try:
            ips.add(str(ipaddress.ip_address(name.strip("[]"))))
        except ValueError:
            dns.add(name)
    return dns, ips


def _covered(cert: x509.Certificate) -> tuple[set[str], set[str]]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set(), set()
    return set(san.get_values_for_type(x509.DNSName)), {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}


def _server_cert_valid(tls: TlsFiles, ca: x509.Certificate, dns: set[str], ips: set[str]) -> bool:
    if not (tls.server_cert.exists() and tls.server_key.exists()):
        return False
    cert = x509.load_pem_x509_certificate(tls.server_cert.read_bytes())
    have_dns, have_ips = _covered(cert)
    fresh = cert.not_valid_after_utc > _now() + datetime.timedelta(days=1)
    return cert.issuer == ca.subject and fresh and dns <= have_dns and ips <= have_ips


def ensure_certificates(host: str = "127.0.0.1") -> TlsFiles:
    """The CA (made once) and a server certificate covering `host`, localhost and 127.0.0.1."""
    tls = files()
    ca, ca_key = _ensure_ca(tls)
    dns, ips = _wanted_names(host)
    if _server_cert_valid(tls, ca, dns, ips):
        return tls
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    san = [x509.DNSName(d) for d in sorted(dns)] + [x509.IPAddress(ipaddress.ip_address(i)) for i in sorted(ips)]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubesim-apiserver")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALID_FOR)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, key_encipherment=False, key_cert_sign=False, crl_sign=False,
                          content_commitment=False, data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(tls.server_key, _key_pem(key))
    tls.server_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return tls


def ca_pem() -> bytes:
    """The CA certificate users must trust (what goes into `certificate-authority-data`)."""
    return ensure_certificates().ca_cert.read_bytes()


def _escape(value: str) -> str:
    """Twisted endpoint strings separate fields with ':'; escape it (and '\\') in values."""
    return value.replace("\\", "\\\\").replace(":", "\\:")


def endpoint(host: str, port: int) -> str:
    """The daphne (Twisted) endpoint string for HTTPS on `host:port`, certificates included."""
    tls = ensure_certificates(host)
    interface = host.strip("[]") or "0.0.0.0"
    return (f"ssl:port={port}:interface={_escape(interface)}"
            f":privateKey={_escape(str(tls.server_key))}:certKey={_escape(str(tls.server_cert))}")
