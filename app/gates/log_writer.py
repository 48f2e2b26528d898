"""Turn a decision into what the gate is told: the access rules and anti-passback decide; a granted pass writes one
in/out Log row (at most once), and every denial says why."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select

from app.access.passback import ANTI_PASSBACK, GateWay, check_passback, record_passage
from app.access.policy import policy_at, revision_column
from app.access.rules import PersonPass, check_access
from app.extensions import db
from app.gates.decide import GateDecision
from app.gates.liveness import SPOOF, refuses, warns
from app.gates.stream import Event
from app.models import Gate, Log, Staff

logger = logging.getLogger(__name__)
LOCKED_DOWN = "gate locked down"


def next_direction(staff_pk: int) -> str:
    """The status of a person's next log row: the opposite of their latest one; the first ever is "in"."""
    latest = db.session.scalar(
        select(Log.status).where(Log.staff_id == staff_pk).order_by(Log.timestamp.desc(), Log.id.desc()).limit(1)
    )
    return "out" if latest == "in" else "in"


def write_log_once(decision: GateDecision, staff: Staff, gate: Gate) -> Log | None:
    """The Log row of decision, written now unless it exists (Log.decision_id is unique); committed.

    None when the gate's area denies the pass (anti-passback, hard mode). A pass through an area's gate goes the
    gate's way ("in" or "out") and moves the person to that side of the area in the same transaction.
    """
    # A fresh transaction, then lock the person's row: every read below sees what other workers committed, and two
    # deliveries for the same person (a retried decision, or two gates at once) run one after the other.
    staff_pk, way = staff.id, GateWay.of(gate)
    db.session.rollback()
    db.session.execute(select(Staff.id).where(Staff.id == staff_pk).with_for_update())
    row = db.session.scalar(select(Log).where(Log.decision_id == decision.id))
    if row is None:
        passback = check_passback(staff_pk, way)
        if passback.deny:
            db.session.commit()
            return None
        timestamp = datetime.fromtimestamp(decision.captured_at, UTC)
        row = Log(
            staff_id=staff_pk,
            gate_id=way.gate_id,
            timestamp=timestamp,
            status=passback.side or next_direction(staff_pk),
            decision_id=decision.id,
            violation=ANTI_PASSBACK if passback.violation else None,
        )
        db.session.add(row)
        record_passage(staff_pk, way, timestamp)
    db.session.commit()
    return row


def _event(
    decision: GateDecision, kind: str, gate: Gate, staff: Staff | None, direction: str | None = None,
    timestamp: str | None = None, reason: str | None = None, liveness: str | None = None,
) -> Event:
    return Event(
        id=decision.id,
        type=kind,
        gate_id=gate.id,
        staff_id=staff.staff_id if staff else None,
        name=staff.full_name if staff else None,
        first_name=staff.first_name if staff else None,
        direction=direction,
        timestamp=timestamp or datetime.fromtimestamp(decision.captured_at, UTC).isoformat(),
        voice=gate.voice_enabled,
        reason=reason,
        liveness=liveness,
    )


def record_decision(decision: GateDecision) -> Event | None:
    """The event for decision, writing its Log row first when the person is granted; None if the gate is gone.

    A person whose track was not live is a spoof at a gate enforcing liveness (no Log row; the event names the
    person the face resembled); at a gate in warn mode the decision stands and its event says it was not live.
    """
    gate = db.session.get(Gate, decision.gate_id)
    if gate is None:
        return None
    staff, revision = None, None
    if decision.identity is not None:
        # The person and the access policy's revision in one query: the rules cost no extra round trip.
        found = db.session.execute(select(Staff, revision_column()).where(Staff.staff_id == decision.identity)).first()
        staff, revision = found if found is not None else (None, None)
    if staff is None:
        # A stranger, or someone the model still knows but who has since been removed from the staff.
        return _event(decision, "stranger", gate, None)
    if gate.lockdown:
        # No face opens a locked-down door (app/gates/commands.py); its exit button still does, at the door.
        logger.info("gate %s denied %s: %s", gate.name, staff.staff_id, LOCKED_DOWN)
        return _event(decision, "denied", gate, staff, reason=LOCKED_DOWN)
    if refuses(gate.liveness, decision.liveness):
        logger.info("gate %s refused a face resembling %s: not live (%s)", gate.name, staff.staff_id,
                    decision.liveness_score)  # fmt: skip
        return _event(decision, SPOOF, gate, staff, liveness=SPOOF)
    warned = SPOOF if warns(gate.liveness, decision.liveness) else None
    when = datetime.fromtimestamp(decision.captured_at, UTC)
    person = PersonPass(staff.id, staff.valid_from, staff.valid_until)
    verdict = check_access(policy_at(revision, current_app.config["TIMEZONE"]), person, gate.id, when)
    if not verdict.allowed:
        logger.info("gate %s denied %s: %s", gate.name, staff.staff_id, verdict.reason)
        return _event(decision, "denied", gate, staff, reason=verdict.reason, liveness=warned)
    row = write_log_once(decision, staff, gate)
    if row is None:
        logger.info("gate %s denied %s: %s", gate.name, staff.staff_id, ANTI_PASSBACK)
        return _event(decision, "denied", gate, staff, reason=ANTI_PASSBACK, liveness=warned)
    if row.violation:
        logger.warning("gate %s granted %s despite %s (soft mode)", gate.name, staff.staff_id, row.violation)
    return _event(decision, "granted", gate, staff, direction=row.status, timestamp=row.timestamp.isoformat(),
                  reason=row.violation, liveness=warned)  # fmt: skip
