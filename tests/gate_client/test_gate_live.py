"""The gate client as a real process against the real web app (a real HTTP server process), MariaDB and Redis.

Events are published with app.gates.stream.publish_event, as the recognition workers do; the client runs with
mock pins that log every pin change to a file, and renders its speech to WAV files.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import UTC, datetime

import pytest

from app.accounts import create_gate
from app.gates.stream import Event, publish_event
from app.models import Gate
from app.redis_client import get_redis
from gate_client.voice import wav_duration
from testkit.gate_process import GateProcess
from testkit.processes import free_port, port_open, web_app

pytestmark = pytest.mark.slow

GREEN, RED, RELAY = 17, 27, 22
MAXLEN = 1000
# Below redis-py's default 5 s socket timeout, which the server's XREAD BLOCK currently runs into (see
# test_an_idle_long_poll_longer_than_5_s_is_not_a_server_error).
POLL_WAIT_S = 4


def make_event(gate_id: int, kind: str, direction: str | None = None) -> Event:
    person = kind != "stranger"
    return Event(
        id=uuid.uuid4().hex, type=kind, gate_id=gate_id, staff_id="E042" if person else None,
        name="Ada Lovelace" if person else None, first_name="Ada" if person else None, direction=direction,
        timestamp=datetime.now(UTC).isoformat(), voice=True,
    )  # fmt: skip


@pytest.fixture()
def web(app, db, redis_client, test_env, tmp_path):
    """The web app running as a real HTTP server on a free loopback port (ready once it accepts connections)."""
    port = free_port()
    server = web_app({**os.environ, **test_env}, tmp_path / "web.log", port, threads=False, ready=port_open(port))
    server.start(timeout=60)
    yield server
    server.stop(timeout=20)


@pytest.fixture()
def gates(db):
    """Two gates: (id, token) of the one under test and of another one."""
    front, front_token = create_gate("Front door", "0")
    back, back_token = create_gate("Back door", "1")
    return (front.id, front_token), (back.id, back_token)


@pytest.fixture()
def streams(app):
    return get_redis(app.config["REDIS_URL"])


@pytest.fixture()
def gate_process(tmp_path, web, gates):
    """start(open_seconds) -> a started GateProcess for the first gate; killed at the end if still running."""
    started: list[GateProcess] = []

    def start(open_seconds: float = 0.5, poll_wait: float = POLL_WAIT_S) -> GateProcess:
        (gate_id, token), _other = gates
        process = GateProcess(tmp_path, web.url, gate_id, token, open_seconds, poll_wait, allow_insecure=True)
        process.start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()


def test_each_event_drives_pins_and_voice_exactly_once(gate_process, gates, streams, db, wait_for) -> None:
    (gate_id, _), (other_id, _) = gates
    client = gate_process(open_seconds=0.5)
    publish_event(streams, make_event(other_id, "granted", "in"), MAXLEN)  # another gate's: never seen here
    events = [
        make_event(gate_id, "granted", "in"),
        make_event(gate_id, "granted", "out"),
        make_event(gate_id, "denied"),
        make_event(gate_id, "stranger"),
    ]
    for number, event in enumerate(events):
        publish_event(streams, event, MAXLEN)
        wait_for(lambda e=event: client.handled(e.id), timeout=15)
        if event.type == "granted":  # the relay and green LED on for the open time, then off
            wait_for(lambda n=number: len(client.pin_changes(RELAY)) == 2 * (n + 1), timeout=5)
        else:  # three red blinks, relay untouched
            blinks = 3 * (number - 1)
            wait_for(lambda b=blinks: [s for _, s in client.pin_changes(RED)] == [1, 0] * b, timeout=5)
    relay = client.pin_changes(RELAY)
    assert [level for _, level in relay] == [1, 0, 1, 0]
    for (opened, _), (closed, _) in (relay[0:2], relay[2:4]):
        assert 0.45 <= closed - opened <= 2.0
    assert [level for _, level in client.pin_changes(GREEN)] == [1, 0, 1, 0]

    wavs = {event.type + (event.direction or ""): client.wav_dir / f"{event.id}-{event.type}.wav" for event in events}
    wait_for(lambda: all(path.exists() for path in wavs.values()), timeout=30)
    durations = {kind: wav_duration(path) for kind, path in wavs.items()}
    assert all(0.5 <= seconds <= 6 for seconds in durations.values()), durations
    assert durations["denied"] > 1.5 * durations["grantedin"], durations

    time.sleep(1.5)  # more polls and heartbeats: still each event exactly once
    assert [client.handled(event.id) for event in events] == [1, 1, 1, 1]
    assert client.log().count("handled event") == 4
    db.session.rollback()  # a fresh snapshot: the server process wrote the heartbeats
    assert db.session.get(Gate, gate_id).is_online()
    assert client.stop() == 0


def test_server_restart_mid_long_poll_recovers_within_5_s(gate_process, web, gates, streams, wait_for) -> None:
    (gate_id, _), _other = gates
    client = gate_process()
    first = make_event(gate_id, "granted", "in")
    publish_event(streams, first, MAXLEN)
    wait_for(lambda: client.handled(first.id), timeout=15)
    time.sleep(1.0)  # the client is now inside a long poll

    web.stop(timeout=20)
    while_down = make_event(gate_id, "denied")
    publish_event(streams, while_down, MAXLEN)
    wait_for(lambda: "server request failed" in client.log(), timeout=10)
    time.sleep(1.0)  # a few failed retries
    back_at = web.start(timeout=60)
    wait_for(lambda: client.handled(while_down.id), timeout=15)
    recovered_in = time.time() - back_at
    assert recovered_in < 5.0, f"took {recovered_in:.1f} s after the server came back"
    assert "server reachable again" in client.log()

    after = make_event(gate_id, "stranger")
    publish_event(streams, after, MAXLEN)
    wait_for(lambda: client.handled(after.id), timeout=15)
    time.sleep(1.0)
    assert [client.handled(e.id) for e in (first, while_down, after)] == [1, 1, 1]
    assert client.stop() == 0


def test_sigterm_while_the_door_is_open_releases_the_relay(gate_process, gates, streams, wait_for) -> None:
    (gate_id, _), _other = gates
    client = gate_process(open_seconds=60)
    event = make_event(gate_id, "granted", "in")
    publish_event(streams, event, MAXLEN)
    wait_for(lambda: [level for _, level in client.pin_changes(RELAY)] == [1], timeout=15)
    terminated_at = time.time()
    assert client.stop() == 0
    changes = client.pin_changes(RELAY)
    assert [level for _, level in changes] == [1, 0], "released once, and never energised again"
    released_at = changes[-1][0]
    assert terminated_at <= released_at < terminated_at + 5, "released by SIGTERM, not by the 60 s timer"
    assert [level for _, level in client.pin_changes(GREEN)] == [1, 0]
    assert "relay released" in client.log()


def test_a_restarted_client_neither_replays_nor_skips(gate_process, gates, streams, wait_for) -> None:
    (gate_id, _), _other = gates
    client = gate_process()
    before = [make_event(gate_id, "denied"), make_event(gate_id, "stranger")]
    entries = [publish_event(streams, event, MAXLEN) for event in before]
    wait_for(lambda: all(client.handled(e.id) for e in before), timeout=15)
    cursor_file = client.folder / "cursor.json"
    wait_for(lambda: json.loads(cursor_file.read_text()) == {"after": entries[-1], "handled": []}, timeout=5)
    assert client.stop() == 0

    # While it is down: three more events. Pretend it died after acting on the first of them (its cursor file
    # then names that event as handled, with the cursor still before it).
    missed = [make_event(gate_id, "denied"), make_event(gate_id, "granted", "in"), make_event(gate_id, "stranger")]
    for event in missed:
        publish_event(streams, event, MAXLEN)
    cursor_file.write_text(json.dumps({"after": entries[-1], "handled": [missed[0].id]}))

    client.start()
    wait_for(lambda: all(client.handled(e.id) for e in missed[1:]), timeout=15)
    time.sleep(1.0)
    assert [client.handled(e.id) for e in before + missed] == [0, 0, 0, 1, 1]
    assert f"event {missed[0].id} was handled before the restart" in client.log()
    assert [client.handled(e.id, run=1) for e in before] == [1, 1]
    assert client.stop() == 0


def test_an_idle_long_poll_longer_than_5_s_is_not_a_server_error(gate_process, wait_for) -> None:
    client = gate_process(poll_wait=8)
    time.sleep(7)
    assert "server request failed" not in client.log()
