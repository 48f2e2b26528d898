"""Visitors on the real MariaDB: the pass opens its gates only while valid and stops by itself; the retention task
forgets the visitor's photos some days after; attendance keeps visitors apart from staff."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.access.editing import AccessError
from app.access.visitors import create_visitor, end_pass
from app.enrolment.photos import import_photo_folder
from app.models import DecisionFace, FaceImage, PhotoBlob, Staff
from app.reports import attendance, load_passages
from app.retention import run_retention

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
END = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


@pytest.fixture()
def visitor(site):
    return create_visitor("V1", "Vera", "Visitor", "A1", ["Front"], START, END)


def test_the_pass_works_from_its_start_until_its_end_and_only_at_its_gates(site, visitor) -> None:
    second = timedelta(seconds=1)
    assert site.verdict("V1", "Front", START - second) == ("denied", "pass not yet valid")
    assert site.verdict("V1", "Front", START) == ("granted", None)
    assert site.verdict("V1", "Front", END - second) == ("granted", None)
    assert site.verdict("V1", "Front", END) == ("denied", "pass expired")
    assert site.verdict("V1", "Back", START + timedelta(hours=1)) == ("denied", "not cleared for this gate")
    assert visitor.host.staff_id == "A1" and visitor.user is None and visitor.is_visitor


def test_ending_a_pass_early_stops_it(site, visitor, db) -> None:
    end_pass(visitor, START + timedelta(hours=2))
    assert site.verdict("V1", "Front", START + timedelta(hours=2)) == ("denied", "pass expired")


def test_bad_passes_are_refused_and_nothing_is_saved(site, db) -> None:
    with pytest.raises(AccessError, match="before it starts"):
        create_visitor("V2", "Vic", "Tor", "A1", ["Front"], END, START)
    with pytest.raises(AccessError, match="must be a member of staff"):
        create_visitor("V3", "Vic", "Tor", "A1", ["Front"], START, END)
        create_visitor("V4", "Val", "Tor", "V3", ["Front"], START, END)
    with pytest.raises(AccessError, match="already taken"):
        create_visitor("A1", "Vic", "Tor", "B2", ["Front"], START, END)
    db.session.rollback()
    assert db.session.scalars(select(Staff.staff_id).where(Staff.kind == "visitor")).all() == ["V3"]


def test_the_retention_task_forgets_photos_some_days_after_the_pass(app, site, visitor, db, faces_dir) -> None:
    import_photo_folder(visitor, faces_dir / "people" / "Amelie_Mauresmo")
    photos = db.session.scalar(select(func.count()).select_from(FaceImage).where(FaceImage.staff_id == visitor.id))
    assert photos > 0 and db.session.scalar(select(func.count()).select_from(PhotoBlob)) == photos
    db.session.add(DecisionFace(decision_id="d1", gate_id=site.front.id, kind="granted", staff_id=visitor.id))
    db.session.commit()
    config = {**app.config, "VISITOR_FORGET_DAYS": 7}
    assert run_retention(config, END + timedelta(days=6)).visitors_forgotten == 0
    assert run_retention(config, END + timedelta(days=7)).visitors_forgotten == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(FaceImage)) == 0
    assert db.session.scalar(select(func.count()).select_from(DecisionFace)) == 0
    assert db.session.scalar(select(func.count()).select_from(PhotoBlob)) == 0
    assert visitor.forgotten_at == END + timedelta(days=7)
    assert run_retention(config, END + timedelta(days=8)).visitors_forgotten == 0


def test_attendance_keeps_visitors_apart_from_staff(site, visitor, db) -> None:
    for who, gate, at in (("V1", "Front", START), ("B2", "Back", START), ("V1", "Front", START + timedelta(hours=1))):
        site.decide(who, gate, at)
    zone = ZoneInfo("UTC")
    day = date(2026, 12, 1)
    rows = attendance(load_passages(day, day, zone), zone, day, day)
    assert [(r.staff_id, r.visitor) for r in rows] == [("B2", False), ("V1", True)]
    assert rows[1].time_inside == timedelta(hours=1)
