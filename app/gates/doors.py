"""A gate's door contact and exit button, as its Raspberry Pi reports them (POST /api/gates/<id>/door).

The gate reports `open` when its contact opens (and again every few seconds while the door stays open), `closed`
when it closes, and `exit` for a press of the request-to-exit button; times are the gate's clock. The server keeps
the door's state on the gate's row, puts door_opened / door_closed / exit_pressed events on the gate's stream, and
raises the alarms:

- door forced open: the door opened while the gate's relay was not energised (no face, exit press or remote
  command had released it) and no remote hold-open was on;
- door held open: an opening lasted longer than the gate's held_open_limit_s (outside a remote hold-open).

An alarm is one Alarm row per kind and opening (however often the gate repeats its report) and one event on the
gate's stream under the alarm's id (the gate blinks and speaks a warning, the live page shows it; the door endpoint
counts it in the `facegate_door_alarms_total` metric). Event ids are derived from the report's content, so a
repeated or retried report publishes nothing twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.audit import record, target_of
from app.extensions import db
from app.gates.announce import announce, gate_event
from app.gates.stream import Event
from app.models import Alarm, Gate
from app.models.alarm import FORCED_OPEN, HELD_OPEN
from app.models.types import utcnow

logger = logging.getLogger(__name__)

REPORT_KINDS = ("open", "closed", "exit")
REPORT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# A report stamped further ahead of the server's clock than this is refused: the gate's clock is wrong.
MAX_CLOCK_AHEAD = timedelta(minutes=5)
ALARM_TEXT = {FORCED_OPEN: "door forced open", HELD_OPEN: "door held open"}


class DoorReportError(ValueError):
    """A door report that is malformed, with a message for the gate's log."""


@dataclass(frozen=True)
class DoorReport:
    """One report of a gate's door: its id, kind (open, closed, exit), time, the opening's start and, for an
    opening, whether the relay was energised when the door opened."""

    id: str
    kind: str
    at: datetime
    opened_at: datetime | None = None
    relay: bool | None = None


