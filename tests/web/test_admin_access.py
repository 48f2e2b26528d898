"""The admin's access-control pages: schedules, holidays, groups, rules, areas and visitors, each refusing bad input
with a message and saving nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from app.access.editing import create_area, create_group, create_rule, create_schedule
from app.gates.decide import GateDecision, pending_key
from app.gates.deliver import deliver_pending
from app.models import AccessRule, AreaPresence, AuditEntry, Holiday, Schedule, Staff
from app.redis_client import get_redis


def text(response) -> str:
    return response.get_data(as_text=True)


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_every_access_page_opens(people, admin_client) -> None:
    for page in ("rules", "schedules", "holidays", "calendars", "areas", "groups", "visitors"):
        assert admin_client.get(f"/admin/{page}/").status_code == 200, page
        assert admin_client.get(f"/admin/{page}/new/").status_code == 200, page


def test_a_schedule_is_typed_as_windows_and_a_bad_window_saves_nothing(people, db, admin_client, csrf_token) -> None:
    data = {"csrf_token": csrf_token(admin_client), "name": "Office hours",
            "windows_text": "Mon-Fri 09:00-17:00\nSat 18:00-08:00"}  # fmt: skip
    page = text(admin_client.post("/admin/schedules/new/", data=data, follow_redirects=True))
    assert "must end after it starts" in page
    assert db.session.scalar(sa.select(Schedule).where(Schedule.name == "Office hours")) is None
    data["windows_text"] = "Mon-Fri 09:00-17:00\nSat 10:00-14:00"
    assert admin_client.post("/admin/schedules/new/", data=data).status_code == 302
    schedule = db.session.scalar(sa.select(Schedule).where(Schedule.name == "Office hours"))
    assert [str(w) for w in schedule.windows][-2:] == ["Friday 09:00-17:00", "Saturday 10:00-14:00"]
    assert "Sat 10:00-14:00" in text(admin_client.get(f"/admin/schedules/edit/?id={schedule.id}"))
    audited = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.target_type == "schedules"))
    assert (audited.actor, audited.action) == ("boss", "create")
    assert "Saturday 10:00-14:00" in audited.after_fields()["windows"]


def test_overlapping_holidays_are_refused(people, db, admin_client, csrf_token) -> None:
    calendar_id = create_schedule("Office hours", ["Mon-Fri 09:00-17:00"], calendar="Public").calendar_id
    data = {"csrf_token": csrf_token(admin_client), "calendar": str(calendar_id), "name": "Christmas",
            "first_day": "2026-12-24", "last_day": "2026-12-26"}  # fmt: skip
    assert admin_client.post("/admin/holidays/new/", data=data).status_code == 302
    page = text(admin_client.post("/admin/holidays/new/", data={**data, "name": "Boxing week",
                                                                 "first_day": "2026-12-26"}, follow_redirects=True))
    assert "overlaps Christmas" in page
    backwards = {**data, "name": "Backwards", "first_day": "2027-01-02", "last_day": "2027-01-01"}
    assert "before it starts" in text(admin_client.post("/admin/holidays/new/", data=backwards, follow_redirects=True))
    assert count(db, Holiday) == 1


def test_a_rule_grants_a_group_or_a_person_never_both(people, db, admin_client, csrf_token) -> None:
    group = create_group("Office", members=["B002"])
    schedule = create_schedule("Office hours", ["Mon-Fri 09:00-17:00"])
    base = {"csrf_token": csrf_token(admin_client), "name": "Office staff", "schedule": str(schedule.id),
            "gates": [str(people.gate.id)], "enabled": "y"}  # fmt: skip
    rules = count(db, AccessRule)
    page = text(admin_client.post("/admin/rules/new/", data={**base, "group": str(group.id),
                                                              "staff": str(people.bob.id)}, follow_redirects=True))
    assert "either a group or one person" in page and count(db, AccessRule) == rules
    assert admin_client.post("/admin/rules/new/", data={**base, "group": str(group.id)}).status_code == 302
    rule = db.session.scalar(sa.select(AccessRule).where(AccessRule.name == "Office staff"))
    assert (rule.group.name, rule.schedule.name, [g.name for g in rule.gates]) == ("Office", "Office hours", ["Front"])


def test_a_visitor_is_enrolled_apart_from_staff_and_a_backwards_pass_saves_nothing(
    people, db, admin_client, csrf_token
) -> None:
    data = {"csrf_token": csrf_token(admin_client), "staff_id": "V100", "first_name": "Vera", "last_name": "Visit",
            "email": "", "host_person": str(people.alice.id), "pass_gates": [str(people.gate.id)],
            "pass_from": "2026-12-01T10:00", "pass_until": "2026-12-01T09:00"}  # fmt: skip
    page = text(admin_client.post("/admin/visitors/new/", data=data, follow_redirects=True))
    assert "before it starts" in page
    assert db.session.scalar(sa.select(Staff).where(Staff.staff_id == "V100")) is None
    data["pass_until"] = "2026-12-01T17:00"
    assert admin_client.post("/admin/visitors/new/", data=data).status_code == 302
    visitor = db.session.scalar(sa.select(Staff).where(Staff.staff_id == "V100"))
    assert (visitor.kind, visitor.host.staff_id, [g.name for g in visitor.gates]) == ("visitor", "A001", ["Front"])
    listing = text(admin_client.get("/admin/visitors/"))
    assert "V100" in listing and f'href="/admin/enrolment/{visitor.id}"' in listing
    assert "V100" not in text(admin_client.get("/admin/staff/"))


def test_the_reset_action_forgets_a_persons_side_of_the_areas(people, db, admin_client, csrf_token) -> None:
    area = create_area("Office", "hard", ["Front"], [])
    db.session.add(AreaPresence(area_id=area.id, staff_id=people.alice.id, side="in", gate_id=people.gate.id))
    db.session.commit()
    response = admin_client.post("/admin/staff/action/", data={
        "csrf_token": csrf_token(admin_client), "action": "reset_passback", "rowid": [str(people.alice.id)]})
    assert response.status_code == 302
    assert count(db, AreaPresence) == 0
    audited = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "passback.reset"))
    assert (audited.actor, audited.target_label, audited.after_fields()) == ("boss", "Alice Archer", {"areas_reset": 1})


def test_the_live_page_says_why_a_person_was_denied(app, people, db, admin_client, redis_client) -> None:
    create_schedule("Never now", ["Mon 00:00-00:01"])
    create_group("Night", members=["B002"])
    create_rule("Night front", "Never now", ["Front"], group="Night")
    decision = GateDecision(uuid.uuid4().hex, people.gate.id, "B002", 1, datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
                            .timestamp())  # fmt: skip
    redis_client.hset(pending_key(people.gate.id), decision.id, decision.to_json())
    deliver_pending(get_redis(app.config["REDIS_URL"]), people.gate.id, app.config, "facenet")
    events = admin_client.get("/admin/live/data.json").get_json()["events"]
    assert [(e["type"], e["person"], e["reason"]) for e in events] == [
        ("denied", "Bob Baker", "outside schedule Never now")
    ]
    assert "outside schedule Never now" in text(admin_client.get("/admin/live/"))
