"""The whole live path with real processes: camera_ingest on a video -> worker -> web app -> gate HTTP clients."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import select

from app.accounts import create_gate, create_staff
from app.models import Log
from app.recognition.configured import recognizer_from_config
from testkit.gate_poller import GatePoller
from testkit.processes import ManagedProcess, celery_worker, python_module, web_app
from testkit.scenes import Pass, one_face, write_scene

FPS = 10.0


@pytest.mark.slow
def test_enrolled_person_in_out_then_a_stranger(app, db, test_env, redis_client, faces_dir, trained_model, tmp_path):
    recognizer = recognizer_from_config(app.config)
    staff_id = sorted(trained_model.held_out)[0]
    held_out = trained_model.held_out[staff_id]
    stranger = next(p for p in sorted((faces_dir / "strangers").glob("*/*.jpg")) if one_face(recognizer, p))
    # Person, nobody, the same person after the cooldown (4 s), nobody, a stranger: 6 s each, so that even a slow,
    # shared 2-core machine processes the 5 frames a decision needs.
    passes = [
        Pass(staff_id, held_out[0], 1.0, 7.0),
        Pass(staff_id, held_out[1], 11.0, 17.0),
        Pass(None, stranger, 21.0, 27.0),
    ]
    video = write_scene(tmp_path / "door.avi", passes, total_s=29.0, fps=FPS)
    front, front_token = create_gate("Front", str(video))
    back, back_token = create_gate("Back", "")
    staff, _password = create_staff(staff_id, "Ada", "Probe", gate_names=["Front"])
    trained_model.publish()  # in the shared model store, where the worker finds it

    env = {
        **os.environ,
        **test_env,
        "FACEGATE_COOLDOWN_S": "4",
        "FACEGATE_TRACK_GAP_S": "1.5",
    }
    web = web_app(env, tmp_path / "web.log")
    web.start(timeout=90)
    worker = celery_worker(env, tmp_path / "worker.log", queues="recognize")
    worker.start()
    front_client = GatePoller(web.url, front.id, front_token).start()
    back_client = GatePoller(web.url, back.id, back_token).start()
    ingest_args = ["camera_ingest", "--fps", str(FPS), "--max-in-flight", "3", "--reload-s", "1"]
    ingest = ManagedProcess("camera_ingest", python_module(*ingest_args), env, tmp_path / "ingest.log")
    ingest.start()
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and len(front_client.received) < 3:
            time.sleep(0.5)
        time.sleep(3)  # anything late (a duplicate) would show up now
    finally:
        ingest.stop()
        front_events = [event for _at, event in front_client.stop()]
        back_events = back_client.stop()
        worker.stop()
        web.stop()
    logs = {name: (tmp_path / name).read_text()[-3000:] for name in ("ingest.log", "worker.log")}
    summary = [(e["type"], e["staff_id"], e["direction"]) for e in front_events]
    assert summary == [("granted", staff_id, "in"), ("granted", staff_id, "out"), ("stranger", None, None)], logs
    assert front_events[0]["first_name"] == "Ada" and front_events[0]["voice"] is True
    assert back_events == []
    db.session.rollback()
    rows = db.session.scalars(select(Log).order_by(Log.timestamp)).all()
    assert [(row.staff_id, row.gate_id, row.status) for row in rows] == [
        (staff.id, front.id, "in"),
        (staff.id, front.id, "out"),
    ]
    assert {row.decision_id for row in rows} == {front_events[0]["id"], front_events[1]["id"]}
