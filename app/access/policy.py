"""The access policy as the decision path reads it: loaded from the database into plain data, and kept per
process until the policy's revision changes (any change to groups, memberships, schedules, holidays or rules)."""

from __future__ import annotations

import threading
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.access.rules import AccessPolicy, RuleSpec
from app.access.schedules import HolidaySpec, ScheduleSpec
from app.extensions import db
from app.models import AccessRule, PolicyRevision, Schedule, staff_groups
from app.models.policy_revision import REVISION_ROW

_lock = threading.Lock()
_cached: tuple[tuple[str | None, str], AccessPolicy] | None = None


def _schedule_spec(schedule: Schedule) -> ScheduleSpec:
    windows: dict[int, list[tuple[int, int]]] = {}
    for window in schedule.windows:
        windows.setdefault(window.weekday, []).append((window.start_minute, window.end_minute))
    holidays = ()
    if schedule.calendar is not None:
        holidays = tuple(
            HolidaySpec(h.name, h.first_day, h.last_day, h.follows_schedule_id) for h in schedule.calendar.holidays
        )
    return ScheduleSpec(
        schedule.id, schedule.name, schedule.always, {day: tuple(w) for day, w in windows.items()}, holidays
    )


def load_policy(zone: ZoneInfo) -> AccessPolicy:
    """The whole access policy from the database (enabled rules only)."""
    schedules = db.session.scalars(
        select(Schedule).options(selectinload(Schedule.windows), selectinload(Schedule.calendar))
    ).all()
    rules = db.session.scalars(
        select(AccessRule).where(AccessRule.enabled.is_(True)).options(selectinload(AccessRule.gates))
    ).all()
    memberships = db.session.execute(select(staff_groups.c.staff_id, staff_groups.c.group_id)).all()
    return AccessPolicy.build(
        zone,
        [_schedule_spec(s) for s in schedules],
        [RuleSpec(r.id, r.name, r.schedule_id, frozenset(g.id for g in r.gates), r.group_id, r.staff_id)
         for r in rules],
        [(staff, group) for staff, group in memberships],
    )  # fmt: skip


def revision_column():
    """The policy's revision as a scalar subquery, to read it with a query the caller makes anyway (no extra round
    trip): select(Staff, revision_column())."""
    return select(PolicyRevision.revision).where(PolicyRevision.id == REVISION_ROW).scalar_subquery()


def policy_revision() -> str | None:
    """The policy's current revision (None before any change was recorded)."""
    return db.session.scalar(select(revision_column()))


def current_policy(zone_name: str) -> AccessPolicy:
    """The access policy, from this process's cache while the revision in the database is unchanged."""
    return policy_at(policy_revision(), zone_name)


def policy_at(revision: str | None, zone_name: str) -> AccessPolicy:
    """The access policy of this revision (read just now from the database), from this process's cache unless the
    revision changed since it was loaded."""
    global _cached
    key = (revision, zone_name)
    cached = _cached
    if cached is not None and cached[0] == key:
        return cached[1]
    with _lock:
        policy = load_policy(ZoneInfo(zone_name))
        _cached = (key, policy)
    return policy
