"""`flask access` and `flask visitors` with bad input: a clear error, a non-zero exit, and nothing half-saved."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import AccessRule, AuditEntry, Group, Holiday, HolidayCalendar, Schedule, ScheduleWindow, Staff


@pytest.fixture()
def run(app, site):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=list(args))

    return invoke


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_window_that_ends_before_it_starts_saves_no_schedule(run, db) -> None:
    before = count(db, Schedule)
    result = run("access", "add-schedule", "Late", "--window", "Mon 09:00-17:00", "--window", "Tue 18:00-08:00")
    assert result.exit_code != 0
    assert "must end after it starts" in result.output
    assert count(db, Schedule) == before and count(db, ScheduleWindow) == 0
    for bad, message in (("Mon 25:00-26:00", "not a time of day"), ("Someday 09:00-10:00", "not a window"),
                         ("Fri-Mon 09:00-10:00", "first day comes after")):  # fmt: skip
        result = run("access", "add-schedule", "Late", "--window", bad)
        assert result.exit_code != 0 and message in result.output, result.output


def test_overlapping_holidays_are_refused(run, db) -> None:
    assert run("access", "add-holiday", "Public", "Christmas", "2026-12-24", "2026-12-26").exit_code == 0
    result = run("access", "add-holiday", "Public", "Boxing week", "2026-12-26", "2026-12-31")
    assert result.exit_code != 0 and "overlaps Christmas (2026-12-24 to 2026-12-26)" in result.output
    result = run("access", "add-holiday", "Other", "Backwards", "2026-12-31", "2026-12-30")
    assert result.exit_code != 0 and "ends (2026-12-30) before it starts (2026-12-31)" in result.output
    assert count(db, Holiday) == 1 and count(db, HolidayCalendar) == 1
    # Another calendar may hold the same days.
    assert run("access", "add-holiday", "Other", "Christmas", "2026-12-24", "2026-12-26").exit_code == 0


def test_an_unknown_gate_group_or_person_is_a_clear_error_and_saves_no_rule(run, db) -> None:
    assert run("access", "add-schedule", "Office hours", "--window", "Mon-Fri 09:00-17:00").exit_code == 0
    assert run("access", "add-group", "Office", "--member", "A1").exit_code == 0
    rules = count(db, AccessRule)
    for args, message in (
        (("--group", "Office", "--gate", "Front", "--gate", "Roof"), "No gate named 'Roof'"),
        (("--group", "Sales", "--gate", "Front"), "No group named 'Sales'"),
        (("--person", "Z9", "--gate", "Front"), "No person with ID 'Z9'"),
        (("--group", "Office", "--person", "A1", "--gate", "Front"), "either a group or one person"),
    ):
        result = run("access", "add-rule", "Office staff", "--schedule", "Office hours", *args)
        assert result.exit_code != 0 and message in result.output, result.output
    result = run("access", "add-rule", "Office staff", "--schedule", "Nights", "--group", "Office", "--gate", "Front")
    assert result.exit_code != 0 and "No schedule named 'Nights'" in result.output
    assert count(db, AccessRule) == rules
    result = run("access", "add-group", "Sales", "--member", "A1", "--member", "Nobody")
    assert result.exit_code != 0 and "No person with ID 'Nobody'" in result.output
    assert db.session.scalar(select(Group).where(Group.name == "Sales")) is None


def test_a_rule_made_in_the_cli_decides_at_the_gate_and_check_says_why(run, db) -> None:
    assert run("access", "add-schedule", "Office hours", "--window", "Mon-Fri 09:00-17:00").exit_code == 0
    assert run("access", "add-group", "Office", "--member", "A1").exit_code == 0
    assert run("access", "add-rule", "Office staff", "--schedule", "Office hours", "--group", "Office",
               "--gate", "Front").exit_code == 0  # fmt: skip
    assert run("access", "check", "A1", "Front", "--at", "2026-11-30T09:00").output.strip() == "allowed by Office staff"
    assert run("access", "check", "A1", "Front", "--at", "2026-11-30T08:59").output.strip() == (
        "denied: outside schedule Office hours"
    )
    assert run("access", "check", "A1", "Back").output.strip() == "denied: not cleared for this gate"
    assert "Office staff: group Office -> Front during Office hours" in run("access", "rules").output
    audited = db.session.execute(select(AuditEntry.action, AuditEntry.target_type, AuditEntry.target_label)
                                 .where(AuditEntry.actor.like("cli%")).order_by(AuditEntry.id)).all()  # fmt: skip
    assert [tuple(row) for row in audited] == [
        ("create", "schedules", "Office hours"),
        ("create", "groups", "Office"),
        ("create", "access_rules", "Office staff"),
    ]
    windows = db.session.scalar(select(AuditEntry).where(AuditEntry.target_type == "schedules")).after_fields()
    assert "Monday 09:00-17:00" in str(windows)


def test_a_pass_that_ends_before_it_starts_or_an_unknown_host_saves_no_visitor(run, db) -> None:
    common = ("--first-name", "Vic", "--last-name", "Tor", "--gate", "Front")
    result = run("visitors", "add", "V1", *common, "--host", "A1", "--from", "2026-12-01T10:00",
                 "--until", "2026-12-01T09:00")  # fmt: skip
    assert result.exit_code != 0 and "ends (2026-12-01 09:00) before it starts (2026-12-01 10:00)" in result.output
    result = run("visitors", "add", "V1", *common, "--host", "Nobody", "--from", "2026-12-01T09:00",
                 "--until", "2026-12-01T17:00")  # fmt: skip
    assert result.exit_code != 0 and "No person with ID 'Nobody'" in result.output
    result = run("visitors", "add", "V1", "--first-name", "Vic", "--last-name", "Tor", "--gate", "Roof",
                 "--host", "A1", "--from", "2026-12-01T09:00", "--until", "2026-12-01T17:00")  # fmt: skip
    assert result.exit_code != 0 and "No gate named 'Roof'" in result.output
    assert db.session.scalar(select(Staff).where(Staff.staff_id == "V1")) is None
    assert count(db, AccessRule) == 1  # B2's clearance only
