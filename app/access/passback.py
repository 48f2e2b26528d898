"""Anti-passback per area: who entered must be seen leaving before entering again (and the reverse).

The person's side of each area (AreaPresence) changes with each granted pass through one of the area's gates, in
the same transaction as the in/out log row, so the log and the state agree. Modes: off (tracked, never checked),
soft (granted, the log row records the violation), hard (denied).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, select

from app.extensions import db
from app.models import Area, AreaPresence, Gate

ANTI_PASSBACK = "anti-passback"


@dataclass(frozen=True)
class GateWay:
    """Where a gate leads: its area and side ("in" or "out"), None for a gate in no area. Plain values, read from the
    gate before the log writer's fresh transaction, so the check costs no reload of the gate."""

    gate_id: int
    area_id: int | None = None
    side: str | None = None

    @classmethod
    def of(cls, gate: Gate) -> GateWay:
        """The way of gate (None area and side unless it belongs to an area with a side)."""
        if gate.area_id is None or gate.area_side is None:
            return cls(gate.id)
        return cls(gate.id, gate.area_id, gate.area_side)


@dataclass(frozen=True)
class PassbackCheck:
    """What a pass through a gate would do to its area: the side it leads to (None: no area), whether it breaks
    anti-passback, and whether that denies it (hard mode)."""

    side: str | None = None
    violation: bool = False
    deny: bool = False


def check_passback(staff_pk: int, way: GateWay) -> PassbackCheck:
    """Whether staff_pk passing the gate now breaks its area's anti-passback (call under the person's row lock)."""
    if way.area_id is None:
        return PassbackCheck()
    # One round trip: the area's mode and the person's side of it (None: unknown).
    mode, current = db.session.execute(
        select(Area.anti_passback, AreaPresence.side)
        .outerjoin(AreaPresence, and_(AreaPresence.area_id == Area.id, AreaPresence.staff_id == staff_pk))
        .where(Area.id == way.area_id)
    ).one()
    violation = mode != "off" and current == way.side
    return PassbackCheck(way.side, violation, violation and mode == "hard")


def record_passage(staff_pk: int, way: GateWay, when: datetime) -> None:
    """Put staff_pk on the side of the area the gate leads to (uncommitted; the caller commits with the log row)."""
    if way.area_id is None:
        return
    presence = db.session.get(AreaPresence, (way.area_id, staff_pk))
    if presence is None:
        presence = AreaPresence(area_id=way.area_id, staff_id=staff_pk)
        db.session.add(presence)
    presence.side, presence.gate_id, presence.since = way.side, way.gate_id, when


def reset_passback(staff_pk: int, area_id: int | None = None) -> int:
    """Forget staff_pk's side of one area (or of every area), so their next pass either way is allowed; committed.
    How many areas were reset."""
    statement = delete(AreaPresence).where(AreaPresence.staff_id == staff_pk)
    if area_id is not None:
        statement = statement.where(AreaPresence.area_id == area_id)
    count = db.session.execute(statement).rowcount
    db.session.commit()
    return count
