"""The site's time zone: timestamps are stored in UTC and shown, and grouped into days, in this zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app


def site_zone() -> ZoneInfo:
    """The site's time zone, from the TIMEZONE setting."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which day begins in zone."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def day_range_utc(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants [from, until) covering the local days start..end inclusive."""
    return local_midnight_utc(start, zone), local_midnight_utc(end + timedelta(days=1), zone)


def format_local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """moment (aware) as text in the site's time zone; empty for None."""
    return "" if moment is None else moment.astimezone(site_zone()).strftime(fmt)
