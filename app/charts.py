"""Numbers for the charts: arrivals and departures per hour, presence over a day, time inside per person or per day
(the attendance page), and gate traffic and strangers per day (the admin home page). Plain lists, ready for JSON.

The attendance charts are computed from the same passages and rows as the attendance table, so they agree with it
(and, like it, see only the passages inside the chosen days).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.extensions import db
from app.models import DecisionFace, Gate, Log
from app.reports import AttendanceDay, Passage
from app.sitetime import day_range_utc, local_midnight_utc

PRESENCE_STEP = timedelta(minutes=15)


def hourly_traffic(passages: Iterable[Passage], zone: ZoneInfo) -> dict:
    """Arrivals ("in") and departures ("out") per local hour of the day (0-23), over all the passages."""
    counts = {"in": [0] * 24, "out": [0] * 24}
    for p in passages:
        counts[p.status][p.timestamp.astimezone(zone).hour] += 1
    return {"hours": list(range(24)), "arrivals": counts["in"], "departures": counts["out"]}


def presence_over_day(passages: Iterable[Passage], zone: ZoneInfo, day: date) -> dict:
    """How many people are inside at each quarter hour of the local day: each person's passages in time order, an
    "in" opens a stay and an "out" closes it (as the attendance table pairs them). Times are Unix seconds."""
    changes: list[tuple[datetime, str, str]] = sorted((p.timestamp, p.staff_id, p.status) for p in passages)
    begin = local_midnight_utc(day, zone)
    end = local_midnight_utc(day + timedelta(days=1), zone)
    inside: set[str] = set()
    times, counts, index = [], [], 0
    moment = begin
    while moment <= end:
        while index < len(changes) and changes[index][0] <= moment:
            _, who, status = changes[index]
            (inside.add if status == "in" else inside.discard)(who)
            index += 1
        times.append(int(moment.timestamp()))
        counts.append(len(inside))
        moment += PRESENCE_STEP
    return {"day": day.isoformat(), "times": times, "inside": counts}


def time_inside(rows: Iterable[AttendanceDay], per: str) -> dict:
    """Hours inside summed per person (per="person") or per day (per="day"), from the attendance rows."""
    totals: dict[str, float] = defaultdict(float)
    for row in rows:
        key = f"{row.name} ({row.staff_id})" if per == "person" else row.day.isoformat()
        totals[key] += row.time_inside.total_seconds() / 3600
    labels = sorted(totals)
    return {"labels": labels, "hours": [round(totals[label], 2) for label in labels]}


def _local_days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def gate_traffic(start: date, end: date, zone: ZoneInfo) -> dict:
    """Passages per gate and local day from the in/out log: {"days": [...], "series": {gate: [count per day]}}."""
    since, until = day_range_utc(start, end, zone)
    rows = db.session.execute(
        select(Gate.name, Log.timestamp).join(Gate, Log.gate_id == Gate.id)
        .where(Log.timestamp >= since, Log.timestamp < until)
    )  # fmt: skip
    return _per_day(((name, when) for name, when in rows), start, end, zone)


def decisions_per_day(start: date, end: date, zone: ZoneInfo) -> dict:
    """Decisions per kind (granted, denied, stranger) and local day, from the decisions' faces (kept for the
    snapshot retention; strangers longer): {"days": [...], "series": {kind: [count per day]}}."""
    since, until = day_range_utc(start, end, zone)
    rows = db.session.execute(
        select(DecisionFace.kind, DecisionFace.captured_at)
        .where(DecisionFace.captured_at >= since, DecisionFace.captured_at < until)
    )  # fmt: skip
    return _per_day(((kind, when) for kind, when in rows), start, end, zone)


def _per_day(items: Iterable[tuple[str, datetime]], start: date, end: date, zone: ZoneInfo) -> dict:
    days = _local_days(start, end)
    counts: dict[str, Counter] = defaultdict(Counter)
    for key, when in items:
        counts[key][when.astimezone(zone).date()] += 1
    series = {key: [counter[day] for day in days] for key, counter in sorted(counts.items())}
    return {"days": [day.isoformat() for day in days], "series": series}

