"""Turn a decision into what the gate is told and, for cleared staff, one in/out Log row (written at most once)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from app.extensions import db
from app.gates.decide import GateDecision
from app.gates.stream import Event
from app.models import Gate, Log, Staff


def next_direction(staff_pk: int) -> str:
    """The status of a person's next log row: the opposite of their latest one; the first ever is "in"."""
    latest = db.session.scalar(
        select(Log.status).where(Log.staff_id == staff_pk).order_by(Log.timestamp.desc(), Log.id.desc()).limit(1)
    )
    return "out" if latest == "in" else "in"


def write_log_once(decision: GateDecision, staff: Staff, gate: Gate) -> Log:
    """The Log row of decision, written now unless it exists (Log.decision_id is unique); committed."""
    # A fresh transaction, then lock the person's row: every read below sees what other workers committed, and two
    # deliveries for the same person (a retried decision, or two gates at once) run one after the other.
    staff_pk, gate_pk = staff.id, gate.id
    db.session.rollback()
    db.session.execute(select(Staff.id).where(Staff.id == staff_pk).with_for_update())
    row = db.session.scalar(select(Log).where(Log.decision_id == decision.id))
    if row is None:
        row = Log(
            staff_id=staff_pk,
            gate_id=gate_pk,
            timestamp=datetime.fromtimestamp(decision.captured_at, UTC),
            status=next_direction(staff_pk),
            decision_id=decision.id,
        )
        db.session.add(row)
    db.session.commit()
    return row


def record_decision(decision: GateDecision) -> Event | None:
    """The event for decision, writing its Log row first when the person is cleared; None if the gate is gone."""
    gate = db.session.get(Gate, decision.gate_id)
    if gate is None:
        return None
    staff = None
    if decision.identity is not None:
        staff = db.session.scalar(select(Staff).where(Staff.staff_id == decision.identity))
    timestamp = datetime.fromtimestamp(decision.captured_at, UTC).isoformat()
    if staff is None:
        # A stranger, or someone the model still knows but who has since been removed from the staff.
        return Event(decision.id, "stranger", gate.id, None, None, None, None, timestamp, gate.voice_enabled)
    if not staff.is_cleared_for(gate):
        return Event(
            decision.id,
            "denied",
            gate.id,
            staff.staff_id,
            staff.full_name,
            staff.first_name,
            None,
            timestamp,
            gate.voice_enabled,
        )
    row = write_log_once(decision, staff, gate)
    return Event(
        decision.id,
        "granted",
        gate.id,
        staff.staff_id,
        staff.full_name,
        staff.first_name,
        row.status,
        row.timestamp.isoformat(),
        gate.voice_enabled,
    )
