"""The charts' numbers: they agree with the attendance table and the log they come from, and reach the pages."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.charts import decisions_per_day, gate_traffic, hourly_traffic, presence_over_day, time_inside
from app.models import DecisionFace, Log
from app.reports import Passage, attendance

BERLIN = ZoneInfo("Europe/Berlin")
CHART_DATA = re.compile(r'<script type="application/json" id="chart-data">(.*?)</script>', re.S)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN).astimezone(UTC)


DAY = [
    Passage("A001", "Alice Archer", at("2024-05-06 08:05"), "in"),
    Passage("B002", "Bob Baker", at("2024-05-06 08:40"), "in"),
    Passage("A001", "Alice Archer", at("2024-05-06 12:00"), "out"),
    Passage("A001", "Alice Archer", at("2024-05-06 12:50"), "in"),
    Passage("B002", "Bob Baker", at("2024-05-06 16:59"), "out"),
    Passage("A001", "Alice Archer", at("2024-05-06 17:30"), "out"),
]


def test_arrivals_and_departures_fall_in_their_local_hours():
    traffic = hourly_traffic(DAY, BERLIN)
    assert traffic["arrivals"][8] == 2 and traffic["arrivals"][12] == 1 and sum(traffic["arrivals"]) == 3
    assert traffic["departures"][12] == 1 and traffic["departures"][16] == 1 and traffic["departures"][17] == 1


def test_presence_over_the_day_counts_open_stays_every_quarter_hour():
    curve = presence_over_day(DAY, BERLIN, date(2024, 5, 6))
    inside = dict(zip(curve["times"], curve["inside"], strict=True))
    assert len(curve["times"]) == 24 * 4 + 1
    assert inside[int(at("2024-05-06 08:00").timestamp())] == 0
    assert inside[int(at("2024-05-06 08:15").timestamp())] == 1
    assert inside[int(at("2024-05-06 09:00").timestamp())] == 2
    assert inside[int(at("2024-05-06 12:15").timestamp())] == 1  # Alice at lunch
    assert inside[int(at("2024-05-06 17:15").timestamp())] == 1
    assert inside[int(at("2024-05-06 18:00").timestamp())] == 0


def test_time_inside_adds_up_the_attendance_rows():
    rows = attendance(DAY, BERLIN, date(2024, 5, 6), date(2024, 5, 6))
    per_person = time_inside(rows, "person")
    assert per_person == {"labels": ["Alice Archer (A001)", "Bob Baker (B002)"], "hours": [8.58, 8.32]}
    assert time_inside(rows, "day") == {"labels": ["2024-05-06"], "hours": [16.9]}


def test_the_home_page_charts_count_the_log_and_the_decisions(db, people, admin_client):
    now = datetime.now(UTC)
    db.session.add_all([
        Log(staff_id=people.alice.id, gate_id=people.gate.id, status="in", timestamp=now - timedelta(minutes=1)),
        Log(staff_id=people.bob.id, gate_id=people.gate.id, status="in", timestamp=now - timedelta(days=2)),
        Log(staff_id=people.bob.id, gate_id=people.gate.id, status="out", timestamp=now - timedelta(days=30)),
        DecisionFace(decision_id="s" * 32, gate_id=people.gate.id, kind="stranger", captured_at=now),
    ])  # fmt: skip
    db.session.commit()
    zone = ZoneInfo("UTC")
    today = now.date()
    traffic = gate_traffic(today - timedelta(days=13), today, zone)
    assert traffic["series"] == {"Front": [0] * 11 + [1, 0, 1]}
    assert decisions_per_day(today - timedelta(days=13), today, zone)["series"] == {"stranger": [0] * 13 + [1]}
    charts = json.loads(CHART_DATA.search(admin_client.get("/admin/").get_data(as_text=True)).group(1))
    assert charts["charts"]["traffic"]["series"] == traffic["series"]
    assert charts["charts"]["decisions"]["series"] == {"stranger": [0] * 13 + [1]}


def test_the_attendance_page_embeds_its_charts_for_each_role(db, people, admin_client, alice_client):
    now = datetime.now(UTC)
    for staff, minutes, status in [(people.alice, 90, "in"), (people.bob, 60, "in"), (people.alice, 30, "out")]:
        db.session.add(Log(staff_id=staff.id, gate_id=people.gate.id, status=status,
                           timestamp=now - timedelta(minutes=minutes)))  # fmt: skip
    db.session.commit()
    admin_page = admin_client.get("/reports/attendance").get_data(as_text=True)
    charts = json.loads(CHART_DATA.search(admin_page).group(1))["charts"]
    assert sum(charts["hourly"]["arrivals"]) == 2 and sum(charts["hourly"]["departures"]) == 1
    assert charts["inside"]["labels"] == ["Alice Archer (A001)", "Bob Baker (B002)"]
    assert "uPlot.iife.min.js" in admin_page
    own = json.loads(CHART_DATA.search(alice_client.get("/reports/attendance").get_data(as_text=True)).group(1))
    assert sum(own["charts"]["hourly"]["arrivals"]) == 1 and own["charts"]["inside"]["title"] == "Hours inside per day"
    assert "Bob" not in json.dumps(own)
