"""The attendance report: the plain computation, its loader and CSV, and the page."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.models import Log
from app.reports import Passage, attendance, attendance_csv, load_passages

BERLIN = ZoneInfo("Europe/Berlin")


def at(zone: ZoneInfo, text: str) -> datetime:
    """An aware UTC datetime for local wall-clock text in zone."""
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)


def passage(when: str, status: str, who: str = "A001", name: str = "Alice Archer", zone=BERLIN) -> Passage:
    return Passage(staff_id=who, name=name, timestamp=at(zone, when), status=status)


def test_a_working_day_with_a_lunch_break():
    rows = attendance(
        [
            passage("2024-05-06 13:00", "in"),
            passage("2024-05-06 08:00", "in"),
            passage("2024-05-06 12:00", "out"),
            passage("2024-05-06 17:30", "out"),
        ],
        BERLIN, date(2024, 5, 6), date(2024, 5, 6),
    )
    assert len(rows) == 1
    day = rows[0]
    assert (day.day, day.first_in.strftime("%H:%M"), day.last_out.strftime("%H:%M")) == (date(2024, 5, 6), "08:00",
                                                                                          "17:30")
    assert day.time_inside == timedelta(hours=8, minutes=30) and not day.unclosed
    assert day.first_in.utcoffset() == timedelta(hours=2)  # shown in the site zone (CEST)


def test_a_night_shift_is_split_at_local_midnight():
    rows = attendance(
        [passage("2024-05-06 22:00", "in"), passage("2024-05-07 06:00", "out")],
        BERLIN, date(2024, 5, 6), date(2024, 5, 7),
    )
    first, second = rows
    assert (first.day, first.time_inside, first.last_out) == (date(2024, 5, 6), timedelta(hours=2), None)
    assert (second.day, second.time_inside, second.first_in) == (date(2024, 5, 7), timedelta(hours=6), None)


def test_time_inside_is_exact_across_a_daylight_saving_change():
    # 2024-03-31 in Berlin: 02:00 becomes 03:00, so 00:30 to 04:30 is three real hours.
    rows = attendance(
        [passage("2024-03-31 00:30", "in"), passage("2024-03-31 04:30", "out")],
        BERLIN, date(2024, 3, 31), date(2024, 3, 31),
    )
    assert rows[0].time_inside == timedelta(hours=3)


def test_days_are_local_days_not_utc_days():
    late = Passage("A001", "Alice Archer", datetime(2024, 1, 1, 23, 30, tzinfo=UTC), "in")
    assert attendance([late], BERLIN, date(2024, 1, 2), date(2024, 1, 2))[0].day == date(2024, 1, 2)
    assert attendance([late], ZoneInfo("UTC"), date(2024, 1, 2), date(2024, 1, 2)) == []


def test_an_unclosed_entry_is_marked_and_stray_records_do_not_count():
    rows = attendance(
        [
            passage("2024-05-06 07:00", "out"),  # an exit with no entry: ignored for time
            passage("2024-05-06 08:00", "in"),
            passage("2024-05-06 08:05", "in"),  # a second entry while inside: the first one counts
            passage("2024-05-06 10:00", "out"),
            passage("2024-05-06 15:00", "in"),  # never closed
        ],
        BERLIN, date(2024, 5, 6), date(2024, 5, 6),
    )
    day = rows[0]
    assert day.time_inside == timedelta(hours=2)
    assert day.unclosed and day.first_in.strftime("%H:%M") == "08:00" and day.last_out.strftime("%H:%M") == "10:00"


def test_only_days_in_the_range_are_reported_and_people_are_sorted_by_name():
    rows = attendance(
        [
            passage("2024-05-05 09:00", "in", "Z9", "Zed Zulu"),
            passage("2024-05-06 09:00", "in", "Z9", "Zed Zulu"),
            passage("2024-05-06 10:00", "out", "Z9", "Zed Zulu"),
            passage("2024-05-06 09:00", "in"),
            passage("2024-05-06 11:00", "out"),
        ],
        BERLIN, date(2024, 5, 6), date(2024, 5, 6),
    )
    assert [(r.staff_id, r.day) for r in rows] == [("A001", date(2024, 5, 6)), ("Z9", date(2024, 5, 6))]
    # Zed's stay began on the 5th (outside the range; his second "in" is a repeat): only its part on the 6th counts.
    assert rows[1].time_inside == timedelta(hours=10)


def test_csv_has_one_line_per_person_and_day_and_defuses_formulas():
    rows = attendance(
        [passage("2024-05-06 08:00", "in", "E1", "=HYPERLINK(1)"), passage("2024-05-06 09:15", "out", "E1",
                                                                            "=HYPERLINK(1)")],
        BERLIN, date(2024, 5, 6), date(2024, 5, 6),
    )
    lines = list(csv.reader(io.StringIO(attendance_csv(rows))))
    assert lines[0] == ["kind", "staff_id", "name", "date", "first_in", "last_out", "time_inside", "unclosed"]
    assert lines[1] == ["staff", "E1", "'=HYPERLINK(1)", "2024-05-06", "08:00:00", "09:15:00", "1:15", ""]


def test_load_passages_reads_one_person_within_the_local_days(people, db):
    utc = ZoneInfo("UTC")
    for who, when, status in [
        (people.alice, "2024-05-06 07:59", "in"),
        (people.alice, "2024-05-06 21:59", "out"),  # 23:59 in Berlin: still the 6th
        (people.alice, "2024-05-06 22:01", "in"),  # 00:01 on the 7th in Berlin
        (people.bob, "2024-05-06 09:00", "in"),
    ]:
        db.session.add(Log(staff_id=who.id, gate_id=people.gate.id, status=status, timestamp=at(utc, when)))
    db.session.commit()
    mine = load_passages(date(2024, 5, 6), date(2024, 5, 6), BERLIN, people.alice.id)
    assert sorted(p.status for p in mine) == ["in", "out"] and {p.staff_id for p in mine} == {"A001"}
    assert len(load_passages(date(2024, 5, 6), date(2024, 5, 7), BERLIN)) == 4


def test_staff_see_only_themselves_and_admins_everyone(people, db, alice_client, bob_client, admin_client):
    today = datetime.now(UTC).replace(microsecond=0)
    db.session.add(Log(staff_id=people.alice.id, gate_id=people.gate.id, status="in", timestamp=today))
    db.session.commit()
    assert "Alice Archer" in alice_client.get("/reports/attendance").get_data(as_text=True)
    bob_page = bob_client.get("/reports/attendance").get_data(as_text=True)
    assert "Alice Archer" not in bob_page and "No entries or exits" in bob_page
    assert bob_client.get("/reports/attendance?staff=A001").status_code == 403
    exported = admin_client.get("/reports/attendance?format=csv")
    assert exported.mimetype == "text/csv" and "A001,Alice Archer" in exported.get_data(as_text=True)


def test_bad_date_ranges_get_a_clear_message(admin_client, people):
    for query, message in [
        ("start=2024-13-01", "Dates must look like"),
        ("start=2024-05-07&end=2024-05-01", "before the start date"),
        ("start=2020-01-01&end=2024-01-01", "at most 366 days"),
        ("staff=NOPE", "No staff member with ID"),
    ]:
        response = admin_client.get(f"/reports/attendance?{query}")
        assert response.status_code == 400 and message in response.get_data(as_text=True), query
