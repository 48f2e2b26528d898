"""Creating and checking groups, schedules, holidays, rules and areas, shared by the CLI and the admin views.

Each function checks everything first and changes nothing on bad input (an AccessError with a message for
people); what it creates is committed in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import AccessRule, Area, Gate, Group, Holiday, HolidayCalendar, Schedule, ScheduleWindow, Staff
from app.models.area import PASSBACK_MODES
from app.models.schedule import MINUTES_PER_DAY, WEEKDAYS

DAY_NAMES = {name[:3].lower(): number for number, name in enumerate(WEEKDAYS)}
WINDOW_PATTERN = re.compile(r"^\s*(\w{3})(?:\s*-\s*(\w{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class AccessError(ValueError):
    """A change to the access policy that cannot be made, with a message for people."""


def parse_minute(hours: str, minutes: str, text: str) -> int:
    """HH and MM of a time of day as minutes after midnight (24:00 is 1440); AccessError when not a time."""
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > MINUTES_PER_DAY:
        raise AccessError(f"{text!r}: {hours}:{minutes} is not a time of day (00:00 to 24:00).")
    return value


def check_window(weekday: int, start_minute: int, end_minute: int) -> None:
    """AccessError unless the window is one weekday's span that ends after it starts."""
    if not 0 <= weekday <= 6:
        raise AccessError(f"Weekday {weekday} is not 0 (Monday) to 6 (Sunday).")
    if not 0 <= start_minute < end_minute <= MINUTES_PER_DAY:
        raise AccessError(
            "A window must end after it starts, on the same day (split a night shift into two windows: "
            "22:00-24:00 and 00:00-06:00 the next day)."
        )


def parse_window(text: str) -> list[tuple[int, int, int]]:
    """'Mon-Fri 09:00-17:30' (or 'Sat 10:00-14:00') as (weekday, start_minute, end_minute) per day."""
    match = WINDOW_PATTERN.match(text)
    if not match:
        raise AccessError(f"{text!r} is not a window like 'Mon-Fri 09:00-17:30'.")
    first, last = (match.group(i).lower() if match.group(i) else None for i in (1, 2))
    if first not in DAY_NAMES or (last is not None and last not in DAY_NAMES):
        raise AccessError(f"{text!r}: days are Mon, Tue, Wed, Thu, Fri, Sat, Sun.")
    start = parse_minute(match.group(3), match.group(4), text)
    end = parse_minute(match.group(5), match.group(6), text)
    days = range(DAY_NAMES[first], DAY_NAMES[last or first] + 1)
    if not days:
        raise AccessError(f"{text!r}: the first day comes after the last one.")
    for day in days:
        try:
            check_window(day, start, end)
        except AccessError as exc:
            raise AccessError(f"{text!r}: {exc}") from exc
    return [(day, start, end) for day in days]


def _one(model, name: str, what: str):
    found = db.session.scalar(select(model).where(model.name == name))
    if found is None:
        raise AccessError(f"No {what} named {name!r}.")
    return found


def find_gates(names: Iterable[str]) -> list[Gate]:
    """The gates with these names; AccessError naming the first unknown one."""
    return [_one(Gate, name, "gate") for name in names]


def find_person(staff_id: str) -> Staff:
    """The person (staff member or visitor) with this ID; AccessError when unknown."""
    person = db.session.scalar(select(Staff).where(Staff.staff_id == staff_id))
    if person is None:
        raise AccessError(f"No person with ID {staff_id!r}.")
    return person


def find_group(name: str) -> Group:
    """The group with this name; AccessError when unknown."""
    return _one(Group, name, "group")


def _check_new_name(model, name: str, what: str) -> str:
    name = name.strip()
    if not name or len(name) > 64:
        raise AccessError(f"A {what} needs a name of 1 to 64 characters.")
    if db.session.scalar(select(model.id).where(model.name == name)) is not None:
        raise AccessError(f"A {what} named {name!r} already exists.")
    return name


def create_group(name: str, description: str = "", members: Iterable[str] = ()) -> Group:
    """A new group with these members (staff IDs); committed."""
    name = _check_new_name(Group, name, "group")
    people = [find_person(staff_id) for staff_id in members]
    group = Group(name=name, description=description.strip(), members=people)
    db.session.add(group)
    db.session.commit()
    return group


