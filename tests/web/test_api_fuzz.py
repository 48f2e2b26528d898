"""10,000 malformed requests at the gate API under a real gunicorn, and 10,000 at a gate's camera streamer
(testkit/fuzz.py; `python -m bench.fuzz` prints the same figures): no 5xx, no row written, no event published, no
traceback, and the normal poll, heartbeat and snapshot still answered afterwards."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
import requests

from app.accounts import create_gate
from app.redis_client import get_redis
from testkit import fuzz
from testkit.processes import ManagedProcess, free_port, gunicorn_app, python_module

pytestmark = pytest.mark.slow

REQUESTS = 10_000
SECRET = "fuzz-test-stream-secret-0123456789"


def test_the_gate_api_under_gunicorn_survives_10000_malformed_requests(app, db, redis_client, test_env,
                                                                       tmp_path) -> None:  # fmt: skip
    gate, token = create_gate("Fuzzed door", "")
    rules = sorted({rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")})
    # Every request reaches the checks behind the unknown-token limit; long polls end at once.
    env = {**os.environ, **test_env, "FACEGATE_API_TOKEN_MAX_FAILURES": "1000000000",
           "FACEGATE_EVENTS_MAX_WAIT_S": "0.5"}  # fmt: skip
    web = gunicorn_app(env, tmp_path / "web.log", workers=2, threads=16)
    web.start(timeout=120)
    try:
        rows, events = fuzz.table_rows(test_env["DATABASE_URL"]), fuzz.published_events(get_redis(env["REDIS_URL"]))
        requests_sent = fuzz.api_requests(rules, gate.id, token, REQUESTS, seed=17)
        report = fuzz.run(("127.0.0.1", int(web.url.rsplit(":", 1)[1])), requests_sent, threads=8)
        auth = {"Authorization": f"Bearer {token}"}
        poll = requests.get(f"{web.url}/api/gates/{gate.id}/events", params={"wait": "0"}, headers=auth, timeout=30)
        beat = requests.post(f"{web.url}/api/gates/{gate.id}/heartbeat", headers=auth, timeout=30)
        rows_after = fuzz.table_rows(test_env["DATABASE_URL"])
        events_after = fuzz.published_events(get_redis(env["REDIS_URL"]))
    finally:
        web.stop(timeout=60)
    assert report.sent == REQUESTS and report.server_errors == 0, report.as_dict()
    assert report.statuses[400] > REQUESTS / 4 and report.timed_out == 0, report.as_dict()
    assert rows_after == rows and events_after == events
    assert poll.status_code == 200 and poll.json()["events"] == [] and beat.status_code == 200
    assert "Traceback" not in web.current_log.read_text(errors="replace")


def test_the_camera_streamer_survives_10000_malformed_requests(tmp_path) -> None:
    video = tmp_path / "door.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    for i in range(10):
        writer.write(np.full((120, 160, 3), 20 * i, np.uint8))
    writer.release()
    (tmp_path / "secret").write_text(SECRET)
    port, log = free_port(), tmp_path / "stream.log"
    streamer = ManagedProcess("streamer", python_module(
        "gate_client.stream", "--source", str(video), "--loop", "--host", "127.0.0.1", "--port", str(port),
        "--secret-file", str(tmp_path / "secret"),
    ), dict(os.environ), log, ready=lambda: "serving" in log.read_text())  # fmt: skip
    streamer.start(timeout=30)
    try:
        report = fuzz.run(("127.0.0.1", port), fuzz.stream_requests(REQUESTS, seed=17), threads=8)
        snapshot = requests.get(f"http://127.0.0.1:{port}/snapshot.jpg", headers={"Authorization": f"Bearer {SECRET}"},
                                timeout=30)  # fmt: skip
    finally:
        streamer.stop(timeout=10)
    assert report.sent == REQUESTS and report.server_errors == 0 and report.timed_out == 0, report.as_dict()
    assert report.statuses[401] > 0 and snapshot.status_code == 200
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and SECRET not in text
