"""`flask access` and `flask visitors`: groups, schedules, holidays, rules, areas and visitors' passes from a
terminal, and why a person would be let in or not."""

from __future__ import annotations

from datetime import UTC, date, datetime

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.access.editing import (
    AccessError,
    change_members,
    create_area,
    create_group,
    create_holiday,
    create_rule,
    create_schedule,
    find_gates,
    find_group,
    find_person,
)
from app.access.passback import reset_passback
from app.access.policy import current_policy
from app.access.rules import PersonPass, check_access
from app.access.visitors import create_visitor, end_pass
from app.audit import cli_actor, record, snapshot, target_of
from app.extensions import db
from app.models import AccessRule, Area
from app.sitetime import site_zone

access_cli = AppGroup("access", help="Groups, schedules, holidays, access rules and anti-passback areas.")
visitors_cli = AppGroup("visitors", help="Visitors and their temporary passes.")


def _fail(exc: Exception) -> click.ClickException:
    db.session.rollback()
    return click.ClickException(str(exc))


def _created(factory, *args):
    """What factory(*args) creates, audited as the terminal user's creation; a clear error (nothing saved) when the
    input is bad."""
    try:
        made = factory(*args)
    except AccessError as exc:
        raise _fail(exc) from exc
    record(cli_actor(), "create", target_of(made), after=snapshot(made))
    return made


