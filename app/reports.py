"""The attendance report: per person and local day, first in, last out and time inside; visitors apart from staff."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.extensions import db
from app.models import Log, Staff
from app.sitetime import day_range_utc, local_midnight_utc


@dataclass(frozen=True)
class Passage:
    """One pass through a gate: who, when (aware UTC) and which way."""

    staff_id: str
    name: str
    timestamp: datetime
    status: str
    visitor: bool = False


@dataclass
class AttendanceDay:
    """One person's day in the site's time zone."""

    staff_id: str
    name: str
    day: date
    first_in: datetime | None = None
    last_out: datetime | None = None
    time_inside: timedelta = field(default_factory=timedelta)
    # An "in" on this day that no "out" in the range closes: its time is not counted.
    unclosed: bool = False
    visitor: bool = False


def _split_by_local_day(begin: datetime, end: datetime, zone: ZoneInfo) -> Iterable[tuple[date, timedelta]]:
    """The parts of the stay [begin, end) falling on each local day (arithmetic in UTC, so DST is exact)."""
    cursor = begin.astimezone(UTC)
    end = end.astimezone(UTC)
    while cursor < end:
        day = cursor.astimezone(zone).date()
        part_end = min(end, local_midnight_utc(day + timedelta(days=1), zone))
        yield day, part_end - cursor
        cursor = part_end


def attendance(passages: Iterable[Passage], zone: ZoneInfo, start: date, end: date) -> list[AttendanceDay]:
    """Per person and local day in start..end: first in, last out, and the time between each in and its out; staff
    first, then visitors."""
    by_person: dict[str, list[Passage]] = {}
    for passage in passages:
        by_person.setdefault(passage.staff_id, []).append(passage)
    report: dict[tuple[str, date], AttendanceDay] = {}

    def row(p: Passage, day: date) -> AttendanceDay:
        return report.setdefault((p.staff_id, day), AttendanceDay(p.staff_id, p.name, day, visitor=p.visitor))

    for person_passages in by_person.values():
        opened: Passage | None = None
        for p in sorted(person_passages, key=lambda x: x.timestamp):
            local = p.timestamp.astimezone(zone)
            if start <= local.date() <= end:
                entry = row(p, local.date())
                if p.status == "in" and (entry.first_in is None or local < entry.first_in):
                    entry.first_in = local
                if p.status == "out" and (entry.last_out is None or local > entry.last_out):
                    entry.last_out = local
            if p.status == "in" and opened is None:
                opened = p
            elif p.status == "out" and opened is not None:
                for day, part in _split_by_local_day(opened.timestamp, p.timestamp, zone):
                    if start <= day <= end:
                        row(p, day).time_inside += part
                opened = None
        if opened is not None:
            day = opened.timestamp.astimezone(zone).date()
            if start <= day <= end:
                row(opened, day).unclosed = True
    return sorted(report.values(), key=lambda r: (r.visitor, r.name.lower(), r.staff_id, r.day))


def load_passages(start: date, end: date, zone: ZoneInfo, staff_pk: int | None = None) -> list[Passage]:
    """The log rows of the local days start..end (of one person when staff_pk is given), as passages."""
    since, until = day_range_utc(start, end, zone)
    query = (
        select(Staff.staff_id, Staff.first_name, Staff.last_name, Log.timestamp, Log.status, Staff.kind)
        .join(Staff, Log.staff_id == Staff.id)
        .where(Log.timestamp >= since, Log.timestamp < until)
    )
    if staff_pk is not None:
        query = query.where(Log.staff_id == staff_pk)
    return [
        Passage(staff_id=sid, name=f"{first} {last}", timestamp=ts, status=status, visitor=kind == "visitor")
        for sid, first, last, ts, status, kind in db.session.execute(query)
    ]


def format_duration(span: timedelta) -> str:
    """span as H:MM (hours may exceed 24 for a multi-day total)."""
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def csv_cell(value: str) -> str:
    """value made safe for spreadsheets: text starting like a formula is prefixed with a quote."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def attendance_csv(rows: Iterable[AttendanceDay]) -> str:
    """The report as CSV text: one line per person and day, times in the site's zone."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kind", "staff_id", "name", "date", "first_in", "last_out", "time_inside", "unclosed"])
    for r in rows:
        writer.writerow([
            "visitor" if r.visitor else "staff",
            csv_cell(r.staff_id),
            csv_cell(r.name),
            r.day.isoformat(),
            r.first_in.strftime("%H:%M:%S") if r.first_in else "",
            r.last_out.strftime("%H:%M:%S") if r.last_out else "",
            format_duration(r.time_inside),
            "yes" if r.unclosed else "",
        ])
    return out.getvalue()
