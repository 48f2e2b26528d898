"""Access rules on the whole live path with real processes: camera_ingest on videos -> a real worker -> the web
app -> the front door's gate client (`python -m gate_client`, gpiozero mock pins) and HTTP pollers. A schedule open
now grants, one closed now denies with its reason; an area's anti-passback denies a second entry in hard mode (the
relay stays off) and grants it with the violation recorded in soft mode."""

from __future__ import annotations

import os
import time
from datetime import datetime

import pytest
from sqlalchemy import select

from app.access.editing import create_area, create_group, create_rule, create_schedule
from app.accounts import create_gate, create_staff
from app.models import Area, Log
from app.models.schedule import WEEKDAYS
from app.sitetime import site_zone
from testkit.gate_poller import GatePoller
from testkit.gate_process import GateProcess
from testkit.processes import ManagedProcess, celery_worker, python_module, web_app
from testkit.scenes import Pass, write_scene

FPS = 5.0
RED, RELAY = 27, 22


def _wait_for(client: GatePoller, count: int, deadline: float) -> None:
    while time.monotonic() < deadline and len(client.received) < count:
        time.sleep(0.2)


@pytest.mark.slow
def test_schedules_and_anti_passback_at_real_gates(app, db, test_env, redis_client, trained_model, tmp_path):
    staff_id = sorted(trained_model.held_out)[0]
    photos = trained_model.held_out[staff_id]
    # Looping videos: the front door sees the person for 8 s every 14 s (past the 4 s cooldown), the back door every
    # 11 s; 8 s at 5 frames a second leave a busy worker enough frames to decide each pass.
    front_video = write_scene(tmp_path / "front.avi", [Pass(staff_id, photos[i % len(photos)], 1.0 + 14 * i,
                                                            9.0 + 14 * i) for i in range(3)], 42.0, FPS)  # fmt: skip
    back_video = write_scene(tmp_path / "back.avi", [Pass(staff_id, photos[1 % len(photos)], 1.0, 9.0)], 11.0, FPS)
    front, front_token = create_gate("Front", str(front_video), liveness="off")
    back, back_token = create_gate("Back", str(back_video), liveness="off")
    create_staff(staff_id, "Ada", "Probe")
    today = datetime.now(site_zone()).weekday()
    create_group("Office", members=[staff_id])
    create_schedule("Today", [f"{WEEKDAYS[today][:3]} 00:00-24:00"])
    create_schedule("Another day", [f"{WEEKDAYS[(today + 3) % 7][:3]} 09:00-17:00"])
    create_rule("Office today", "Today", ["Front"], group="Office")
    create_rule("Office another day", "Another day", ["Back"], group="Office")
    area = create_area("Office", "hard", ["Front"], [])
    trained_model.publish()  # in the shared model store, where the worker finds it

    env = {**os.environ, **test_env, "FACEGATE_COOLDOWN_S": "4", "FACEGATE_TRACK_GAP_S": "1.5"}
    web = web_app(env, tmp_path / "web.log")
    web.start(timeout=90)
    worker = celery_worker(env, tmp_path / "worker.log", queues="recognize")
    worker.start()
    front_client = GatePoller(web.url, front.id, front_token).start()
    back_client = GatePoller(web.url, back.id, back_token).start()
    door = GateProcess(tmp_path / "front-door", web.url, front.id, front_token, 0.5, 4, allow_insecure=True)
    door.start()
    ingest_args = ["camera_ingest", "--loop", "--fps", str(FPS), "--max-in-flight", "3", "--reload-s", "1"]
    ingest = ManagedProcess("camera_ingest", python_module(*ingest_args), env, tmp_path / "ingest.log")
    ingest.start()
    try:
        deadline = time.monotonic() + 300
        _wait_for(front_client, 2, deadline)
        # After the hard denial, the area turns soft: the third entry is granted, its violation recorded.
        db.session.get(Area, area.id).anti_passback = "soft"
        db.session.commit()
        _wait_for(front_client, 3, deadline)
        _wait_for(back_client, 1, deadline)
        handled = time.monotonic() + 30
        while time.monotonic() < handled and not all(door.handled(e["id"]) for _t, e in front_client.received[:3]):
            time.sleep(0.2)
    finally:
        door_log, door_stopped = door.log(), door.stop()
        ingest.stop()
        front_events = [event for _at, event in front_client.stop()]
        back_events = [event for _at, event in back_client.stop()]
        worker.stop()
        web.stop()
    logs = {name: (tmp_path / name).read_text()[-3000:] for name in ("ingest.log", "worker.log")}
    # The first three passes at the front door and the first at the back (the videos loop on).
    summary = [(e["type"], e["staff_id"], e["direction"], e["reason"]) for e in front_events[:3]]
    assert summary == [
        ("granted", staff_id, "in", None),
        ("denied", staff_id, None, "anti-passback"),
        ("granted", staff_id, "in", "anti-passback"),
    ], logs
    assert {(e["type"], e["reason"]) for e in back_events} == {("denied", "outside schedule Another day")}, logs
    # At the door: the relay opened for the two grants only, the red LED blinked for the denial.
    assert [door.handled(e["id"]) for e in front_events[:3]] == [1, 1, 1], door_log
    assert f"handled event {front_events[1]['id']} (denied): refused" in door_log
    assert [level for _t, level in door.pin_changes(RELAY)][:4] == [1, 0, 1, 0], door_log
    assert [level for _t, level in door.pin_changes(RED)][:6] == [1, 0] * 3, door_log
    assert door_stopped == 0
    db.session.rollback()
    rows = db.session.scalars(select(Log).order_by(Log.timestamp)).all()
    assert [(row.gate_id, row.status, row.violation) for row in rows][:2] == [
        (front.id, "in", None), (front.id, "in", "anti-passback")
    ]  # fmt: skip
    assert {row.decision_id for row in rows[:2]} == {front_events[0]["id"], front_events[2]["id"]}
