"""Schedules on the real MariaDB, at their edges: a window's first and last minute, midnight, holidays, a time-zone
change day; and why a denial happened."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.access.editing import change_members, create_group, create_holiday, create_rule, create_schedule
from app.models import AccessRule, Log

BERLIN = ZoneInfo("Europe/Berlin")


def at(zone: ZoneInfo, *fields: int) -> datetime:
    """The instant of a local wall-clock time in zone."""
    return datetime(*fields, tzinfo=zone)


@pytest.fixture()
def office_hours(site, site_zone):
    """Group Office (A1) may pass Front Mon-Fri 09:00-17:00 Berlin time; Christmas (24-26 Dec 2026) closed."""
    site_zone("Europe/Berlin")
    create_group("Office", members=["A1"])
    create_schedule("Office hours", ["Mon-Fri 09:00-17:00"], calendar="Holidays")
    create_holiday("Holidays", "Christmas", date(2026, 12, 24), date(2026, 12, 26))
    create_rule("Office staff", "Office hours", ["Front"], group="Office")
    return site


def test_a_window_opens_at_its_first_minute_and_closes_after_its_last(office_hours) -> None:
    # Monday 2026-11-30.
    assert office_hours.verdict("A1", "Front", at(BERLIN, 2026, 11, 30, 8, 59, 59)) == (
        "denied", "outside schedule Office hours"
    )
    assert office_hours.verdict("A1", "Front", at(BERLIN, 2026, 11, 30, 9, 0)) == ("granted", None)
    assert office_hours.verdict("A1", "Front", at(BERLIN, 2026, 11, 30, 16, 59, 59)) == ("granted", None)
    assert office_hours.verdict("A1", "Front", at(BERLIN, 2026, 11, 30, 17, 0)) == (
        "denied", "outside schedule Office hours"
    )


def test_the_weekend_and_other_gates_are_closed_with_their_own_reasons(office_hours) -> None:
    assert office_hours.verdict("A1", "Front", at(BERLIN, 2026, 12, 5, 10, 0)) == (
        "denied", "outside schedule Office hours"
    )
    assert office_hours.verdict("A1", "Back", at(BERLIN, 2026, 12, 1, 10, 0)) == (
        "denied", "not cleared for this gate"
    )


def test_a_holiday_closes_the_schedule_from_its_first_local_midnight_to_its_last(office_hours) -> None:
    # Wednesday 23 Dec is a working day up to 17:00; 24-26 Dec (Thursday-Saturday) are a holiday.
    assert office_hours.verdict("A1", "Front", at(BERLIN, 2026, 12, 23, 16, 59)) == ("granted", None)
    assert office_hours.verdict("A1", "Front", at(BERLIN, 2026, 12, 24, 9, 0)) == ("denied", "holiday Christmas")
    assert office_hours.verdict("A1", "Front", at(BERLIN, 2026, 12, 25, 12, 0)) == ("denied", "holiday Christmas")
    # Monday 28 Dec: open again.
    assert office_hours.verdict("A1", "Front", at(BERLIN, 2026, 12, 28, 9, 0)) == ("granted", None)


def test_a_holiday_can_follow_another_schedule(office_hours) -> None:
    create_schedule("Half day", ["Mon-Fri 09:00-12:00"])
    create_holiday("Holidays", "New Year's Eve", date(2026, 12, 31), follows="Half day")
    assert office_hours.verdict("A1", "Front", at(BERLIN, 2026, 12, 31, 11, 59)) == ("granted", None)
    assert office_hours.verdict("A1", "Front", at(BERLIN, 2026, 12, 31, 12, 0)) == (
        "denied", "holiday New Year's Eve"
    )


def test_midnight_belongs_to_the_day_it_starts(site, site_zone) -> None:
    site_zone("Europe/Berlin")
    create_group("Night", members=["A1"])
    create_schedule("Night shift", ["Mon 22:00-24:00", "Tue 00:00-06:00"])
    create_rule("Night shift", "Night shift", ["Front"], group="Night")
    assert site.verdict("A1", "Front", at(BERLIN, 2026, 11, 30, 21, 59)) == ("denied", "outside schedule Night shift")
    assert site.verdict("A1", "Front", at(BERLIN, 2026, 11, 30, 23, 59, 59)) == ("granted", None)
    assert site.verdict("A1", "Front", at(BERLIN, 2026, 12, 1, 0, 0)) == ("granted", None)
    assert site.verdict("A1", "Front", at(BERLIN, 2026, 12, 1, 5, 59)) == ("granted", None)
    assert site.verdict("A1", "Front", at(BERLIN, 2026, 12, 1, 6, 0)) == ("denied", "outside schedule Night shift")
    # Tuesday night is not Monday night.
    assert site.verdict("A1", "Front", at(BERLIN, 2026, 12, 1, 23, 0)) == ("denied", "outside schedule Night shift")


def test_windows_follow_the_local_clock_across_a_time_zone_change(site, site_zone) -> None:
    """On 29 March 2026 Berlin moves from UTC+1 to UTC+2: 09:00 local is 08:00 UTC that day, 08:00 UTC the day
    before was 09:00 local too, and 07:30 UTC on the change day is 09:30 local."""
    site_zone("Europe/Berlin")
    create_group("Weekend", members=["A1"])
    create_schedule("Sunday mornings", ["Sun 09:00-12:00", "Sat 09:00-12:00"])
    create_rule("Weekend duty", "Sunday mornings", ["Front"], group="Weekend")
    # Sunday 29 March (the change day): 07:00 UTC is 09:00 CEST; 06:59 UTC is 08:59 CEST.
    assert site.verdict("A1", "Front", datetime(2026, 3, 29, 6, 59, tzinfo=UTC))[0] == "denied"
    assert site.verdict("A1", "Front", datetime(2026, 3, 29, 7, 0, tzinfo=UTC)) == ("granted", None)
    assert site.verdict("A1", "Front", datetime(2026, 3, 29, 9, 59, tzinfo=UTC)) == ("granted", None)
    assert site.verdict("A1", "Front", datetime(2026, 3, 29, 10, 0, tzinfo=UTC))[0] == "denied"
    # Saturday 28 March (still CET, UTC+1): 08:00 UTC is 09:00 local.
    assert site.verdict("A1", "Front", datetime(2026, 3, 28, 7, 59, tzinfo=UTC))[0] == "denied"
    assert site.verdict("A1", "Front", datetime(2026, 3, 28, 8, 0, tzinfo=UTC)) == ("granted", None)


def test_a_personal_clearance_is_an_always_rule_and_any_open_rule_grants(office_hours) -> None:
    # B2 is cleared for Back at any hour, on holidays too.
    assert office_hours.verdict("B2", "Back", at(BERLIN, 2026, 12, 25, 3, 0)) == ("granted", None)
    # A1 gets a personal rule for Front on Saturdays: the group's rule is closed, this one is open.
    create_schedule("Saturday", ["Sat 08:00-13:00"])
    create_rule("Ada on Saturdays", "Saturday", ["Front"], person="A1")
    assert office_hours.verdict("A1", "Front", at(BERLIN, 2026, 12, 5, 10, 0)) == ("granted", None)


def test_a_denial_writes_no_log_row_and_a_grant_alternates_in_and_out(office_hours, db) -> None:
    office_hours.verdict("A1", "Front", at(BERLIN, 2026, 11, 30, 8, 0))
    first = office_hours.decide("A1", "Front", at(BERLIN, 2026, 11, 30, 9, 0))
    second = office_hours.decide("A1", "Front", at(BERLIN, 2026, 11, 30, 12, 0))
    assert (first.direction, second.direction) == ("in", "out")
    assert db.session.query(Log).count() == 2


def test_a_change_to_the_policy_takes_effect_at_the_next_decision(office_hours) -> None:
    when = at(BERLIN, 2026, 12, 5, 10, 0)
    assert office_hours.verdict("A1", "Front", when)[0] == "denied"
    create_rule("Ada always", "Always", ["Front"], person="A1")
    assert office_hours.verdict("A1", "Front", when) == ("granted", None)


def test_leaving_a_group_or_disabling_a_rule_takes_effect_at_the_next_decision(office_hours, db) -> None:
    when = at(BERLIN, 2026, 11, 30, 10, 0)
    assert office_hours.verdict("A1", "Front", when) == ("granted", None)
    change_members("Office", remove=["A1"])
    assert office_hours.verdict("A1", "Front", when) == ("denied", "not cleared for this gate")
    change_members("Office", add=["A1"])
    rule = db.session.scalar(select(AccessRule).where(AccessRule.name == "Office staff"))
    rule.enabled = False
    db.session.commit()
    assert office_hours.verdict("A1", "Front", when) == ("denied", "not cleared for this gate")
