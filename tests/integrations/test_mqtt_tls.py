"""MQTT over TLS with a real Mosquitto: a broker whose certificate the configured CA did not sign is a clear error
(and nothing is published or committed); with the right CA the events go through."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from testkit.processes import free_port, wait_until
from testkit.servers import private_mosquitto

from .conftest import mqtt_config, publish


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def certificate_authority(folder: Path, name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate, str]:
    """A self-signed CA: its key, certificate and the certificate's PEM file."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name)).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))  # fmt: skip
    return key, cert, _pem(folder / f"{name}.pem", cert.public_bytes(serialization.Encoding.PEM))


def server_certificate(folder: Path, ca_key, ca_cert) -> tuple[str, str]:
    """A certificate for 127.0.0.1 signed by the CA: (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))  # fmt: skip
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())  # fmt: skip
    return (_pem(folder / "server.pem", cert.public_bytes(serialization.Encoding.PEM)),
            _pem(folder / "server.key", key_pem))  # fmt: skip


def test_a_certificate_the_ca_did_not_sign_is_refused_and_the_right_ca_works(
    app, gates, rds, tmp_path, start_publisher, caplog
) -> None:
    ca_key, ca_cert, ca_file = certificate_authority(tmp_path, "site-ca")
    _other_key, _other_cert, other_ca_file = certificate_authority(tmp_path, "other-ca")
    cert_file, key_file = server_certificate(tmp_path, ca_key, ca_cert)
    port = free_port()
    tls = f"cafile {ca_file}\ncertfile {cert_file}\nkeyfile {key_file}\n"
    broker = private_mosquitto(tmp_path / "tls-broker", port, tls)
    broker.start(timeout=20)
    try:
        front = gates["Front door"]
        publish(rds, front, "granted")
        url = f"mqtts://127.0.0.1:{port}"
        wrong = start_publisher(mqtt_config(app, port, MQTT_URL=url, MQTT_CA_FILE=other_ca_file))
        assert wait_until(lambda: "TLS with the MQTT broker" in caplog.text, 10)
        assert "certificate verify failed" in caplog.text
        wrong.stop()
        assert rds.hget("facegate:integrations:mqtt:cursors", str(front)) is None

        start_publisher(mqtt_config(app, port, MQTT_URL=url, MQTT_CA_FILE=ca_file))
        assert wait_until(lambda: rds.hget("facegate:integrations:mqtt:cursors", str(front)) is not None, 10)
    finally:
        broker.stop(timeout=10)
