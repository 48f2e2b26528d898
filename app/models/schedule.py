"""Schedules: weekly time windows in the site's time zone, and the holiday calendars that close them or swap them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MINUTES_PER_DAY = 24 * 60


class HolidayCalendar(db.Model):
    """A named set of holidays (e.g. "Public holidays"); schedules that observe it are closed on them."""

    __tablename__ = "holiday_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)

    holidays: Mapped[list[Holiday]] = relationship(
        back_populates="calendar", cascade="all, delete-orphan", order_by="Holiday.first_day"
    )

    def __str__(self) -> str:
        return self.name


class Schedule(db.Model):
    """A weekly set of time windows (local wall-clock time), or "always" (every minute of every day)."""

    __tablename__ = "schedules"
    # The audit trail records a schedule's windows with it.
    audit_also = ("windows",)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    # An "always" schedule ignores windows and holidays: per-person clearances use it.
    always: Mapped[bool] = mapped_column(Boolean, default=False)
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("holiday_calendars.id", ondelete="SET NULL"))

    calendar: Mapped[HolidayCalendar | None] = relationship()
    windows: Mapped[list[ScheduleWindow]] = relationship(
        back_populates="schedule",
        cascade="all, delete-orphan",
        order_by="(ScheduleWindow.weekday, ScheduleWindow.start_minute)",
    )

    def __str__(self) -> str:
        return self.name


class ScheduleWindow(db.Model):
    """One weekly window: weekday (0 Monday .. 6 Sunday), from start_minute up to (not including) end_minute."""

    __tablename__ = "schedule_windows"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint(f"start_minute >= 0 AND end_minute <= {MINUTES_PER_DAY} AND start_minute < end_minute",
                        name="minutes"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    # Minutes after local midnight; end_minute 1440 is the end of the day.
    start_minute: Mapped[int] = mapped_column(SmallInteger)
    end_minute: Mapped[int] = mapped_column(SmallInteger)

    schedule: Mapped[Schedule] = relationship(back_populates="windows")

    @property
    def name(self) -> str:
        """The window as people read it, e.g. "Monday 09:00-17:00"."""
        return f"{WEEKDAYS[self.weekday]} {format_minute(self.start_minute)}-{format_minute(self.end_minute)}"

    def __str__(self) -> str:
        return self.name


class Holiday(db.Model):
    """Days first_day..last_day (inclusive, local dates) on which the calendar's schedules are closed, or follow
    another schedule's windows instead (e.g. "Christmas Eve" follows "Half day")."""

    __tablename__ = "holidays"
    __table_args__ = (CheckConstraint("first_day <= last_day", name="days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("holiday_calendars.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    follows_schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedules.id", ondelete="SET NULL"))

    calendar: Mapped[HolidayCalendar] = relationship(back_populates="holidays")
    follows: Mapped[Schedule | None] = relationship()

    def __str__(self) -> str:
        return f"{self.name} ({self.first_day}..{self.last_day})"


def format_minute(minute: int) -> str:
    """A minute of the day as HH:MM (1440 is 24:00)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"
