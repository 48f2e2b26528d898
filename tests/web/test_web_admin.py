"""The admin pages: people, admin accounts, gates and tokens, the log with filters and CSV, jobs, the live page."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.accounts import gate_for_token
from app.gates.stream import Event, publish_event
from app.models import Gate, Job, Log, Staff, User
from app.models.types import utcnow
from app.redis_client import get_redis


def text(response) -> str:
    return response.get_data(as_text=True)


def test_admin_creates_a_staff_member_with_the_cli_code_and_sees_the_password_once(
    people, db, admin_client, csrf_token
):
    data = {"csrf_token": csrf_token(admin_client), "staff_id": "C003", "first_name": "Cleo", "last_name": "Cruz",
            "email": "cleo@example.org", "phone": "", "gates": [str(people.gate.id)]}
    page = text(admin_client.post("/admin/staff/new/", data=data, follow_redirects=True))
    password = re.search(r"One-time password for C003 \(shown only now[^)]*\): (\S+)", page).group(1)
    staff = db.session.scalar(sa.select(Staff).where(Staff.staff_id == "C003"))
    assert staff.user.must_change_password and staff.user.check_password(password)
    assert [g.name for g in staff.gates] == ["Front"] and staff.folder == "Cleo_Cruz_C003"
    again = text(admin_client.post("/admin/staff/new/", data=data, follow_redirects=True))
    assert "Already exists." in again and "Failed to create record." in again
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Staff)) == 3


def test_admin_edits_clearances_resets_a_password_and_deactivates(people, db, admin_client, csrf_token):
    url = f"/admin/staff/edit/?id={people.bob.id}"
    form = text(admin_client.get(url))
    assert 'name="staff_id"' not in form and 'name="new_password"' in form
    base = {"csrf_token": csrf_token(admin_client), "first_name": "Bob", "last_name": "Baker", "email": "",
            "phone": "", "staff_id": "HACKED"}
    weak = text(admin_client.post(url, data={**base, "new_password": "short", "active": "y"}, follow_redirects=True))
    assert "at least 8 characters" in weak
    response = admin_client.post(
        url, data={**base, "gates": [str(people.gate.id)], "new_password": "reset-by-admin-1"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    bob = db.session.get(Staff, people.bob.id)
    assert bob.staff_id == "B002" and [g.name for g in bob.gates] == ["Front"]
    assert not bob.user.active and bob.user.must_change_password and bob.user.check_password("reset-by-admin-1")


def test_deleting_a_person_deletes_their_account_and_log(people, db, admin_client, csrf_token):
    db.session.add(Log(staff_id=people.bob.id, gate_id=people.gate.id, status="in"))
    db.session.commit()
    response = admin_client.post("/admin/staff/delete/", data={"id": people.bob.id,
                                                               "csrf_token": csrf_token(admin_client)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(User).where(User.username == "B002")) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Log)) == 0


def test_admin_accounts_are_created_listed_and_protected(people, db, admin_client, csrf_token):
    data = {"csrf_token": csrf_token(admin_client), "username": "second", "password": "second-admin-pw"}
    assert admin_client.post("/admin/admins/new/", data=data).status_code == 302
    second = db.session.scalar(sa.select(User).where(User.username == "second"))
    assert second.is_admin and second.check_password("second-admin-pw")
    listing = text(admin_client.get("/admin/admins/"))
    assert "second" in listing and "A001" not in listing
    refused = admin_client.post("/admin/admins/delete/", data={"id": people.admin.id,
                                                               "csrf_token": csrf_token(admin_client)},
                                follow_redirects=True)
    assert "cannot deactivate or delete your own account" in text(refused)
    assert db.session.get(User, people.admin.id) is not None
    assert admin_client.get(f"/admin/admins/edit/?id={people.alice.user.id}").status_code == 302  # not an admin


def test_gates_are_created_with_a_token_shown_once_and_rotated(people, db, admin_client, csrf_token):
    data = {"csrf_token": csrf_token(admin_client), "name": "Back door", "ip_address": "10.0.0.9",
            "camera_source": "rtsp://10.0.0.9/stream", "voice_enabled": "y", "active": "y"}
    page = text(admin_client.post("/admin/gates/new/", data=data, follow_redirects=True))
    token = re.search(r"API token of gate &#39;Back door&#39; \(shown only now[^)]*\): (\S+)", page).group(1)
    gate = db.session.scalar(sa.select(Gate).where(Gate.name == "Back door"))
    assert gate_for_token(token) == gate and gate.ip_address == "10.0.0.9"
    assert token not in text(admin_client.get("/admin/gates/"))
    rotated = text(admin_client.post("/admin/gates/action/", data={
        "csrf_token": csrf_token(admin_client), "action": "rotate_token", "rowid": [str(gate.id)]},
        follow_redirects=True))
    new_token = re.search(r"New API token of gate &#39;Back door&#39; \(shown only now\): (\S+)", rotated).group(1)
    db.session.expire_all()
    gate = db.session.get(Gate, gate.id)
    assert gate_for_token(new_token) == gate and gate_for_token(token) is None


def test_gates_show_online_from_heartbeats_and_a_gate_with_history_is_not_deleted(people, db, admin_client,
                                                                                  csrf_token):
    people.gate.last_heartbeat_at = utcnow()
    db.session.add(Gate(name="Quiet", camera_source="1", token_hash="x" * 64,
                        last_heartbeat_at=utcnow() - timedelta(hours=1)))
    db.session.add(Log(staff_id=people.alice.id, gate_id=people.gate.id, status="in"))
    db.session.commit()
    listing = text(admin_client.get("/admin/gates/"))
    assert listing.count(">online</span>") == 1 and listing.count(">offline</span>") == 1
    refused = admin_client.post("/admin/gates/delete/", data={"id": people.gate.id,
                                                              "csrf_token": csrf_token(admin_client)},
                                follow_redirects=True)
    assert "has log entries, so it cannot be deleted; deactivate it instead" in text(refused).replace("&#39;", "'")
    assert db.session.get(Gate, people.gate.id) is not None


def _log_rows(db, people) -> None:
    side = Gate(name="Side", camera_source="2", token_hash="y" * 64)
    db.session.add(side)
    db.session.flush()
    rows = [
        (people.alice, people.gate, "2024-05-06T06:30:00", "in"),
        (people.alice, people.gate, "2024-05-06T15:00:00", "out"),
        (people.bob, side, "2024-05-06T07:00:00", "in"),
        (people.alice, people.gate, "2024-05-07T06:30:00", "in"),
    ]
    for staff, gate, when, status in rows:
        stamp = datetime.fromisoformat(when).replace(tzinfo=UTC)
        db.session.add(Log(staff_id=staff.id, gate_id=gate.id, status=status, timestamp=stamp))
    db.session.commit()


def _csv(admin_client, query: str) -> list[list[str]]:
    response = admin_client.get(f"/admin/logs/export/csv/?{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(text(response))))


def test_log_filters_by_person_gate_local_date_and_status_and_exports_csv(app, people, db, admin_client,
                                                                          monkeypatch):
    monkeypatch.setitem(app.config, "TIMEZONE", "Europe/Berlin")
    _log_rows(db, people)
    everything = _csv(admin_client, "")
    assert everything[0] == ["Time", "Person", "Gate", "Status", "Violation"] and len(everything) == 5
    assert everything[1] == ["2024-05-07 08:30:00", "Alice Archer (A001)", "Front", "in", ""]  # newest first, local
    # Filter indexes follow LogAdmin.column_filters: 0 staff ID, 1 last name, 2 gate, 3 date, 4 status.
    assert len(_csv(admin_client, "flt0_0=A001")) == 4
    assert [r[1] for r in _csv(admin_client, "flt0_1=Bak")[1:]] == ["Bob Baker (B002)"]
    assert [r[2] for r in _csv(admin_client, "flt0_2=Side")[1:]] == ["Side"]
    one_day = _csv(admin_client, "flt0_3=2024-05-06+to+2024-05-06")
    assert [r[0] for r in one_day[1:]] == ["2024-05-06 17:00:00", "2024-05-06 09:00:00", "2024-05-06 08:30:00"]
    combined = _csv(admin_client, "flt0_0=A001&flt1_4=in&flt2_3=2024-05-06+to+2024-05-07")
    assert [r[0] for r in combined[1:]] == ["2024-05-07 08:30:00", "2024-05-06 08:30:00"]
    page = text(admin_client.get("/admin/logs/?flt0_0=B002"))
    assert "Bob Baker (B002)" in page and "Alice Archer (A001)" not in page


def test_logs_can_be_deleted_but_not_created_or_edited(people, db, admin_client, csrf_token):
    log = Log(staff_id=people.alice.id, gate_id=people.gate.id, status="in")
    db.session.add(log)
    db.session.commit()
    listing = text(admin_client.get("/admin/logs/"))
    assert "/admin/logs/new/" not in listing and "/admin/logs/edit/" not in listing
    response = admin_client.post("/admin/logs/delete/", data={"id": log.id, "csrf_token": csrf_token(admin_client),
                                                              "reason": "a test passage"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Log)) == 0


def test_jobs_show_progress_bars_read_only(people, db, admin_client):
    db.session.add(Job(kind="train", state="running", progress=42, message="fitting"))
    db.session.commit()
    listing = text(admin_client.get("/admin/jobs/"))
    assert 'aria-valuenow="42"' in listing and "fitting" in listing
    assert "/admin/jobs/edit/" not in listing and "/admin/jobs/delete/" not in listing


def test_the_live_page_shows_gate_status_log_rows_and_stream_events(app, people, db, admin_client, redis_client):
    people.gate.last_heartbeat_at = utcnow()
    db.session.add(Log(staff_id=people.alice.id, gate_id=people.gate.id, status="in"))
    db.session.commit()
    event = Event(id="e1", type="stranger", gate_id=people.gate.id, staff_id=None, name=None, first_name=None,
                  direction=None, timestamp=utcnow().isoformat(), voice=False)
    publish_event(get_redis(app.config["REDIS_URL"]), event, 100)
    page = text(admin_client.get("/admin/live/"))
    assert "live.js" in page and "Alice Archer (A001)" in page
    data = admin_client.get("/admin/live/data.json").get_json()
    assert data["gates"] == [{"id": people.gate.id, "name": "Front", "active": True, "online": True, "door": "",
                              "mode": "", "last_heartbeat": data["gates"][0]["last_heartbeat"]}]
    assert [(p["person"], p["status"]) for p in data["passages"]] == [("Alice Archer (A001)", "in")]
    assert [(e["gate"], e["type"]) for e in data["events"]] == [("Front", "stranger")]


def test_log_csv_defuses_formulas_but_the_page_shows_names_as_they_are(people, db, admin_client):
    people.bob.first_name = "=HYPERLINK(1)"
    db.session.add(Log(staff_id=people.bob.id, gate_id=people.gate.id, status="in"))
    db.session.commit()
    assert _csv(admin_client, "")[1][1] == "'=HYPERLINK(1) Baker (B002)"
    assert "=HYPERLINK(1) Baker (B002)" in text(admin_client.get("/admin/logs/"))
