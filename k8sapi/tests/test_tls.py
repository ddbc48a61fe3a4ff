"""The self-signed CA and server certificate behind the HTTPS port."""
from __future__ import annotations

import ipaddress

import pytest
from cryptography import x509

from k8sapi import tls


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def load(path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def names(cert: x509.Certificate) -> tuple[set[str], set[str]]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(san.get_values_for_type(x509.DNSName)), {str(i) for i in san.get_values_for_type(x509.IPAddress)}


def test_made_on_first_use_and_kept(var_dir):
    files = tls.ensure_certificates("127.0.0.1")
    assert files.directory == var_dir / "tls"
    ca, server = load(files.ca_cert), load(files.server_cert)
    server.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert names(server) == ({"localhost"}, {"127.0.0.1", "::1"})
    assert oct(files.server_key.stat().st_mode & 0o777) == "0o600"
    again = tls.ensure_certificates("127.0.0.1")
    assert again.server_cert.read_bytes() == files.server_cert.read_bytes()


def test_a_new_interface_gets_a_new_certificate_from_the_same_ca(var_dir):
    first = tls.ensure_certificates("127.0.0.1")
    ca = first.ca_cert.read_bytes()
    files = tls.ensure_certificates("10.1.2.3")
    assert files.ca_cert.read_bytes() == ca
    server = load(files.server_cert)
    server.verify_directly_issued_by(load(files.ca_cert))
    assert ipaddress.ip_address("10.1.2.3") in {ipaddress.ip_address(i) for i in names(server)[1]}
    assert tls.ca_pem() == ca


def test_endpoint_for_daphne(var_dir):
    endpoint = tls.endpoint("127.0.0.1", 8001)
    files = tls.files()
    assert endpoint == (f"ssl:port=8001:interface=127.0.0.1:privateKey={files.server_key}"
                        f":certKey={files.server_cert}")


def test_colons_in_paths_are_escaped(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "a:b"
    assert "privateKey=" + str(tmp_path).replace(":", "\\:") + "/a\\:b/tls/server.key" in tls.endpoint("::", 8001)
