"""Who is in now: it agrees with the in/out log (a day of passages walked one by one), the page, CSV and print view."""

from __future__ import annotations

import csv
import io
import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.access.editing import create_area
from app.accounts import create_gate, create_staff
from app.extensions import db as _db
from app.gates.decide import GateDecision
from app.gates.log_writer import record_decision
from app.models import Gate, Log
from app.presence import SITE_AREA, Passage, present_from, who_is_in

DAY_START = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def log_replay(until: datetime) -> set[tuple[str, str]]:
    """(area, staff ID) of everyone inside by reading the log the plain way: each person's rows at each area's gates
    in time order, the last one says "in"."""
    last: dict[tuple[str, str], str] = {}
    rows = select(Log).where(Log.timestamp <= until).order_by(Log.timestamp, Log.id)
    for row in _db.session.scalars(rows):
        area = row.gate.area.name if row.gate.area else SITE_AREA
        last[area, row.staff.staff_id] = row.status
    return {key for key, status in last.items() if status == "in"}


def inside(until: datetime | None = None) -> set[tuple[str, str]]:
    return {(p.area, p.staff_id) for p in who_is_in(until)}


def test_a_day_of_passages_walked_one_by_one_matches_the_log(db, people):
    """Two gates of no area (the site) and an anti-passback area with an entry and an exit gate."""
    names = ["Front", "Back", "Lab entry", "Lab exit"]
    for name in names[1:]:
        create_gate(name, "1")
    create_area("Lab", "off", ["Lab entry"], ["Lab exit"])
    staff_ids = []
    for n in range(1, 9):
        staff, _ = create_staff(f"P{n:03d}", f"Person{n}", "Walker", None, None, names)
        staff_ids.append(staff.staff_id)
    gates = {name: db.session.scalar(select(Gate.id).where(Gate.name == name)) for name in names}
    rng = random.Random(19)
    moment = DAY_START
    areas_seen = set()
    for _ in range(120):
        # Now and then two passages share one timestamp: the log row's id breaks the tie, here as in the log.
        moment += timedelta(seconds=0 if rng.random() < 0.1 else rng.randint(20, 600))
        decision = GateDecision(uuid.uuid4().hex, gates[rng.choice(names)], rng.choice(staff_ids), 0,
                                moment.timestamp())  # fmt: skip
        assert record_decision(decision).type == "granted"
        now_inside = inside()
        assert now_inside == log_replay(moment), f"after the passage at {moment}"
        areas_seen |= {area for area, _ in now_inside}
    assert areas_seen == {SITE_AREA, "Lab"}
    # And back in time: the state at any moment of the day is the log's state then.
    for _ in range(20):
        until = DAY_START + timedelta(seconds=rng.randint(0, int((moment - DAY_START).total_seconds())))
        assert inside(until) == log_replay(until), f"at {until}"


def test_the_latest_passage_per_area_decides_and_ties_go_to_the_later_row():
    t = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    passages = [
        Passage(1, "A001", "Alice Archer", "Front", "Office", t, 1, "in"),
        Passage(1, "A001", "Alice Archer", "Front", "Office", t, 2, "out"),  # same time, later row: out
        Passage(2, "B002", "Bob Baker", "Lab door", "Lab", t, 3, "in"),
        Passage(2, "B002", "Bob Baker", "Front", "Office", t + timedelta(minutes=1), 4, "in"),
    ]
    present = present_from(passages)
    assert [(p.area, p.staff_id, p.gate) for p in present] == [("Lab", "B002", "Lab door"), ("Office", "B002", "Front")]


def test_the_page_the_csv_and_the_print_view(admin_client, people, db):
    page = admin_client.get("/admin/presence/").get_data(as_text=True)
    assert "Nobody is inside by the log" in page
    db.session.add(Log(staff_id=people.alice.id, gate_id=people.gate.id, status="in",
                       timestamp=datetime(2026, 11, 30, 8, 15, tzinfo=UTC)))  # fmt: skip
    db.session.commit()
    page = admin_client.get("/admin/presence/").get_data(as_text=True)
    assert "Alice Archer" in page and "Bob Baker" not in page and "2026-11-30 08:15:00" in page
    assert "Who is in" in page
    response = admin_client.get("/admin/presence/?format=csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == [["area", "staff_id", "name", "in_since", "gate"],
                    [SITE_AREA, "A001", "Alice Archer", "2026-11-30 08:15:00", "Front"]]  # fmt: skip
    sheet = admin_client.get("/admin/presence/print").get_data(as_text=True)
    assert "Roll call" in sheet and "Alice Archer" in sheet and "&#9744;" in sheet
