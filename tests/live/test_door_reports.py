"""The door endpoint on the real MariaDB and Redis: door state, forced-open and held-open alarms (once per opening,
however often reported), a bouncing contact, another gate's token, bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.gates.stream import read_gate_events, recent_events
from app.models import Alarm, Gate
from app.observability.metrics import read_counter

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)


def report(client, gate, event: str, at: datetime, opened_at: datetime | None = None, relay: bool | None = None,
           report_id: str | None = None, token: str | None = None):
    gate_id, gate_token = gate
    body = {"id": report_id or uuid.uuid4().hex, "event": event, "at": at.isoformat()}
    if opened_at is not None:
        body |= {"opened_at": opened_at.isoformat(), "relay": relay}
    return client.post(f"/api/gates/{gate_id}/door", json=body,
                       headers={"Authorization": f"Bearer {token or gate_token}"})


def stream_types(rds, gate_id: int) -> list[str]:
    return [event["type"] for event in read_gate_events(rds, gate_id, "0")[0]]


def test_a_released_opening_and_closing_change_the_state_and_raise_nothing(client, db, gates, rds) -> None:
    front = gates["front"]
    answer = report(client, front, "open", T0, T0, relay=True)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {"gate_id": front[0], "door": "open", "events": ["door_opened"]}
    again = report(client, front, "open", T0 + timedelta(seconds=5), T0, relay=True)
    assert again.get_json()["events"] == []
    closed = report(client, front, "closed", T0 + timedelta(seconds=8))
    assert closed.get_json() == {"gate_id": front[0], "door": "closed", "events": ["door_closed"]}
    assert stream_types(rds, front[0]) == ["door_opened", "door_closed"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Alarm)) == 0


def test_a_door_opened_while_locked_is_forced_open_once(client, db, gates, rds) -> None:
    front = gates["front"]
    assert report(client, front, "open", T0, T0, relay=False).get_json()["events"] == ["door_opened",
                                                                                       "door_forced_open"]
    for seconds in (2, 4, 6):
        assert report(client, front, "open", T0 + timedelta(seconds=seconds), T0, relay=False).get_json()[
            "events"] == []
    [alarm] = db.session.scalars(sa.select(Alarm)).all()
    assert (alarm.kind, alarm.opened_at, alarm.door_closed_at) == ("door_forced_open", T0, None)
    [event] = [e for e in read_gate_events(rds, front[0], "0")[0] if e["type"] == "door_forced_open"]
    assert event["id"] == alarm.event_id and event["reason"] == "door forced open"
    assert read_counter(rds, "door_alarms") == {(str(front[0]), "door_forced_open"): 1.0}
    report(client, front, "closed", T0 + timedelta(seconds=9))
    db.session.expire_all()
    assert db.session.get(Alarm, alarm.id).door_closed_at == T0 + timedelta(seconds=9)
    assert stream_types(rds, gates["back"][0]) == []


def test_a_door_open_past_the_limit_is_held_open_once_unless_held_open_remotely(client, db, gates, rds) -> None:
    front = gates["front"]
    gate = db.session.get(Gate, front[0])
    gate.held_open_limit_s = 20
    db.session.commit()
    assert report(client, front, "open", T0 + timedelta(seconds=19), T0, relay=True).get_json()["events"] == [
        "door_opened"]
    assert report(client, front, "open", T0 + timedelta(seconds=20), T0, relay=True).get_json()["events"] == [
        "door_held_open"]
    assert report(client, front, "open", T0 + timedelta(seconds=25), T0, relay=True).get_json()["events"] == []
    [alarm] = db.session.scalars(sa.select(Alarm)).all()
    assert alarm.kind == "door_held_open"
    assert [e["reason"] for e in recent_events(rds) if e["type"] == "door_held_open"] == [
        "door held open longer than 20 s"]

    # A delivery: the door is held open remotely, so neither a long nor an unreleased opening is an alarm.
    report(client, front, "closed", T0 + timedelta(seconds=30))
    db.session.expire_all()
    gate = db.session.get(Gate, front[0])
    gate.hold_open_until = T0 + timedelta(hours=1)
    db.session.commit()
    later = T0 + timedelta(seconds=40)
    assert report(client, front, "open", later + timedelta(seconds=60), later, relay=False).get_json()[
        "events"] == ["door_opened"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Alarm)) == 1


def test_a_bouncing_contact_or_late_reports_never_flood_the_stream(client, db, gates, rds) -> None:
    front = gates["front"]
    report_id = uuid.uuid4().hex
    for _ in range(3):  # one report retried by the gate
        report(client, front, "open", T0, T0, relay=True, report_id=report_id)
    report(client, front, "closed", T0 + timedelta(seconds=3))
    for _ in range(20):  # the same closing, reported again
        report(client, front, "closed", T0 + timedelta(seconds=3))
    # A late report of the opening that has ended changes nothing.
    assert report(client, front, "open", T0 + timedelta(seconds=2), T0, relay=True).get_json() == {
        "gate_id": front[0], "door": "closed", "events": []}
    assert stream_types(rds, front[0]) == ["door_opened", "door_closed"]


def test_exit_presses_are_events_and_another_gates_token_is_refused(client, db, gates, rds) -> None:
    front, back = gates["front"], gates["back"]
    assert report(client, front, "exit", T0).get_json()["events"] == ["exit_pressed"]
    refused = report(client, front, "open", T0, T0, relay=False, token=back[1])
    assert refused.status_code == 403 and refused.get_json() == {"error": "this token belongs to another gate"}
    assert report(client, front, "open", T0, T0, relay=False, token="nope").status_code == 401
    db.session.expire_all()
    assert db.session.get(Gate, front[0]).door_state is None
    assert stream_types(rds, front[0]) == ["exit_pressed"]


@pytest.mark.parametrize("body, message", [
    ([], "the body must be a JSON object"),
    ({"id": "x y", "event": "open"}, "id must be"),
    ({"id": "a1", "event": "ajar", "at": T0.isoformat()}, "event must be one of open, closed, exit"),
    ({"id": "a1", "event": "closed"}, "at is required"),
    ({"id": "a1", "event": "closed", "at": "yesterday"}, "at must be an ISO time"),
    ({"id": "a1", "event": "closed", "at": "2026-11-30T08:00:00"}, "at must have a UTC offset"),
    ({"id": "a1", "event": "closed", "at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, "in the future"),
    ({"id": "a1", "event": "open", "at": T0.isoformat(), "opened_at": (T0 + timedelta(seconds=1)).isoformat(),
      "relay": True}, "opened_at must not be after at"),
    ({"id": "a1", "event": "open", "at": T0.isoformat(), "opened_at": T0.isoformat(), "relay": "yes"},
     "relay"),
])
def test_bad_reports_are_a_400_that_changes_nothing(client, db, gates, rds, body, message) -> None:
    gate_id, token = gates["front"]
    answer = client.post(f"/api/gates/{gate_id}/door", json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 400 and message in answer.get_json()["error"]
    assert stream_types(rds, gate_id) == [] and db.session.get(Gate, gate_id).door_state is None
