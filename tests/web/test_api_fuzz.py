"""10,000 malformed requests at the gate API under a real gunicorn, and 10,000 at a gate's camera streamer
(testkit/fuzz.py; `python -m bench.fuzz` prints the same figures): no 5xx, no row written, no event published, no
traceback, and the normal poll, heartbeat and snapshot still answered afterwards."""

from __future__ import annotations

import os

import pytest

from app.accounts import create_gate
from testkit import fuzz
from testkit.cameras import square_video
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
        result = fuzz.fuzz_gate_api(web.url, test_env["DATABASE_URL"], test_env["REDIS_URL"], rules, gate.id, token,
                                    REQUESTS, seed=17)  # fmt: skip
    finally:
        web.stop(timeout=60)
    assert result["sent"] == REQUESTS and result["server_errors"] == 0, result
    assert result["statuses"]["400"] > REQUESTS / 4 and result["timed_out"] == 0, result
    assert result["rows_written"] == {} and result["events_published"] == 0
    assert result["poll_after"] == 200 and result["poll_events"] == [] and result["heartbeat_after"] == 200
    assert "Traceback" not in web.current_log.read_text(errors="replace")


def test_the_camera_streamer_survives_10000_malformed_requests(tmp_path) -> None:
    (tmp_path / "secret").write_text(SECRET)
    port, log = free_port(), tmp_path / "stream.log"
    streamer = ManagedProcess("streamer", python_module(
        "gate_client.stream", "--source", str(square_video(tmp_path / "door.avi", (160, 120), 10)), "--loop",
        "--host", "127.0.0.1", "--port", str(port), "--secret-file", str(tmp_path / "secret"),
    ), dict(os.environ), log, ready=lambda: "serving" in log.read_text())  # fmt: skip
    streamer.start(timeout=30)
    try:
        result = fuzz.fuzz_streamer(port, SECRET, REQUESTS, seed=17)
    finally:
        streamer.stop(timeout=10)
    assert result["sent"] == REQUESTS and result["server_errors"] == 0 and result["timed_out"] == 0, result
    assert result["statuses"]["401"] > 0 and result["snapshot_after"] == 200
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and SECRET not in text
