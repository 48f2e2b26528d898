"""The client against a misbehaving server: down, 5xx, malformed JSON, wrong shape, hanging; it retries and recovers.

The real server cannot be made to misbehave on demand, so these tests script a small HTTP server; the tests in
test_gate_live.py run the client against the real web app.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gate_client.api import GateAPI, GateServerError
from gate_client.backoff import Backoff
from gate_client.client import GateClient
from gate_client.config import build_config
from gate_client.cursor import CursorStore
from gate_client.voice import Announcer

RELAY = 22  # as in the `hardware` fixture


class ScriptedServer:
    """An HTTP server answering each events request with the next scripted answer, then with empty batches."""

    def __init__(self, port: int, script: list) -> None:
        self.script = list(script)
        self.requests: list[str] = []
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                answer = outer.script.pop(0) if outer.script else (200, json.dumps({"events": [], "cursor": "9-0"}))
                if answer == "hang":
                    outer.release.wait(10)
                    return
                status, body = answer
                if status == 200 and not outer.script and body.startswith('{"events": []'):
                    time.sleep(0.05)  # an idle long poll
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def granted() -> dict:
    return {
        "id": uuid.uuid4().hex, "type": "granted", "gate_id": 1, "staff_id": "E042", "name": "Ada Lovelace",
        "first_name": "Ada", "direction": "in", "timestamp": datetime.now(UTC).isoformat(), "voice": False,
    }  # fmt: skip


def test_backoff_grows_with_jitter_up_to_the_cap_and_resets() -> None:
    backoff = Backoff(initial=0.25, maximum=4.0)
    delays = [backoff.next_delay() for _ in range(8)]
    steps = [0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]
    assert all(step / 2 <= delay <= step for delay, step in zip(delays, steps, strict=True))
    assert len(set(delays)) > 4, "jitter makes the delays differ"
    backoff.reset()
    assert backoff.next_delay() <= 0.25


@pytest.mark.slow
def test_client_survives_a_misbehaving_server_and_handles_the_event_once(
    tmp_path, pins, hardware, free_port, wait_for, caplog
) -> None:
    caplog.set_level("INFO")
    port = free_port()
    config = build_config({
        "server_url": f"http://127.0.0.1:{port}", "allow_insecure": True, "gate_id": 1, "token": "tok",
        "open_seconds": 0.3,
        "retry_max": 0.4, "poll_wait": 0.5, "cursor_file": str(tmp_path / "cursor.json"),
    })  # fmt: skip
    event = granted()
    script = [
        (500, '{"error": "boom"}'),
        (503, "<html>restarting</html>"),
        (200, "{not json"),
        (200, json.dumps({"events": "nope", "cursor": "1-0"})),
        (200, json.dumps({"events": [event]})),
        "hang",
        (200, json.dumps({"events": [event], "cursor": "5-0"})),
    ]
    api = GateAPI(config.server_url, 1, "tok", read_margin=0.5)
    client = GateClient(config, api, hardware, Announcer("off"), CursorStore(config.cursor_file))
    stop = threading.Event()
    runner = threading.Thread(target=client.run, args=(stop,), daemon=True)
    runner.start()
    try:
        wait_for(lambda: "ConnectionError" in caplog.text, timeout=5)  # nothing listens yet: the server is down
        with ScriptedServer(port, script) as server:
            wait_for(lambda: pins.pin(RELAY).state, timeout=20)
            wait_for(lambda: any("after=5-0" in path for path in server.requests), timeout=10)
            time.sleep(0.5)
    finally:
        stop.set()
        runner.join(10)
    assert not runner.is_alive()
    for expected in ("HTTP 500", "HTTP 503", "malformed JSON", "unexpected answer", "ReadTimeout",
                     "server reachable again", f"handled event {event['id']}"):  # fmt: skip
        assert expected in caplog.text, expected
    assert caplog.text.count(f"handled event {event['id']}") == 1
    assert json.loads(config.cursor_file.read_text()) == {"after": "9-0", "handled": []}
    assert server.requests[0].startswith("/api/gates/1/events?after=0&wait=0.5")


def test_a_refused_token_is_an_error_not_a_crash(tmp_path, free_port) -> None:
    port = free_port()
    with (
        ScriptedServer(port, [(401, '{"error": "unknown gate token"}')]),
        pytest.raises(GateServerError, match="HTTP 401 unknown gate token"),
    ):
        GateAPI(f"http://127.0.0.1:{port}", 1, "bad").fetch_events("0", 0)


def test_cursor_file_round_trip_and_unreadable_files(tmp_path, caplog) -> None:
    from gate_client.cursor import CursorState

    store = CursorStore(tmp_path / "state" / "cursor.json")
    assert store.load() == CursorState("0", ())
    store.save(CursorState("1700000000000-3", ("a", "b")))
    assert CursorStore(store.path).load() == CursorState("1700000000000-3", ("a", "b"))
    assert [p.name for p in store.path.parent.iterdir()] == ["cursor.json"], "no temp files are left"
    store.path.write_text('{"after": "1-0", "hand')
    assert store.load() == CursorState() and "unreadable" in caplog.text
    store.path.write_text('{"after": "$"}')
    assert store.load() == CursorState() and "bad cursor" in caplog.text


def test_stale_undated_and_unknown_events_never_open_the_door(tmp_path, pins, hardware, caplog) -> None:
    def client_with(max_event_age: float) -> GateClient:
        config = build_config({
            "server_url": "http://127.0.0.1:9", "allow_insecure": True, "gate_id": 1, "token": "t",
            "max_event_age": max_event_age,
            "cursor_file": str(tmp_path / "cursor.json"),
        })  # fmt: skip
        api = GateAPI(config.server_url, 1, "t")
        return GateClient(config, api, hardware, Announcer("off"), CursorStore(config.cursor_file))

    strict = client_with(30)
    ten_minutes_ago = datetime.fromtimestamp(time.time() - 600, UTC).isoformat()
    strict.handle_event({**granted(), "timestamp": ten_minutes_ago})
    strict.handle_event({**granted(), "timestamp": "yesterday"})
    strict.handle_event({**granted(), "type": "opened"})
    strict.handle_event({**granted(), "type": "gate_offline", "timestamp": ten_minutes_ago})
    assert [state.state for state in pins.pin(RELAY).states] == [False]
    assert "600 s old, too old to act on" in caplog.text and "no readable timestamp" in caplog.text
    assert "unknown type 'opened'" in caplog.text
    assert "gate_offline" not in caplog.text  # the server's presence events are not the door's business

    # A spoof (a photo that resembled a member of staff) is refused like a denial: the door stays shut.
    with caplog.at_level(logging.INFO, logger="gate_client"):
        strict.handle_event({**granted(), "type": "spoof", "direction": None, "liveness": "spoof"})
    assert [state.state for state in pins.pin(RELAY).states] == [False]
    assert "(spoof): refused" in caplog.text

    client_with(0).handle_event({**granted(), "timestamp": ten_minutes_ago})  # 0: act on every event
    assert pins.pin(RELAY).state