def parse_local(text: str) -> datetime:
    """An ISO date-time; without an offset it is the site's local time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} is not a date-time like 2026-12-01T09:00") from exc
    return moment.replace(tzinfo=site_zone()) if moment.tzinfo is None else moment


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} is not a date like 2026-12-24") from exc


@access_cli.command("add-group")
@click.argument("name")
@click.option("--description", default="")
@click.option("--member", "members", multiple=True, help="A staff ID (repeatable).")
def add_group_command(name: str, description: str, members: tuple[str, ...]) -> None:
    """Create a group of people."""
    group = _created(create_group, name, description, members)
    click.echo(f"Group {group.name!r} created with {len(group.members)} member(s).")


@access_cli.command("members")
@click.argument("group")
@click.option("--add", "add", multiple=True, help="A staff ID to add (repeatable).")
@click.option("--remove", "remove", multiple=True, help="A staff ID to remove (repeatable).")
def members_command(group: str, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
    """Add or remove members of a group, and list them."""
    try:
        before = snapshot(find_group(group))
        changed = change_members(group, add, remove)
    except AccessError as exc:
        raise _fail(exc) from exc
    record(cli_actor(), "edit", target_of(changed), before=before, after=snapshot(changed))
    click.echo(f"{changed.name}: " + (", ".join(p.staff_id for p in changed.members) or "no members"))


@access_cli.command("add-schedule")
@click.argument("name")
@click.option("--window", "windows", multiple=True, required=True,
              help="'Mon-Fri 09:00-17:00' in the site's time zone (repeatable).")  # fmt: skip
@click.option("--calendar", help="The holiday calendar the schedule observes.")
def add_schedule_command(name: str, windows: tuple[str, ...], calendar: str | None) -> None:
    """Create a weekly schedule."""
    schedule = _created(create_schedule, name, windows, calendar)
    click.echo(f"Schedule {schedule.name!r}: " + ", ".join(str(w) for w in schedule.windows))


@access_cli.command("add-holiday")
@click.argument("calendar")
@click.argument("name")
@click.argument("first_day")
@click.argument("last_day", required=False)
@click.option("--follows", help="On these days the schedule follows this schedule instead of closing.")
def add_holiday_command(calendar: str, name: str, first_day: str, last_day: str | None, follows: str | None) -> None:
    """Add a holiday (FIRST_DAY to LAST_DAY, local dates) to a calendar, created if new."""
    first, last = _parse_day(first_day), _parse_day(last_day) if last_day else None
    holiday = _created(create_holiday, calendar, name, first, last, follows)
    click.echo(f"Holiday {holiday} added to {holiday.calendar.name!r}.")


@access_cli.command("add-rule")
@click.argument("name")
@click.option("--group", help="The group the rule grants.")
@click.option("--person", help="Or the one person (staff ID) it grants.")
@click.option("--schedule", required=True, help="When: a schedule's name ('Always' for any time).")
@click.option("--gate", "gates", multiple=True, required=True, help="A gate (repeatable).")
def add_rule_command(name: str, group: str | None, person: str | None, schedule: str, gates: tuple[str, ...]) -> None:
    """Create an access rule: a group or a person may pass these gates during a schedule."""
    rule = _created(create_rule, name, schedule, gates, group, person)
    click.echo(f"Rule {rule.name!r} created.")


@access_cli.command("rules")
def list_rules_command() -> None:
    """List the access rules."""
    for rule in db.session.scalars(select(AccessRule).order_by(AccessRule.name)):
        subject = f"group {rule.group.name}" if rule.group else f"person {rule.staff.staff_id}"
        state = "" if rule.enabled else " (disabled)"
        gates = ", ".join(g.name for g in rule.gates)
        click.echo(f"{rule.name}{state}: {subject} -> {gates} during {rule.schedule.name}")


@access_cli.command("check")
@click.argument("person")
@click.argument("gate")
@click.option("--at", "when", help="A date-time (local unless it has an offset); default now.")
def check_command(person: str, gate: str, when: str | None) -> None:
    """Say whether PERSON may pass GATE (now or --at), and if not, why (anti-passback is not considered)."""
    try:
        who, (where,) = find_person(person), find_gates([gate])
    except AccessError as exc:
        raise _fail(exc) from exc
    moment = parse_local(when) if when else datetime.now(UTC)
    policy = current_policy(current_app.config["TIMEZONE"])
    verdict = check_access(policy, PersonPass(who.id, who.valid_from, who.valid_until), where.id, moment)
    click.echo(f"allowed by {verdict.rule}" if verdict.allowed else f"denied: {verdict.reason}")


@access_cli.command("add-area")
@click.argument("name")
@click.option("--anti-passback", "mode", type=click.Choice(["off", "soft", "hard"]), default="hard",
              show_default=True)  # fmt: skip
@click.option("--in-gate", "in_gates", multiple=True, help="A gate that leads into the area (repeatable).")
@click.option("--out-gate", "out_gates", multiple=True, help="A gate that leads out of it (repeatable).")
def add_area_command(name: str, mode: str, in_gates: tuple[str, ...], out_gates: tuple[str, ...]) -> None:
    """Create an anti-passback area from its entry and exit gates."""
    area = _created(create_area, name, mode, in_gates, out_gates)
    click.echo(f"Area {area.name!r} ({area.anti_passback}): in {', '.join(in_gates) or '-'}; "
               f"out {', '.join(out_gates) or '-'}.")  # fmt: skip


@access_cli.command("reset-passback")
@click.argument("person")
@click.option("--area", help="Only this area (default: every area).")
def reset_passback_command(person: str, area: str | None) -> None:
    """Forget which side of the areas PERSON is on, so their next pass either way is allowed."""
    try:
        who = find_person(person)
        area_id = None
        if area is not None:
            area_id = db.session.scalar(select(Area.id).where(Area.name == area))
            if area_id is None:
                raise AccessError(f"No area named {area!r}.")
    except AccessError as exc:
        raise _fail(exc) from exc
    count = reset_passback(who.id, area_id)
    record(cli_actor(), "passback.reset", target_of(who), after={"areas_reset": count, "area": area})
    click.echo(f"Anti-passback state of {who.staff_id} reset in {count} area(s).")


@visitors_cli.command("add")
@click.argument("visitor_id")
@click.option("--first-name", required=True)
@click.option("--last-name", required=True)
@click.option("--host", required=True, help="The staff ID of the member of staff visited.")
@click.option("--gate", "gates", multiple=True, required=True, help="A gate the pass opens (repeatable).")
@click.option("--from", "valid_from", required=True, help="Start of the pass (local date-time unless offset).")
@click.option("--until", "valid_until", required=True, help="End of the pass (local date-time unless offset).")
@click.option("--email")
def add_visitor_command(visitor_id: str, first_name: str, last_name: str, host: str, gates: tuple[str, ...],
                        valid_from: str, valid_until: str, email: str | None) -> None:  # fmt: skip
    """Enrol a visitor with a temporary pass; add their photos with `flask faces import`."""
    starts, ends = parse_local(valid_from), parse_local(valid_until)
    visitor = _created(create_visitor, visitor_id, first_name, last_name, host, list(gates), starts, ends, email)
    click.echo(f"Visitor {visitor.staff_id} ({visitor.full_name}) visiting {visitor.host.staff_id}: pass valid "
               f"{valid_from} to {valid_until}; image folder {visitor.folder}.")  # fmt: skip


@visitors_cli.command("end")
@click.argument("visitor_id")
def end_visitor_command(visitor_id: str) -> None:
    """End a visitor's pass now."""
    try:
        visitor = find_person(visitor_id)
        if not visitor.is_visitor:
            raise AccessError(f"{visitor_id!r} is a member of staff, not a visitor.")
    except AccessError as exc:
        raise _fail(exc) from exc
    before = snapshot(visitor)
    end_pass(visitor, datetime.now(UTC))
    record(cli_actor(), "visitor.end_pass", target_of(visitor), before=before, after=snapshot(visitor))
    click.echo(f"The pass of {visitor.staff_id} has ended.")
