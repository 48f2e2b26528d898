"""Who is in now: everyone whose latest passage was "in", per area, with when and through which gate.

It reads the in/out log and nothing else, so it agrees with the log by construction: a person is inside an area
exactly when their latest log row at that area's gates says "in" (a gate of an anti-passback area writes its side,
docs/access.md). Gates that belong to no area form one site-wide area.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.extensions import db
from app.models import Area, Gate, Log, Staff
from app.reports import csv_cell

SITE_AREA = "The site"


@dataclass(frozen=True)
class Passage:
    """One log row as presence needs it: who, where, when (aware UTC), which way."""

    staff_pk: int
    staff_id: str
    name: str
    gate: str
    area: str
    timestamp: datetime
    row_id: int
    status: str


@dataclass(frozen=True)
class Present:
    """A person inside an area: since when and through which gate they came in."""

    area: str
    staff_id: str
    name: str
    since: datetime
    gate: str


def present_from(passages: Iterable[Passage]) -> list[Present]:
    """Everyone whose latest passage in an area (by time, then log row) was "in", sorted by area then name."""
    latest: dict[tuple[int, str], Passage] = {}
    for passage in passages:
        key = (passage.staff_pk, passage.area)
        known = latest.get(key)
        if known is None or (passage.timestamp, passage.row_id) > (known.timestamp, known.row_id):
            latest[key] = passage
    inside = [
        Present(p.area, p.staff_id, p.name, p.timestamp, p.gate) for p in latest.values() if p.status == "in"
    ]
    return sorted(inside, key=lambda p: (p.area, p.name.casefold(), p.staff_id))


def gate_areas() -> Mapping[int, str]:
    """The area each gate belongs to by name; gates of no area belong to the site-wide one."""
    rows = db.session.execute(select(Gate.id, Area.name).outerjoin(Area, Gate.area_id == Area.id))
    return {gate_id: area or SITE_AREA for gate_id, area in rows}


def latest_passages(until: datetime | None = None) -> list[Passage]:
    """Each person's latest log row at each gate (up to `until`, inclusive, if given), with the gate's area.

    The latest row per area is among these, so present_from() gives the same answer as over the whole log while
    reading one row per person and gate (a window function over the (staff, time) index).
    """
    areas = gate_areas()
    ranked = select(
        Log.id, Log.staff_id, Log.gate_id, Log.timestamp, Log.status,
        func.row_number().over(partition_by=(Log.staff_id, Log.gate_id),
                               order_by=(Log.timestamp.desc(), Log.id.desc())).label("rank"),
    )  # fmt: skip
    if until is not None:
        ranked = ranked.where(Log.timestamp <= until)
    latest = ranked.subquery()
    query = (
        select(latest.c.id, latest.c.staff_id, latest.c.timestamp, latest.c.status, Staff.staff_id,
               Staff.first_name, Staff.last_name, Gate.id, Gate.name)
        .join(Staff, latest.c.staff_id == Staff.id)
        .join(Gate, latest.c.gate_id == Gate.id)
        .where(latest.c.rank == 1)
    )  # fmt: skip
    return [
        Passage(staff_pk, staff_id, f"{first} {last}", gate_name, areas.get(gate_id, SITE_AREA), when, row_id, status)
        for row_id, staff_pk, when, status, staff_id, first, last, gate_id, gate_name in db.session.execute(query)
    ]


def who_is_in(until: datetime | None = None) -> list[Present]:
    """Everyone inside now (or at `until`), per area: the latest log row per person and area says "in"."""
    return present_from(latest_passages(until))


def presence_csv(present: Iterable[Present], format_time: Callable[[datetime], str]) -> str:
    """The roll-call list as CSV text: area, staff ID, name, in since (format_time's text), gate."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["area", "staff_id", "name", "in_since", "gate"])
    for p in present:
        writer.writerow([csv_cell(p.area), csv_cell(p.staff_id), csv_cell(p.name), format_time(p.since),
                         csv_cell(p.gate)])  # fmt: skip
    return out.getvalue()
