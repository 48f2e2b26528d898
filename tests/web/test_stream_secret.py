"""A gate's camera stream secret end to end: `flask gates stream-secret`, the Pi's streamer over HTTPS with the site
CA, camera_ingest reading it with the secret; and the secret never in a log, an admin page, the audit trail or the
metrics."""

from __future__ import annotations

import os
import time

import pytest

from app.models import AuditEntry, Gate
from app.tls import issue_server_cert, make_ca
from testkit.cameras import square_video
from testkit.processes import ManagedProcess, free_port, python_module

pytestmark = pytest.mark.slow


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_camera_ingest_reads_the_pis_https_stream_with_a_secret_that_never_shows(
    app, db, admin_client, csrf_token, people, test_env, redis_client, tmp_path
) -> None:
    make_ca(tmp_path / "ca")
    ca = tmp_path / "ca" / "ca.crt"
    issue_server_cert(tmp_path / "ca", ["127.0.0.1"], tmp_path / "pi.crt", tmp_path / "pi.key")
    port = free_port()
    gate = db.session.get(Gate, people.gate.id)
    gate.camera_source = f"https://127.0.0.1:{port}/stream.mjpg"
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["gates", "stream-secret", "Front"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    db.session.expire_all()
    assert db.session.get(Gate, gate.id).stream_secret == secret and len(secret) >= 40
    (tmp_path / "stream-secret").write_text(secret)

    stream_log = tmp_path / "stream.log"
    streamer = ManagedProcess("streamer", python_module(
        "gate_client.stream", "--source", str(square_video(tmp_path / "door.avi")), "--loop", "--host", "127.0.0.1",
        "--port", str(port), "--fps", "10", "--secret-file", str(tmp_path / "stream-secret"),
        "--tls-cert", str(tmp_path / "pi.crt"), "--tls-key", str(tmp_path / "pi.key"),
    ), dict(os.environ), stream_log, ready=lambda: "serving" in stream_log.read_text())  # fmt: skip
    env = {**os.environ, **test_env, "FACEGATE_CAMERA_CA_FILE": str(ca)}
    ingest = ManagedProcess("camera_ingest", python_module("camera_ingest", "--fps", "5"), env, tmp_path / "ingest.log")
    streamer.start(timeout=20)
    try:
        ingest.start()
        assert wait_until(lambda: redis_client.llen("recognize") > 0, timeout=60), ingest.log_tail(20)
        assert ingest.stop() == 0
    finally:
        ingest.kill()
        streamer.stop(timeout=10)
    assert "refused" not in stream_log.read_text()  # camera_ingest was let in at once, with no 401 first

    # An admin edits the gate: the audit row's before/after snapshots leave the secret out.
    form = {"csrf_token": csrf_token(admin_client), "name": "Front", "camera_source": f"https://127.0.0.1:{port}/stream.mjpg",
            "ip_address": "10.0.0.21", "active": "y", "voice_enabled": "y"}  # fmt: skip
    response = admin_client.post(f"/admin/gates/edit/?id={gate.id}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert db.session.get(Gate, gate.id).ip_address == "10.0.0.21"
    assert db.session.get(Gate, gate.id).stream_secret == secret  # an edit keeps the secret

    pages = {
        "ingest log": ingest.current_log.read_text(),
        "stream log": stream_log.read_text(),
        "gates list": admin_client.get("/admin/gates/").get_data(as_text=True),
        "gate edit": admin_client.get(f"/admin/gates/edit/?id={gate.id}").get_data(as_text=True),
        "audit trail": admin_client.get("/admin/audit/").get_data(as_text=True),
        "metrics": admin_client.get("/metrics").get_data(as_text=True),
        "audit rows": " ".join(f"{e.before} {e.after} {e.reason}" for e in db.session.query(AuditEntry)),
    }
    assert "rotate stream secret" in pages["audit trail"] and "10.0.0.21" in pages["audit rows"]
    assert f"https://127.0.0.1:{port}/stream.mjpg" in pages["gate edit"]
    assert [name for name, text in pages.items() if secret in text] == []
