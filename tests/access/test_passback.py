"""Anti-passback on the real MariaDB: off, soft and hard areas, the admin's reset, and the in/out log agreeing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.access.editing import AccessError, create_area
from app.access.passback import reset_passback
from app.gates.decide import GateDecision
from app.gates.log_writer import record_decision
from app.models import AreaPresence, Log, Staff

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


@pytest.fixture()
def office(site, db):
    """B2 is cleared for Front and Back; Front leads into the Office, Back out of it."""
    b2 = db.session.scalar(select(Staff).where(Staff.staff_id == "B2"))
    b2.gates = [site.front, site.back]
    db.session.commit()
    return site


def log_rows(db) -> list[tuple[str, str, str | None]]:
    rows = db.session.scalars(select(Log).order_by(Log.timestamp))
    return [(row.gate.name, row.status, row.violation) for row in rows]


def test_hard_mode_denies_a_second_entry_until_the_person_leaves(office, db) -> None:
    create_area("Office", "hard", ["Front"], ["Back"])
    assert office.verdict("B2", "Front", minutes(0)) == ("granted", None)
    assert office.verdict("B2", "Front", minutes(1)) == ("denied", "anti-passback")
    assert office.verdict("B2", "Back", minutes(2)) == ("granted", None)
    assert office.verdict("B2", "Back", minutes(3)) == ("denied", "anti-passback")
    assert office.verdict("B2", "Front", minutes(4)) == ("granted", None)
    assert log_rows(db) == [("Front", "in", None), ("Back", "out", None), ("Front", "in", None)]


def test_soft_mode_grants_and_records_the_violation(office, db) -> None:
    create_area("Office", "soft", ["Front"], ["Back"])
    office.decide("B2", "Front", minutes(0))
    event = office.decide("B2", "Front", minutes(1))
    assert (event.type, event.direction, event.reason) == ("granted", "in", "anti-passback")
    assert log_rows(db) == [("Front", "in", None), ("Front", "in", "anti-passback")]


def test_off_mode_tracks_the_side_without_checking(office, db) -> None:
    create_area("Office", "off", ["Front"], ["Back"])
    assert [office.verdict("B2", "Front", minutes(n)) for n in (0, 1)] == [("granted", None)] * 2
    presence = db.session.scalar(select(AreaPresence))
    assert (presence.side, presence.gate_id) == ("in", office.front.id)


def test_an_admin_reset_lets_the_person_pass_either_way(office, db) -> None:
    create_area("Office", "hard", ["Front"], ["Back"])
    office.decide("B2", "Front", minutes(0))
    assert office.verdict("B2", "Front", minutes(1))[0] == "denied"
    b2 = db.session.scalar(select(Staff).where(Staff.staff_id == "B2"))
    assert reset_passback(b2.id) == 1
    assert office.verdict("B2", "Front", minutes(2)) == ("granted", None)


def test_a_retried_decision_is_not_a_violation_of_itself(office, db) -> None:
    create_area("Office", "hard", ["Front"], ["Back"])
    decision = GateDecision(uuid.uuid4().hex, office.front.id, "B2", 1, minutes(0).timestamp())
    first, again = record_decision(decision), record_decision(decision)
    assert (first.type, again.type, again.direction) == ("granted", "granted", "in")
    assert log_rows(db) == [("Front", "in", None)]


def test_bad_areas_are_refused_and_nothing_is_saved(office, db) -> None:
    with pytest.raises(AccessError, match="No gate named 'Side'"):
        create_area("Office", "hard", ["Front"], ["Side"])
    with pytest.raises(AccessError, match="both an entry and an exit"):
        create_area("Office", "hard", ["Front"], ["Front"])
    with pytest.raises(AccessError, match="mode 'strict'"):
        create_area("Office", "strict", ["Front"], ["Back"])
    db.session.rollback()
    assert office.front.area_id is None and office.back.area_id is None
    create_area("Office", "hard", ["Front"], [])
    with pytest.raises(AccessError, match="already belongs to another area"):
        create_area("Lobby", "soft", ["Front"], [])
