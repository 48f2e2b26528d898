"""TLS end to end: the web app under gunicorn over HTTPS with a site CA made at test time (`flask tls`), and real
gate client processes that trust that CA, trust another one, or are told to use plain HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import certifi
import pytest
import requests

from app.accounts import create_gate
from app.gates.stream import Event, publish_event
from app.models import Gate
from app.redis_client import get_redis
from testkit.gate_process import GateProcess
from testkit.processes import TlsFiles, gunicorn_app

pytestmark = pytest.mark.slow

RELAY = 22


def make_ca(app, folder: Path) -> Path:
    """A CA made with `flask tls make-ca`; its certificate."""
    result = app.test_cli_runner().invoke(args=["tls", "make-ca", str(folder)])
    assert result.exit_code == 0, result.output
    return folder / "ca.crt"


@pytest.fixture()
def site_tls(app, tmp_path) -> TlsFiles:
    """The site CA and a server certificate for 127.0.0.1 and localhost it issued (`flask tls issue`)."""
    ca = make_ca(app, tmp_path / "ca")
    cert, key = tmp_path / "server.crt", tmp_path / "server.key"
    result = app.test_cli_runner().invoke(
        args=["tls", "issue", str(ca.parent), "--host", "127.0.0.1", "--host", "localhost", "--cert", str(cert),
              "--key", str(key)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert key.stat().st_mode & 0o777 == 0o600 and (ca.parent / "ca.key").stat().st_mode & 0o777 == 0o600
    return TlsFiles(cert, key, ca)


@pytest.fixture()
def https_web(db, redis_client, test_env, tmp_path, site_tls):
    """gunicorn serving the app over HTTPS with the site's server certificate."""
    server = gunicorn_app({**os.environ, **test_env}, tmp_path / "web.log", workers=1, threads=8, tls=site_tls)
    server.start(timeout=90)
    yield server
    server.stop(timeout=45)


@pytest.fixture()
def gate(db):
    """(id, token) of a gate."""
    gate, token = create_gate("Front door", "0")
    return gate.id, token


def granted(gate_id: int) -> Event:
    stamp = datetime.now(UTC).isoformat()
    return Event(uuid.uuid4().hex, "granted", gate_id, "E042", "Ada Lovelace", "Ada", "in", stamp, False)


def relay_levels(client: GateProcess) -> list[int]:
    return [level for _, level in client.pin_changes(RELAY)]


def test_the_app_answers_over_https_with_secure_cookies(https_web, site_tls) -> None:
    response = requests.get(f"{https_web.url}/login", verify=str(site_tls.ca), timeout=10)
    assert response.status_code == 200
    assert "secure" in response.headers["Set-Cookie"].lower()
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{https_web.url}/healthz", timeout=10)  # the system's CAs do not know the site CA


def test_a_gate_that_trusts_the_site_ca_opens_the_door(
    https_web, site_tls, gate, app, db, tmp_path, wait_for, monkeypatch
) -> None:
    # requests lets REQUESTS_CA_BUNDLE override a session's CA file; the client's ca_file must win all the same.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    gate_id, token = gate
    client = GateProcess(tmp_path / "gate", https_web.url, gate_id, token, 0.5, 2, ca_file=site_tls.ca)
    client.start()
    try:
        event = granted(gate_id)
        publish_event(get_redis(app.config["REDIS_URL"]), event, 1000)
        wait_for(lambda: client.handled(event.id), timeout=20)
        wait_for(lambda: relay_levels(client)[-2:] == [1, 0], timeout=5)
        assert f"server certificate verified against {site_tls.ca}" in client.log()
        db.session.rollback()
        assert db.session.get(Gate, gate_id).is_online()  # the heartbeat came over HTTPS too
    finally:
        assert client.stop() == 0


def test_a_gate_with_another_ca_refuses_the_server_and_never_opens(https_web, gate, app, tmp_path, wait_for) -> None:
    gate_id, token = gate
    other_ca = make_ca(app, tmp_path / "other-ca")
    client = GateProcess(tmp_path / "gate", https_web.url, gate_id, token, 0.5, 2, ca_file=other_ca)
    client.start()
    try:
        event = granted(gate_id)
        publish_event(get_redis(app.config["REDIS_URL"]), event, 1000)
        wait_for(lambda: f"the server's certificate is not trusted by {other_ca}" in client.log(), timeout=20)
        time.sleep(3.0)  # several retries
        assert client.handled(event.id) == 0
        assert 1 not in relay_levels(client), "the relay was energised"
        refusals = [line for line in client.log().splitlines() if "not trusted by" in line]
        assert all(" ERROR gate_client: " in line and "CERTIFICATE_VERIFY_FAILED" in line for line in refusals)
    finally:
        assert client.stop() == 0
    assert 1 not in relay_levels(client)


def test_plain_http_is_refused_unless_allowed_and_then_announced(tmp_path, wait_for) -> None:
    refused = GateProcess(tmp_path / "refused", "http://127.0.0.1:9", 1, "t", 0.5, 2)
    result = subprocess.run([sys.executable, "-m", "gate_client", "--config", str(refused.config)],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert "is plain http://" in result.stderr and "allow_insecure = true" in result.stderr

    allowed = GateProcess(tmp_path / "allowed", "http://127.0.0.1:9", 1, "t", 0.5, 2, allow_insecure=True)
    allowed.start()
    try:
        wait_for(lambda: "allow_insecure = true: plain HTTP to http://127.0.0.1:9" in allowed.log(), timeout=20)
    finally:
        allowed.kill()
