"""Delivering decisions on the real MariaDB and Redis: clearance, in/out, no row for denied or strangers, retries."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
from sqlalchemy import func, select

from app.accounts import create_gate, create_staff
from app.extensions import db as _db
from app.gates.decide import GateDecision, pending_key
from app.gates.deliver import deliver_pending
from app.gates.event_file import EventFileWriter
from app.gates.log_writer import record_decision
from app.gates.stream import gate_stream_key
from app.models import Log
from app.redis_client import get_redis


@pytest.fixture()
def site(app, db, redis_client):
    front, _ = create_gate("Front", "0")
    back, _ = create_gate("Back", "1", voice=False)
    create_staff("E1", "Ada", "Lovelace", gate_names=["Front"])
    create_staff("E2", "Alan", "Turing", gate_names=["Back"])
    return {"front": front.id, "back": back.id, "rds": get_redis(app.config["REDIS_URL"]), "config": app.config}


def pend(site, gate_id: int, identity: str | None, captured_at: float) -> GateDecision:
    decision = GateDecision(uuid.uuid4().hex, gate_id, identity, 1, captured_at)
    site["rds"].hset(pending_key(gate_id), decision.id, decision.to_json())
    return decision


def stream_events(site, gate_id: int) -> list[dict]:
    return [json.loads(fields["event"]) for _id, fields in site["rds"].xrange(gate_stream_key(gate_id))]


def log_rows(db) -> list[tuple[str, str]]:
    return [(row.staff.staff_id, row.status) for row in db.session.scalars(select(Log).order_by(Log.timestamp))]


def test_cleared_staff_alternate_in_and_out(site, db) -> None:
    for at in (1000.0, 2000.0, 3000.0):
        pend(site, site["front"], "E1", at)
        deliver_pending(site["rds"], site["front"], site["config"], "facenet-20180408")
    events = stream_events(site, site["front"])
    assert [(e["type"], e["direction"], e["first_name"], e["voice"]) for e in events] == [
        ("granted", "in", "Ada", True),
        ("granted", "out", "Ada", True),
        ("granted", "in", "Ada", True),
    ]
    assert log_rows(db) == [("E1", "in"), ("E1", "out"), ("E1", "in")]
    assert events[0]["timestamp"] == "1970-01-01T00:16:40+00:00"
    assert site["rds"].hlen(pending_key(site["front"])) == 0


def test_not_cleared_is_denied_and_a_stranger_is_a_stranger_without_rows(site, db) -> None:
    pend(site, site["front"], "E2", 1000.0)
    pend(site, site["front"], None, 1001.0)
    pend(site, site["front"], "GONE", 1002.0)  # known to the model, since removed from the staff
    deliver_pending(site["rds"], site["front"], site["config"], "facenet-20180408")
    events = stream_events(site, site["front"])
    assert [(e["type"], e["staff_id"], e["name"], e["direction"]) for e in events] == [
        ("denied", "E2", "Alan Turing", None),
        ("stranger", None, None, None),
        ("stranger", None, None, None),
    ]
    assert log_rows(db) == []
    assert stream_events(site, site["back"]) == []


def test_every_event_also_goes_to_the_event_file_through_its_one_writer(site, db, tmp_path) -> None:
    pend(site, site["back"], "E2", 1000.0)
    deliver_pending(site["rds"], site["back"], site["config"], "facenet-20180408")
    assert not (site["config"]["DATA_DIR"] / "events").exists()  # a worker writes no file of its own
    assert EventFileWriter(site["rds"], tmp_path, 10_000).write_new() == 1
    lines = [json.loads(line) for path in tmp_path.glob("events-*.jsonl") for line in path.read_text().splitlines()]
    assert [(e["type"], e["staff_id"], e["voice"]) for e in lines if e["gate_id"] == site["back"]] == [
        ("granted", "E2", False)
    ]


def test_a_decision_retried_after_a_crash_writes_one_row_and_one_event(site, db) -> None:
    decision = pend(site, site["front"], "E1", 1000.0)
    # A worker wrote the row, then died before publishing and forgetting the decision.
    record_decision(decision)
    deliver_pending(site["rds"], site["front"], site["config"], "facenet-20180408")
    # Another one published too, then died before forgetting it: the retry adds nothing.
    site["rds"].hset(pending_key(site["front"]), decision.id, decision.to_json())
    deliver_pending(site["rds"], site["front"], site["config"], "facenet-20180408")
    assert log_rows(db) == [("E1", "in")]
    assert [e["id"] for e in stream_events(site, site["front"])] == [decision.id]


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")  # a worker must not crash
def test_two_workers_delivering_the_same_decisions_write_each_once(app, site, db) -> None:
    for at in (1000.0, 2000.0, 3000.0, 4000.0):
        pend(site, site["front"], "E1", at)
    barrier = threading.Barrier(2)

    def worker() -> None:
        with app.app_context():
            barrier.wait()
            deliver_pending(site["rds"], site["front"], site["config"], "facenet-20180408")

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Log)) == 4
    assert [status for _staff, status in log_rows(db)] == ["in", "out", "in", "out"]
    assert len(stream_events(site, site["front"])) == 4
