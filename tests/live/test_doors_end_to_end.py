"""Doors end to end, with real processes: camera_ingest -> a real Celery worker -> the web app -> the gate client
(in this process, on gpiozero's MockFactory, with its door contact and exit button), through a lockdown that denies
a face the worker recognises, the exit button, a remote unlock, a forced-open and a held-open alarm, and a hold-open
ended by a lockdown."""

from __future__ import annotations

import os
import threading
import time

import pytest
from gpiozero.pins.mock import MockFactory
from sqlalchemy import select

from app.accounts import create_gate, create_staff
from app.models import Alarm, AuditEntry, Gate
from gate_client.api import GateAPI
from gate_client.client import GateClient, watch_door
from gate_client.config import build_config
from gate_client.cursor import CursorStore
from gate_client.hardware import GateHardware
from gate_client.voice import Announcer
from testkit.processes import ManagedProcess, celery_worker, python_module, wait_until, web_app
from testkit.scenes import Pass, write_scene

GREEN, RED, RELAY, CONTACT, EXIT = 17, 27, 22, 23, 24
OPEN_S = 1.0
FPS = 10.0


class DoorAtTheGate:
    """The gate client in this process on mock pins, with every event it handled, in order."""

    def __init__(self, url: str, gate_id: int, token: str, root) -> None:
        self.config = build_config({
            "server_url": url, "gate_id": gate_id, "token": token, "allow_insecure": True, "open_seconds": OPEN_S,
            "poll_wait": 4, "retry_max": 1, "cursor_file": str(root / "cursor.json"), "pins": "mock",
            "door_contact_pin": CONTACT, "exit_button_pin": EXIT, "door_settle": 0.1, "door_report_every": 0.5,
            "pin_input": str(root / "inputs.jsonl"),
        })  # fmt: skip
        # The door is shut when the client starts (the input file sets the contact's level before the first read).
        (root / "inputs.jsonl").write_text(f'{{"pin": {CONTACT}, "state": 0}}\n')
        self.pins = MockFactory()
        self.hardware = GateHardware(GREEN, RED, RELAY, False, self.pins)
        self.client = GateClient(self.config, GateAPI(url, gate_id, token), self.hardware, Announcer("off"),
                                 CursorStore(self.config.cursor_file))
        self.handled: list[dict] = []
        act = self.client.handle_event
        self.client.handle_event = lambda event: (self.handled.append(dict(event)), act(event))
        self.stop_event = threading.Event()

    def start(self) -> DoorAtTheGate:
        self.door = watch_door(self.config, self.pins, self.hardware, self.client, self.stop_event)
        self.thread = threading.Thread(target=self.client.run, args=(self.stop_event,), daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.door.stop()
        self.thread.join(timeout=15)
        self.hardware.close()

    def types(self) -> list[str]:
        return [event["type"] for event in self.handled]

    def wait_for(self, kind: str, count: int = 1, timeout: float = 20.0) -> dict:
        assert wait_until(lambda: self.types().count(kind) >= count, timeout), (kind, self.types())
        return [event for event in self.handled if event["type"] == kind][count - 1]

    def relay(self) -> bool:
        return bool(self.pins.pin(RELAY).state)

    def relay_openings(self) -> int:
        return sum(1 for state in self.pins.pin(RELAY).states if state.state)


@pytest.mark.slow
def test_lockdown_exit_button_remote_unlock_alarms_and_hold_open(
    app, db, test_env, redis_client, trained_model, tmp_path
):
    staff_id = sorted(trained_model.held_out)[0]
    video = write_scene(tmp_path / "door.avi", [Pass(staff_id, trained_model.held_out[staff_id][0], 1.0, 8.0)],
                        total_s=10.0, fps=FPS)
    front, token = create_gate("Front", str(video))
    front.held_open_limit_s = 3
    create_staff(staff_id, "Ada", "Probe", gate_names=["Front"])
    db.session.commit()
    trained_model.publish()  # in the shared model store, where the worker finds it
    cli = app.test_cli_runner()
    assert cli.invoke(args=["gates", "lockdown", "Front", "on", "--reason", "drill"]).exit_code == 0

    env = {**os.environ, **test_env}
    web = web_app(env, tmp_path / "web.log")
    web.start(timeout=90)
    worker = celery_worker(env, tmp_path / "worker.log", queues="recognize")
    worker.start()
    door = DoorAtTheGate(web.url, front.id, token, tmp_path).start()
    # The video loops until the worker (loading its models on a busy machine) has decided once; then it stops.
    ingest_args = python_module("camera_ingest", "--fps", str(FPS), "--reload-s", "1", "--loop")
    ingest = ManagedProcess("camera_ingest", ingest_args, env, tmp_path / "ingest.log")
    try:
        # A lockdown: the worker recognises the person, the server denies the face; the relay stays released.
        door.wait_for("lockdown")
        ingest.start()
        if not wait_until(lambda: "denied" in door.types(), 240):
            logs = {name: (tmp_path / name).read_text()[-3000:] for name in ("ingest.log", "worker.log", "web.log")}
            pytest.fail(f"no decision reached the gate: {door.types()}; logs: {logs}")
        denied = door.wait_for("denied")
        ingest.stop()  # the person's cooldown (30 s) keeps any frame still in flight from deciding again
        assert (denied["staff_id"], denied["reason"]) == (staff_id, "gate locked down")
        assert door.relay_openings() == 0
        refused = cli.invoke(args=["gates", "unlock", "Front", "--reason", "let me in"])
        assert refused.exit_code == 1 and "locked down" in refused.output

        # The exit button still opens the door; opening it while released is no alarm.
        door.pins.pin(EXIT).drive_low()
        assert wait_until(door.relay, 5)
        door.pins.pin(EXIT).drive_high()
        door.pins.pin(CONTACT).drive_high()  # walked through within the gate's 3 s
        time.sleep(0.6)
        door.pins.pin(CONTACT).drive_low()
        door.wait_for("door_opened")
        door.wait_for("door_closed", count=2)  # the first: the door's state when the client started
        door.wait_for("exit_pressed")

        # Lockdown off; a remote unlock opens the door once.
        assert cli.invoke(args=["gates", "lockdown", "Front", "off", "--reason", "drill over"]).exit_code == 0
        door.wait_for("lockdown_released")
        assert wait_until(lambda: not door.relay(), 5)
        assert cli.invoke(args=["gates", "unlock", "Front", "--reason", "courier"]).exit_code == 0
        unlock = door.wait_for("remote_unlock")
        assert unlock["by"].startswith("cli") and wait_until(door.relay, 5) and door.relay_openings() == 2
        assert wait_until(lambda: not door.relay(), 5)
        time.sleep(1.5)  # past the grace after the release

        # Forced open (the relay was released), then held open past the gate's 3 s: one alarm of each, each back
        # at the door as a red flash; closing the door closes both.
        door.pins.pin(CONTACT).drive_high()
        forced = door.wait_for("door_forced_open")
        held = door.wait_for("door_held_open", timeout=30)
        assert held["reason"] == "door held open longer than 3 s"
        assert len(door.pins.pin(RED).states) > 20  # the alarms' flashes
        door.pins.pin(CONTACT).drive_low()
        door.wait_for("door_closed", count=3)
        db.session.rollback()
        alarms = db.session.scalars(select(Alarm).order_by(Alarm.id)).all()
        assert [(a.kind, a.event_id, a.door_closed_at is not None) for a in alarms] == [
            ("door_forced_open", forced["id"], True), ("door_held_open", held["id"], True)]

        # A hold-open keeps the relay energised until a lockdown ends it.
        assert cli.invoke(args=["gates", "hold-open", "Front", "--minutes", "5", "--reason", "delivery"]).exit_code == 0
        door.wait_for("hold_open")
        time.sleep(2 * OPEN_S)
        assert door.relay() and door.hardware.holding
        assert cli.invoke(args=["gates", "lockdown", "Front", "on", "--reason", "incident"]).exit_code == 0
        door.wait_for("lockdown", count=2)
        assert not door.relay()
    finally:
        ingest.stop()
        door.stop()
        worker.stop()
        web.stop()

    db.session.rollback()
    assert db.session.get(Gate, front.id).door_state == "closed"
    assert [event["type"] for event in door.handled].count("denied") >= 1
    assert "granted" not in door.types()  # no face opened the door during the lockdown
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["gate.lockdown", "gate.lockdown_released", "gate.remote_unlock", "gate.hold_open",
                       "gate.lockdown"]
