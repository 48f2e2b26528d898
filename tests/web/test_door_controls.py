"""Door controls and alarms for admins and operators: remote unlock, hold open and lockdown from the live page and
the CLI (each one event on the gate's stream, audited with its reason), a locked-down gate's faces denied, and
alarms acknowledged in Flask-Admin."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.gates.decide import GateDecision
from app.gates.log_writer import record_decision
from app.gates.stream import read_gate_events
from app.models import Alarm, AuditEntry, Gate
from app.redis_client import get_redis


def gate_events(app, gate_id: int) -> list[dict]:
    return read_gate_events(get_redis(app.config["REDIS_URL"]), gate_id, "0")[0]


def audit_rows(db) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))


def control(admin_client, token: str, command: str, reason: str = "delivery", minutes: str = "15",
            command_id: str | None = None, gate: str = "Front"):
    return admin_client.post("/admin/live/command", follow_redirects=True, data={
        "csrf_token": token, "gate": gate, "command": command, "reason": reason, "minutes": minutes,
        "command_id": command_id or uuid.uuid4().hex})


def test_the_live_page_sends_each_door_control_once_with_its_reason(app, people, db, admin_client, csrf_token):
    page = admin_client.get("/admin/live/").get_data(as_text=True)
    assert 'id="door-controls"' in page and 'value="Front"' in page
    command_id = re.search(r'name="command_id" value="([0-9a-f]+)"', page).group(1)
    token = csrf_token(admin_client)
    sent = control(admin_client, token, "unlock", "courier at the door", command_id=command_id)
    assert "remote unlock sent" in sent.get_data(as_text=True)
    twice = control(admin_client, token, "unlock", "courier at the door", command_id=command_id)
    assert "already sent" in twice.get_data(as_text=True)
    control(admin_client, token, "hold_open", "furniture delivery", minutes="30")
    live = admin_client.get("/admin/live/data.json").get_json()
    assert live["gates"][0]["mode"].startswith("held open until")
    control(admin_client, token, "end_hold", "delivery done")
    control(admin_client, token, "lockdown_on", "police request")
    refused = control(admin_client, token, "unlock", "let me in").get_data(as_text=True)
    assert "is locked down: release the lockdown first" in refused
    assert admin_client.get("/admin/live/data.json").get_json()["gates"][0]["mode"] == "locked down"
    control(admin_client, token, "lockdown_off", "all clear")

    events = gate_events(app, people.gate.id)
    assert [(e["type"], e["reason"], e["by"]) for e in events] == [
        ("remote_unlock", "courier at the door", "boss"), ("hold_open", "furniture delivery", "boss"),
        ("hold_open_ended", "delivery done", "boss"), ("lockdown", "police request", "boss"),
        ("lockdown_released", "all clear", "boss"),
    ]
    until = datetime.fromisoformat(events[1]["until"])
    assert timedelta(minutes=29) < until - datetime.now(UTC) <= timedelta(minutes=30)
    assert events[0]["id"] == command_id
    rows = audit_rows(db)
    assert [(r.action, r.reason) for r in rows] == [
        ("gate.remote_unlock", "courier at the door"), ("gate.hold_open", "furniture delivery"),
        ("gate.hold_open_ended", "delivery done"), ("gate.lockdown", "police request"),
        ("gate.lockdown_released", "all clear"),
    ]
    assert rows[3].before_fields() == {"lockdown": False, "hold_open_until": None}
    assert rows[3].after_fields() == {"lockdown": True, "hold_open_until": None}
    live_events = admin_client.get("/admin/live/data.json").get_json()["events"]
    assert live_events[0]["type"] == "lockdown_released" and live_events[0]["person"] == "boss"


def test_door_controls_refuse_bad_input_and_change_nothing(app, people, db, admin_client, csrf_token):
    token = csrf_token(admin_client)
    for command, reason, minutes, gate, message in [
        ("unlock", "  ", "15", "Front", "A reason is required"),
        ("hold_open", "x", "abc", "Front", "Minutes must be a whole number."),
        ("hold_open", "x", "0", "Front", "is not held open"),
        ("hold_open", "x", "100000", "Front", "Minutes must be between 0"),
        ("unlock", "x", "15", "Nowhere", "No gate named"),
        ("lockdown_off", "x", "15", "Front", "is not locked down"),
        ("explode", "x", "15", "Front", "Unknown door control"),
        ("unlock", "x" * 501, "15", "Front", "The reason is too long"),
    ]:
        page = control(admin_client, token, command, reason, minutes, gate=gate).get_data(as_text=True)
        assert message in page, message
    assert gate_events(app, people.gate.id) == [] and audit_rows(db) == []
    assert admin_client.post("/admin/live/command", data={"gate": "Front", "command": "unlock",
                                                          "reason": "no token"}).status_code == 400


def test_the_cli_sends_door_commands_and_refuses_bad_ones(app, people, db):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["gates", "hold-open", "Front", "--minutes", "10", "--reason", "delivery"])
    assert ok.exit_code == 0 and "held open until" in ok.output
    assert runner.invoke(args=["gates", "lockdown", "Front", "on", "--reason", "drill"]).exit_code == 0
    db.session.expire_all()
    gate = db.session.get(Gate, people.gate.id)
    assert gate.lockdown and gate.hold_open_until is None  # a lockdown ends the hold
    for args, message in [
        (["gates", "unlock", "Front", "--reason", "x"], "is locked down"),
        (["gates", "unlock", "Nowhere", "--reason", "x"], "No gate named 'Nowhere'"),
        (["gates", "lockdown", "Front", "on", "--reason", "x"], "already locked down"),
        (["gates", "unlock", "Front", "--reason", ""], "A reason is required"),
    ]:
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and message in result.output, result.output
    for args in (["gates", "unlock", "Front"], ["gates", "hold-open", "Front", "--minutes", "-1", "--reason", "x"],
                 ["gates", "lockdown", "Front", "maybe", "--reason", "x"]):
        assert runner.invoke(args=args).exit_code == 2
    assert runner.invoke(args=["gates", "lockdown", str(people.gate.id), "off", "--reason", "over"]).exit_code == 0
    assert runner.invoke(args=["gates", "unlock", "Front", "--reason", "visitor"]).exit_code == 0
    assert [e["type"] for e in gate_events(app, people.gate.id)] == [
        "hold_open", "lockdown", "lockdown_released", "remote_unlock"]
    listed = runner.invoke(args=["audit", "list"]).output.splitlines()
    assert len(listed) == 4 and all(" cli" in line for line in listed) and "reason: visitor" in listed[-1]


def test_a_locked_down_gate_denies_every_face(app, people, db):
    app.test_cli_runner().invoke(args=["gates", "lockdown", "Front", "on", "--reason", "drill"])
    decision = GateDecision(id=uuid.uuid4().hex, gate_id=people.gate.id, identity="A001", seq=1,
                            captured_at=datetime.now(UTC).timestamp())
    event = record_decision(decision)
    assert (event.type, event.reason) == ("denied", "gate locked down")


def test_alarms_are_acknowledged_in_the_admin_with_an_audit_row(app, people, db, admin_client, csrf_token):
    opened = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    answer = admin_client.post(f"/api/gates/{people.gate.id}/door", headers={
        "Authorization": f"Bearer {people.gate_token}"}, json={
        "id": "r1", "event": "open", "at": opened.isoformat(), "opened_at": opened.isoformat(), "relay": False})
    assert answer.get_json()["events"] == ["door_opened", "door_forced_open"]
    live = admin_client.get("/admin/live/data.json").get_json()
    assert live["alarms"][0]["alarm"] == "door forced open" and live["alarms"][0]["door"] == "still open"
    assert live["gates"][0]["door"] == "open"
    assert "door forced open" in admin_client.get("/admin/alarms/").get_data(as_text=True)
    alarm = db.session.scalar(sa.select(Alarm))
    token = csrf_token(admin_client)
    done = admin_client.post("/admin/alarms/action/", follow_redirects=True, data={
        "action": "acknowledge", "rowid": [alarm.id], "csrf_token": token})
    assert "1 alarm(s) acknowledged." in done.get_data(as_text=True)
    db.session.expire_all()
    alarm = db.session.get(Alarm, alarm.id)
    assert alarm.acknowledged_by == "boss" and alarm.acknowledged_at is not None
    [entry] = audit_rows(db)
    assert (entry.actor, entry.action, entry.target_type) == ("boss", "alarm.acknowledge", "alarms")
    assert gate_events(app, people.gate.id)[-1]["type"] == "alarm_acknowledged"
    assert admin_client.get("/admin/live/data.json").get_json()["alarms"] == []
    admin_client.post("/admin/alarms/action/", data={"action": "acknowledge", "rowid": [alarm.id],
                                                     "csrf_token": token})
    assert len(audit_rows(db)) == 1
    assert "/admin/alarms/edit/" not in admin_client.get("/admin/alarms/").get_data(as_text=True)
