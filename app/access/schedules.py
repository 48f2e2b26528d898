"""Whether a schedule is open at an instant: weekly windows in the site's local time, holidays closing or swapping
them. Plain data in, plain data out (no database), so the decision path evaluates it from a cached policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class HolidaySpec:
    """Local days first_day..last_day on which the schedule is closed, or follows another schedule's windows."""

    name: str
    first_day: date
    last_day: date
    follows: int | None = None


@dataclass(frozen=True)
class ScheduleSpec:
    """A schedule: always open, or open in windows[weekday] = ((start_minute, end_minute), ...) except holidays."""

    id: int
    name: str
    always: bool = False
    windows: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    holidays: tuple[HolidaySpec, ...] = ()

    def open_on(self, weekday: int, minute: int) -> bool:
        """Whether one of the weekday's windows holds minute (start included, end excluded)."""
        return self.always or any(start <= minute < end for start, end in self.windows.get(weekday, ()))

    def holiday_on(self, day: date) -> HolidaySpec | None:
        """The holiday covering the local day, if any."""
        return next((h for h in self.holidays if h.first_day <= day <= h.last_day), None)


def local_minute(when: datetime, zone: ZoneInfo) -> tuple[date, int, int]:
    """The local day, weekday (0 Monday) and minute of the day of an aware instant in zone."""
    local = when.astimezone(zone)
    return local.date(), local.weekday(), local.hour * 60 + local.minute


def closed_reason(
    schedule: ScheduleSpec, when: datetime, zone: ZoneInfo, schedules: dict[int, ScheduleSpec]
) -> str | None:
    """None when schedule is open at when; else why not: "holiday <name>" or "outside schedule <name>".

    On a holiday that follows another schedule, that schedule's weekly windows apply (not its own holidays).
    """
    if schedule.always:
        return None
    day, weekday, minute = local_minute(when, zone)
    holiday = schedule.holiday_on(day)
    if holiday is not None:
        follows = schedules.get(holiday.follows) if holiday.follows is not None else None
        return None if follows is not None and follows.open_on(weekday, minute) else f"holiday {holiday.name}"
    return None if schedule.open_on(weekday, minute) else f"outside schedule {schedule.name}"