def change_members(group_name: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> Group:
    """Add and remove members (staff IDs) of a group; committed."""
    group = find_group(group_name)
    adding, removing = [find_person(s) for s in add], [find_person(s) for s in remove]
    for person in adding:
        if person not in group.members:
            group.members.append(person)
    for person in removing:
        if person in group.members:
            group.members.remove(person)
    db.session.commit()
    return group


def create_schedule(name: str, windows: Iterable[str], calendar: str | None = None) -> Schedule:
    """A new schedule with these windows ('Mon-Fri 09:00-17:00', ...) observing a holiday calendar (created if
    new); committed."""
    name = _check_new_name(Schedule, name, "schedule")
    spans = [span for text in windows for span in parse_window(text)]
    if not spans:
        raise AccessError("A schedule needs at least one window, e.g. 'Mon-Fri 09:00-17:00'.")
    observed = get_or_create_calendar(calendar) if calendar else None
    schedule = Schedule(name=name, calendar=observed)
    schedule.windows = [ScheduleWindow(weekday=d, start_minute=s, end_minute=e) for d, s, e in spans]
    db.session.add(schedule)
    db.session.commit()
    return schedule


def get_or_create_calendar(name: str) -> HolidayCalendar:
    """The holiday calendar with this name, created (uncommitted) when new."""
    calendar = db.session.scalar(select(HolidayCalendar).where(HolidayCalendar.name == name.strip()))
    if calendar is None:
        calendar = HolidayCalendar(name=_check_new_name(HolidayCalendar, name, "holiday calendar"))
        db.session.add(calendar)
    return calendar


def check_holiday(calendar_id: int | None, first_day: date, last_day: date, holiday_id: int | None = None) -> None:
    """AccessError if the days run backwards or overlap another holiday of the same calendar."""
    if last_day < first_day:
        raise AccessError(f"The holiday ends ({last_day}) before it starts ({first_day}).")
    if calendar_id is None:
        return
    clash = db.session.scalar(
        select(Holiday).where(
            Holiday.calendar_id == calendar_id,
            Holiday.first_day <= last_day,
            Holiday.last_day >= first_day,
            Holiday.id != (holiday_id or 0),
        )
    )
    if clash is not None:
        raise AccessError(f"The holiday overlaps {clash.name} ({clash.first_day} to {clash.last_day}).")


def create_holiday(calendar: str, name: str, first_day: date, last_day: date | None = None,
                   follows: str | None = None) -> Holiday:  # fmt: skip
    """A holiday in a calendar (created if new): closed, or following another schedule; committed."""
    name, last_day = name.strip(), last_day or first_day
    if not name or len(name) > 64:
        raise AccessError("A holiday needs a name of 1 to 64 characters.")
    followed = _one(Schedule, follows, "schedule") if follows else None
    with db.session.no_autoflush:
        owner = get_or_create_calendar(calendar)
        check_holiday(owner.id, first_day, last_day)
    holiday = Holiday(calendar=owner, name=name, first_day=first_day, last_day=last_day, follows=followed)
    db.session.add(holiday)
    db.session.commit()
    return holiday


def create_rule(name: str, schedule: str, gates: Iterable[str], group: str | None = None,
                person: str | None = None) -> AccessRule:  # fmt: skip
    """A rule granting a group or one person (exactly one) the gates during a schedule; committed."""
    name = name.strip()
    if not name or len(name) > 128:
        raise AccessError("A rule needs a name of 1 to 128 characters.")
    if (group is None) == (person is None):
        raise AccessError("A rule grants either a group or one person.")
    subject = {"group": find_group(group)} if group else {"staff": find_person(person)}
    gate_rows = find_gates(gates)
    if not gate_rows:
        raise AccessError("A rule needs at least one gate.")
    rule = AccessRule(name=name, schedule=_one(Schedule, schedule, "schedule"), gates=gate_rows, **subject)
    db.session.add(rule)
    db.session.commit()
    return rule


def create_area(name: str, mode: str, in_gates: Iterable[str], out_gates: Iterable[str]) -> Area:
    """An anti-passback area with its entry and exit gates (each gate in at most one area); committed."""
    name = _check_new_name(Area, name, "area")
    if mode not in PASSBACK_MODES:
        raise AccessError(f"Anti-passback mode {mode!r} is not one of {', '.join(PASSBACK_MODES)}.")
    entries, exits = find_gates(in_gates), find_gates(out_gates)
    for gate in entries + exits:
        if gate.area_id is not None:
            raise AccessError(f"Gate {gate.name!r} already belongs to another area.")
    if {g.id for g in entries} & {g.id for g in exits}:
        raise AccessError("A gate cannot be both an entry and an exit of the area.")
    area = Area(name=name, anti_passback=mode)
    db.session.add(area)
    for gate, side in [(g, "in") for g in entries] + [(g, "out") for g in exits]:
        gate.area, gate.area_side = area, side
    db.session.commit()
    return area
