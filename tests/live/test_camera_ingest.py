"""camera_ingest on the real Redis broker and MariaDB: backpressure, a camera that disappears, gate changes, SIGTERM."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from app.accounts import create_gate
from app.extensions import db as _db
from app.gates.in_flight import in_flight_key, release_slot
from app.models import Gate
from camera_ingest.gates import active_gate_sources
from camera_ingest.reader import GateReader, ReaderSettings
from camera_ingest.sender import celery_sender
from camera_ingest.supervisor import Supervisor
from testkit.processes import ManagedProcess, python_module


@pytest.fixture()
def send(app):
    return celery_sender(app.config["REDIS_URL"])


def wait_until(condition, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_backpressure_drops_frames_beyond_k_in_flight(rds, send, redis_client, plain_video, tmp_path) -> None:
    video = plain_video(tmp_path / "door.avi", seconds=1.5, fps=20)
    reader = GateReader(7, str(video), ReaderSettings(fps=20, max_in_flight=3), rds, send)
    reader.start()
    reader.join(timeout=30)
    assert not reader.is_alive()
    # No worker runs: the first three frames are sent, the rest dropped and counted.
    assert reader.stats.frames_read == 30 and reader.stats.sampled > 3
    assert reader.stats.sent == 3 and reader.stats.dropped == reader.stats.sampled - 3
    assert redis_client.llen("recognize") == 3
    assert sorted(int(s) for s in rds.zrange(in_flight_key(7), 0, -1)) == [1, 2, 3]

    # A worker finishes frame 2: one more frame may go, with the next sequence number.
    release_slot(rds, 7, 2)
    again = GateReader(7, str(video), ReaderSettings(fps=20, max_in_flight=3), rds, send)
    again.start()
    again.join(timeout=30)
    assert again.stats.sent == 1 and redis_client.llen("recognize") == 4
    assert sorted(int(s) for s in rds.zrange(in_flight_key(7), 0, -1)) == [1, 3, 4]


def test_a_camera_that_disappears_is_reopened_with_backoff_while_others_go_on(rds, send, plain_video, tmp_path) -> None:
    steady = plain_video(tmp_path / "steady.avi", seconds=0.5)
    flaky = plain_video(tmp_path / "flaky.avi", seconds=0.5)
    settings = ReaderSettings(fps=20, max_in_flight=1000, backoff_start_s=0.1, backoff_max_s=0.4, loop_files=True)
    supervisor = Supervisor(settings, rds, send)
    supervisor.reconcile({1: str(steady), 2: str(flaky)})
    try:
        assert wait_until(lambda: supervisor.readers[2].stats.opened >= 1)
        flaky.unlink()
        assert wait_until(lambda: supervisor.readers[2].stats.open_failures >= 3)
        read_before = supervisor.readers[1].stats.frames_read
        assert wait_until(lambda: supervisor.readers[1].stats.frames_read > read_before + 10)
        plain_video(flaky, seconds=0.5)
        assert wait_until(lambda: supervisor.readers[2].stats.opened >= 2)
        assert supervisor.readers[1].is_alive() and supervisor.readers[2].is_alive()
    finally:
        supervisor.reconcile({})
    stats = supervisor.stats()
    assert stats[1]["open_failures"] == 0 and stats[1]["sent"] > 0
    assert stats[2]["opened"] >= 2


def test_added_changed_and_removed_gates_are_picked_up_without_restart(
    app, db, rds, send, plain_video, tmp_path
) -> None:
    first = plain_video(tmp_path / "a.avi", seconds=0.5)
    second = plain_video(tmp_path / "b.avi", seconds=0.5)
    supervisor = Supervisor(ReaderSettings(fps=5, loop_files=True), rds, send)
    stop = threading.Event()
    engine = db.engine
    runner = threading.Thread(target=supervisor.run, args=(lambda: active_gate_sources(engine), 0.1, stop), daemon=True)
    runner.start()
    try:
        gate, _ = create_gate("Front", str(first))
        assert wait_until(lambda: gate.id in supervisor.readers)
        original = supervisor.readers[gate.id]
        gate.camera_source = str(second)
        db.session.commit()
        assert wait_until(lambda: supervisor.readers.get(gate.id) not in (None, original))
        assert not original.is_alive()
        gate.active = False
        db.session.commit()
        assert wait_until(lambda: gate.id not in supervisor.readers)
        _db.session.delete(db.session.get(Gate, gate.id))
        db.session.commit()
    finally:
        stop.set()
        runner.join(timeout=20)
    assert supervisor.readers == {}


@pytest.mark.slow
def test_sigterm_stops_the_ingest_cleanly(app, db, test_env, redis_client, plain_video, tmp_path) -> None:
    video = plain_video(tmp_path / "door.avi", seconds=1.0)
    gate, _ = create_gate("Front", str(video))
    stats_file = tmp_path / "stats.json"
    args = python_module("camera_ingest", "--loop", "--fps", "5", "--stats-file", str(stats_file))
    ingest = ManagedProcess("camera_ingest", args, {**os.environ, **test_env}, tmp_path / "ingest.log")
    ingest.start()
    try:
        assert wait_until(lambda: redis_client.llen("recognize") > 0, timeout=60)
    finally:
        status = ingest.stop()  # SIGTERM
    assert status == 0, ingest.log_tail(40)
    stats = json.loads(stats_file.read_text())
    assert stats[str(gate.id)]["sent"] >= 1