def _time(body: Mapping, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(str(body[name]))
    except KeyError:
        raise DoorReportError(f"{name} is required") from None
    except ValueError:
        raise DoorReportError(f"{name} must be an ISO time with its UTC offset, got {body[name]!r}") from None
    if value.tzinfo is None:
        raise DoorReportError(f"{name} must have a UTC offset, got {body[name]!r}")
    if value > utcnow() + MAX_CLOCK_AHEAD:
        raise DoorReportError(f"{name} is in the future ({body[name]}): check the gate's clock (NTP)")
    return value


def parse_report(body: object) -> DoorReport:
    """The DoorReport in a request's JSON body; DoorReportError saying what is wrong."""
    if not isinstance(body, Mapping):
        raise DoorReportError("the body must be a JSON object")
    report_id, kind = body.get("id"), body.get("event")
    if not isinstance(report_id, str) or not REPORT_ID.fullmatch(report_id):
        raise DoorReportError("id must be 1-64 letters, digits, '-' or '_'")
    if kind not in REPORT_KINDS:
        raise DoorReportError(f"event must be one of {', '.join(REPORT_KINDS)}, got {kind!r}")
    at = _time(body, "at")
    if kind != "open":
        return DoorReport(report_id, kind, at)
    opened_at = _time(body, "opened_at")
    if opened_at > at:
        raise DoorReportError("opened_at must not be after at")
    if not isinstance(body.get("relay"), bool):
        raise DoorReportError("relay (whether the relay was energised when the door opened) must be true or false")
    return DoorReport(report_id, kind, at, opened_at, body["relay"])


def _micros(value: datetime) -> int:
    return int(value.timestamp() * 1_000_000)


def _door_event(gate: Gate, event_id: str, kind: str, at: datetime, reason: str | None = None) -> Event:
    return gate_event(gate.id, event_id, kind, at.isoformat(), gate.voice_enabled, reason=reason)


def record_report(client: redis.Redis, gate: Gate, report: DoorReport, config: Mapping) -> list[Event]:
    """Apply a gate's door report: state, events, alarms; the events published now (none for a repeat)."""
    if report.kind == "exit":
        event = _door_event(gate, f"exit-{gate.id}-{report.id}", "exit_pressed", report.at)
        return [event] if announce(client, event, config) else []
    if report.kind == "closed":
        return _closed(client, gate, report.at, config)
    return _opened(client, gate, report, config)


def _closed(client: redis.Redis, gate: Gate, at: datetime, config: Mapping) -> list[Event]:
    if gate.door_changed_at is not None and at < gate.door_changed_at:
        return []  # a late report of an earlier closing: the door has changed since
    if gate.door_state != "closed":
        gate.door_state, gate.door_changed_at = "closed", at
        db.session.execute(
            update(Alarm).where(Alarm.gate_id == gate.id, Alarm.door_closed_at.is_(None)).values(door_closed_at=at)
        )
        db.session.commit()
        logger.info("gate %s: door closed", gate.name)
    event = _door_event(gate, f"door-{gate.id}-closed-{_micros(at)}", "door_closed", at)
    return [event] if announce(client, event, config) else []


def _opened(client: redis.Redis, gate: Gate, report: DoorReport, config: Mapping) -> list[Event]:
    opened_at = report.opened_at
    if gate.door_state == "closed" and gate.door_changed_at is not None and opened_at < gate.door_changed_at:
        return []  # a late report of an opening that has ended
    if gate.door_state != "open" or gate.door_opened_at != opened_at:
        gate.door_state, gate.door_opened_at, gate.door_changed_at = "open", opened_at, opened_at
        db.session.commit()
        logger.info("gate %s: door opened (%s)", gate.name, "released by the gate" if report.relay else "not released")
    published = []
    event = _door_event(gate, f"door-{gate.id}-opened-{_micros(opened_at)}", "door_opened", opened_at)
    if announce(client, event, config):
        published.append(event)
    if not report.relay and not gate.is_held_open(opened_at):
        published += _raise(client, gate, FORCED_OPEN, opened_at, config)
    held_for = (report.at - opened_at).total_seconds()
    if held_for >= gate.held_open_limit_s and not gate.is_held_open(report.at):
        published += _raise(client, gate, HELD_OPEN, opened_at, config)
    return published


def _raise(client: redis.Redis, gate: Gate, kind: str, opened_at: datetime, config: Mapping) -> list[Event]:
    """The alarm of kind for this opening (created once), announced once; its event if announced now."""
    query = select(Alarm).where(Alarm.gate_id == gate.id, Alarm.kind == kind, Alarm.opened_at == opened_at)
    alarm = db.session.scalar(query)
    if alarm is None:
        try:
            alarm = Alarm(gate_id=gate.id, kind=kind, opened_at=opened_at)
            db.session.add(alarm)
            db.session.commit()
        except IntegrityError:  # the same report, handled at the same time by another request
            db.session.rollback()
            alarm = db.session.scalar(query)
    text = ALARM_TEXT[kind]
    if kind == HELD_OPEN:
        text = f"{text} longer than {gate.held_open_limit_s} s"
    event = _door_event(gate, alarm.event_id, kind, alarm.raised_at, reason=text)
    if not announce(client, event, config):
        return []
    logger.warning("gate %s: ALARM %s", gate.name, text)
    return [event]


def open_alarms(limit: int = 50) -> list[Alarm]:
    """Alarms nobody has acknowledged yet, newest first."""
    query = select(Alarm).where(Alarm.acknowledged_at.is_(None)).order_by(Alarm.raised_at.desc()).limit(limit)
    return list(db.session.scalars(query))


def acknowledge_alarms(client: redis.Redis, ids: list[int], actor: str, note: str | None, config: Mapping) -> int:
    """Acknowledge the unacknowledged alarms among ids (audited; an alarm_acknowledged event on the gate's stream
    tells the live page and the integrations); how many were acknowledged."""
    alarms = db.session.scalars(select(Alarm).where(Alarm.id.in_(ids), Alarm.acknowledged_at.is_(None))).all()
    for alarm in alarms:
        before = {"acknowledged_at": None}
        alarm.acknowledged_at, alarm.acknowledged_by = utcnow(), actor
        alarm.note = (note or "").strip() or None
        after = {"acknowledged_at": alarm.acknowledged_at.isoformat(), "kind": alarm.kind,
                 "opened_at": alarm.opened_at.isoformat(), "gate": alarm.gate.name}
        record(actor, "alarm.acknowledge", target_of(alarm), before=before, after=after, reason=alarm.note)
        event = _door_event(alarm.gate, f"ack-{alarm.event_id}", "alarm_acknowledged", alarm.acknowledged_at,
                            reason=f"{ALARM_TEXT[alarm.kind]} acknowledged by {actor}")
        try:
            announce(client, event, config)
        except redis.RedisError:
            logger.warning("alarm %s acknowledged, but its event could not be published", alarm.id, exc_info=True)
    return len(alarms)

