"""The door contact and exit button on gpiozero's MockFactory (debounced: a bouncing contact is one report), door
commands and alarms at the door (lockdown, hold-open, remote unlock, the alarm's red flashes), failing closed when
the server is lost during a hold-open, and door reports queued while the server is down."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

import pytest

from gate_client.api import GateAPI, GateBadRequest, GateServerError
from gate_client.client import GateClient
from gate_client.config import ConfigError, build_config, load_config
from gate_client.cursor import CursorStore
from gate_client.door import Debounced, DoorWatcher
from gate_client.door_reports import DoorReporter
from gate_client.hardware import ALARM_BLINKS
from gate_client.mock_inputs import PinInputFile
from gate_client.voice import Announcer, phrase_for

RED, RELAY, CONTACT, EXIT = 27, 22, 23, 24  # red and relay as in the `hardware` fixture
BASE = {"server_url": "http://127.0.0.1:9", "gate_id": 1, "token": "t", "allow_insecure": True}


def now_iso(offset: float = 0.0) -> str:
    return datetime.fromtimestamp(time.time() + offset, UTC).isoformat()


def event(kind: str, **fields) -> dict:
    return {"id": uuid.uuid4().hex, "type": kind, "gate_id": 1, "timestamp": now_iso(), "voice": False,
            "by": "boss", "reason": "test", **fields}


@pytest.fixture()
def client(tmp_path, hardware) -> GateClient:
    config = build_config({**BASE, "cursor_file": str(tmp_path / "cursor.json"), "open_seconds": 0.5})
    return GateClient(config, GateAPI(config.server_url, 1, "t"), hardware, Announcer("off"),
                      CursorStore(config.cursor_file))


@pytest.fixture()
def watched(pins, hardware, client, wait_for):
    """A DoorWatcher (settle 0.1 s, repeat every 0.5 s) on contact 23 and exit 24, the door closed; its reports."""
    reports: list[dict] = []
    watcher = DoorWatcher(CONTACT, EXIT, pins, 0.1, 0.5, hardware.relay_on_since, reports.append, client.exit_pressed)
    pins.pin(CONTACT).drive_low()  # the contact is closed: the door is shut
    watcher.start()
    wait_for(lambda: reports, timeout=3)
    assert [r["event"] for r in reports] == ["closed"]  # the state at start
    reports.clear()
    yield reports
    watcher.stop()


def test_a_level_counts_only_once_it_has_settled() -> None:
    level = {"value": False}
    debounced = Debounced(lambda: level["value"], 0.3, now=0.0)
    changes = []
    for step in range(40):  # 0.2 s of a contact bouncing every 5 ms, then held open
        level["value"] = step % 2 == 0 if step < 40 else True
        changes.append(debounced.update(step * 0.005))
    level["value"] = True
    assert not any(changes) and not debounced.update(0.25)
    assert debounced.update(0.6) and debounced.level and debounced.since == 0.25
    assert not debounced.update(0.7)


def test_a_bouncing_contact_is_one_opening_and_one_closing(pins, watched, wait_for) -> None:
    contact = pins.pin(CONTACT)
    for _ in range(30):  # about 0.15 s of chatter
        contact.drive_high()
        time.sleep(0.0025)
        contact.drive_low()
        time.sleep(0.0025)
    contact.drive_high()  # then the door opens for good
    wait_for(lambda: watched, timeout=3)
    time.sleep(0.3)
    for _ in range(30):
        contact.drive_low()
        time.sleep(0.0025)
        contact.drive_high()
        time.sleep(0.0025)
    contact.drive_low()
    wait_for(lambda: any(r["event"] == "closed" for r in watched), timeout=3)
    time.sleep(0.3)
    # One opening (reported again every 0.5 s while it lasted) and one closing: the chatter made no report.
    kinds = [r["event"] for r in watched]
    assert kinds[-1] == "closed" and set(kinds[:-1]) == {"open"} and len(kinds) <= 4
    assert len({r["opened_at"] for r in watched[:-1]}) == 1 and watched[0]["relay"] is False
    assert watched[0]["opened_at"] <= watched[-1]["at"] and len({r["id"] for r in watched}) == len(watched)


def test_an_open_door_is_reported_again_until_it_closes_and_a_released_opening_says_so(
    pins, hardware, watched, wait_for
) -> None:
    hardware.open_door(2.0)  # a face: the relay releases the door
    pins.pin(CONTACT).drive_high()
    wait_for(lambda: len(watched) >= 3, timeout=5)
    assert [r["event"] for r in watched[:3]] == ["open", "open", "open"]
    assert {r["opened_at"] for r in watched[:3]} == {watched[0]["opened_at"]} and watched[0]["relay"] is True
    assert watched[0]["at"] < watched[1]["at"] < watched[2]["at"]


def test_the_exit_button_opens_the_door_once_per_press_even_in_a_lockdown(pins, client, watched, wait_for) -> None:
    client.handle_event(event("lockdown"))
    button = pins.pin(EXIT)
    for _ in range(20):  # a bouncing press
        button.drive_low()
        time.sleep(0.002)
        button.drive_high()
        time.sleep(0.002)
    button.drive_low()
    wait_for(lambda: pins.pin(RELAY).state, timeout=3)
    button.drive_high()
    time.sleep(0.3)
    assert [r["event"] for r in watched] == ["exit"]
    wait_for(lambda: not pins.pin(RELAY).state, timeout=3)  # open for the open time, then closed again


def test_lockdown_refuses_faces_and_remote_unlocks_until_released(pins, client, hardware) -> None:
    granted = {**event("granted"), "direction": "in", "name": "Ada Lovelace", "first_name": "Ada"}
    client.handle_event(event("hold_open", until=now_iso(600)))
    assert hardware.holding
    client.handle_event(event("lockdown"))
    assert client.locked_down and not pins.pin(RELAY).state  # a lockdown ends a hold-open at once
    for refused in (granted, event("remote_unlock"), event("hold_open", until=now_iso(600))):
        client.handle_event({**refused, "id": uuid.uuid4().hex})
    assert [s.state for s in pins.pin(RELAY).states] == [False, True, False]
    client.handle_event(event("lockdown_released"))
    client.handle_event(event("remote_unlock"))
    assert pins.pin(RELAY).state and not hardware.holding


def test_a_hold_open_lasts_until_its_end_survives_faces_and_ends_when_told(pins, client, hardware, wait_for) -> None:
    client.handle_event(event("hold_open", until=now_iso(1.5)))
    client.handle_event({**event("granted"), "direction": "in"})  # a face's 0.5 s opening does not shorten it
    time.sleep(1.0)
    assert pins.pin(RELAY).state and hardware.holding
    wait_for(lambda: not pins.pin(RELAY).state, timeout=3)
    client.handle_event(event("hold_open", until=now_iso(60), timestamp=now_iso(-3600)))  # old, but still on
    assert pins.pin(RELAY).state
    client.handle_event(event("hold_open_ended"))
    assert not pins.pin(RELAY).state
    client.handle_event(event("hold_open", until=now_iso(-5)))  # already over: nothing
    assert not pins.pin(RELAY).state


class FailingAPI:
    """Fails every request, like a server that is gone."""

    def fetch_events(self, after: str, wait: float):
        raise GateServerError("connection refused")


def test_a_lost_connection_ends_a_hold_open_fail_closed(tmp_path, pins, hardware, caplog) -> None:
    config = build_config({**BASE, "cursor_file": str(tmp_path / "c.json"), "retry_max": 0.25})
    client = GateClient(config, FailingAPI(), hardware, Announcer("off"), CursorStore(config.cursor_file))
    client.handle_event(event("hold_open", until=now_iso(3600)))
    assert pins.pin(RELAY).state
    stop = threading.Event()
    runner = threading.Thread(target=client.run, args=(stop,))
    runner.start()
    time.sleep(0.3)
    stop.set()
    runner.join(timeout=5)
    assert not pins.pin(RELAY).state and "hold-open ended, relay released (fail closed)" in caplog.text


def test_an_alarm_flashes_red_and_speaks_a_warning(pins, client, wait_for) -> None:
    client.handle_event(event("door_held_open", reason="door held open longer than 30 s"))
    wait_for(lambda: len(pins.pin(RED).states) >= 2 * ALARM_BLINKS + 1, timeout=10)
    assert not pins.pin(RELAY).state
    assert phrase_for(event("door_forced_open")).startswith("Warning. This door was forced open.")
    assert phrase_for(event("door_held_open")) == "Please close the door."
    assert phrase_for({**event("denied"), "reason": "gate locked down"}) == "Hello. This door is locked down."


class FlakyDoorAPI:
    """The door endpoint: down until `up` is set; refuses reports whose id starts with 'bad'."""

    def __init__(self) -> None:
        self.up = threading.Event()
        self.received: list[dict] = []

    def report_door(self, body: dict) -> dict:
        if not self.up.is_set():
            raise GateServerError("connection refused")
        if body["id"].startswith("bad"):
            raise GateBadRequest("HTTP 400 at is in the future")
        self.received.append(body)
        return {"events": []}


def test_reports_wait_while_the_server_is_down_and_repeats_of_an_opening_collapse(wait_for) -> None:
    api, stop = FlakyDoorAPI(), threading.Event()
    reporter = DoorReporter(api, retry_max=0.25, stop=stop)
    reporter.start()
    opened = now_iso()
    reporter.report({"id": "bad1", "event": "exit", "at": opened})
    for number in range(50):
        reporter.report({"id": f"o{number}", "event": "open", "at": now_iso(), "opened_at": opened, "relay": True})
    reporter.report({"id": "c1", "event": "closed", "at": now_iso()})
    assert reporter.pending() == 3
    api.up.set()
    wait_for(lambda: reporter.pending() == 0, timeout=5)
    stop.set()
    assert [body["id"] for body in api.received] == ["o49", "c1"]


def test_door_pins_and_debounce_are_settings(tmp_path) -> None:
    file = tmp_path / "gate.toml"
    file.write_text('server_url = "http://x"\ngate_id = 1\ntoken = "t"\nallow_insecure = true\ndoor_settle = 0.5\n'
                    '[pins]\nfactory = "mock"\ndoor_contact = 23\nexit_button = 24\ninput_file = "/tmp/in.jsonl"\n')
    config, _ = load_config(["--config", str(file), "--door-report-every", "2"])
    assert (config.door_contact_pin, config.exit_button_pin, config.door_settle, config.door_report_every) == (
        23, 24, 0.5, 2.0)
    for settings, message in [
        ({"door_contact_pin": 22}, "that no other part uses"),
        ({"door_contact_pin": 23, "exit_button_pin": 23}, "that no other part uses"),
        ({"exit_button_pin": 40}, "BCM numbers 0-27"),
        ({"door_settle": 0}, "door_settle must be more than 0"),
        ({"pin_input": "/tmp/in.jsonl"}, "drives mock pins only"),
    ]:
        with pytest.raises(ConfigError, match=message):
            build_config({**BASE, **settings})


def test_a_pin_input_file_drives_mock_inputs_line_by_line(tmp_path, pins, caplog) -> None:
    from gpiozero import Button

    button = Button(CONTACT, pull_up=True, pin_factory=pins)
    path = tmp_path / "inputs.jsonl"
    inputs = PinInputFile(pins, path)
    assert inputs.apply_new_lines() == 0  # no file yet
    path.write_text('{"pin": 23, "state": 0}\nnot json\n{"pin": 23, "sta')
    assert inputs.apply_new_lines() == 1 and button.is_pressed and "pin input" in caplog.text
    with open(path, "a") as handle:
        handle.write('te": 1}\n')
    assert inputs.apply_new_lines() == 1 and not button.is_pressed
    button.close()
