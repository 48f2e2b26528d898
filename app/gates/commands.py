"""Remote door commands from the admin live page and the CLI: unlock once, hold open for a while, lockdown on/off.

Each command changes the gate's row (lockdown, hold_open_until), writes its audit row (with the required reason)
and reaches the gate as an event on its stream, published once under the command's id (app/gates/stream.py): the
same path, and the same exactly-once guarantee, as a face decision. The gate's row and the audit row are committed
only after the event is on the stream, so a command that cannot reach Redis changes nothing; a command sent twice
under one id (a form submitted twice) is sent and audited once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import redis
from flask import current_app
from sqlalchemy import select

from app.audit import record, target_of
from app.extensions import db
from app.gates.announce import announce, gate_event
from app.gates.stream import Event
from app.models import Gate
from app.models.types import utcnow
from app.redis_client import get_redis

MAX_HOLD_MINUTES = 12 * 60
MAX_REASON_CHARS = 500
COMMAND_ID_CHARS = 64


class GateCommandError(ValueError):
    """A command that cannot be carried out (unknown gate, no reason, wrong state...), with a message for people."""


@dataclass(frozen=True)
class CommandResult:
    """The command's event, and whether it was sent now (False: a command with the same id was sent before)."""

    event: Event
    sent: bool


def find_gate(name_or_id: str) -> Gate:
    """The gate with this name (or this id, given as digits); GateCommandError when there is none."""
    text = (name_or_id or "").strip()
    gate = db.session.scalar(select(Gate).where(Gate.name == text))
    if gate is None and text.isdigit() and len(text) < 10:
        gate = db.session.get(Gate, int(text))
    if gate is None:
        raise GateCommandError(f"No gate named {text!r}.")
    return gate


def gate_mode(gate: Gate) -> dict:
    """The gate's remote-command state, as the audit trail records it before and after a command."""
    until = gate.hold_open_until if gate.is_held_open(utcnow()) else None
    return {"lockdown": gate.lockdown, "hold_open_until": until.isoformat() if until else None}


def _check(gate: Gate, reason: str | None, command_id: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise GateCommandError("A reason is required (it is kept in the audit trail).")
    if len(reason) > MAX_REASON_CHARS:
        raise GateCommandError(f"The reason is too long ({len(reason)} characters, at most {MAX_REASON_CHARS}).")
    if command_id is not None and not (0 < len(command_id) <= COMMAND_ID_CHARS and command_id.isalnum()):
        raise GateCommandError("The command id must be 1-64 letters or digits.")
    if not gate.active:
        raise GateCommandError(f"Gate {gate.name!r} is deactivated.")
    return reason


def _send(gate: Gate, kind: str, actor: str, reason: str, command_id: str | None, before: dict,
          until: str | None = None) -> CommandResult:
    """Publish the command's event, then commit the gate's changed row and the audit row (or roll both back)."""
    event = gate_event(gate.id, command_id or uuid.uuid4().hex, kind, utcnow().isoformat(), gate.voice_enabled,
                       reason=reason, by=actor, until=until)
    config = current_app.config
    try:
        sent = announce(get_redis(config["REDIS_URL"]), event, config)
    except redis.RedisError as exc:
        db.session.rollback()
        raise GateCommandError(f"The gate's event stream (Redis) is unreachable, nothing was changed: {exc}") from exc
    if not sent:
        db.session.rollback()
        return CommandResult(event, sent=False)
    record(actor, f"gate.{kind}", target_of(gate), before=before, after=gate_mode(gate), reason=reason)
    return CommandResult(event, sent=True)


def remote_unlock(gate: Gate, actor: str, reason: str | None, command_id: str | None = None) -> CommandResult:
    """Open the door once (for the gate's open time), as a face would; refused during a lockdown."""
    reason = _check(gate, reason, command_id)
    if gate.lockdown:
        raise GateCommandError(f"Gate {gate.name!r} is locked down: release the lockdown first.")
    return _send(gate, "remote_unlock", actor, reason, command_id, gate_mode(gate))


def hold_open(gate: Gate, actor: str, minutes: int, reason: str | None,
              command_id: str | None = None) -> CommandResult:
    """Keep the door open for `minutes` (0: end a hold now); refused during a lockdown."""
    reason = _check(gate, reason, command_id)
    if not 0 <= minutes <= MAX_HOLD_MINUTES:
        raise GateCommandError(f"Minutes must be between 0 (end the hold) and {MAX_HOLD_MINUTES}, got {minutes}.")
    if gate.lockdown:
        raise GateCommandError(f"Gate {gate.name!r} is locked down: release the lockdown first.")
    before, now = gate_mode(gate), utcnow()
    if minutes == 0:
        if not gate.is_held_open(now):
            raise GateCommandError(f"Gate {gate.name!r} is not held open.")
        gate.hold_open_until = None
        return _send(gate, "hold_open_ended", actor, reason, command_id, before)
    gate.hold_open_until = now + timedelta(minutes=minutes)
    return _send(gate, "hold_open", actor, reason, command_id, before, until=gate.hold_open_until.isoformat())


def set_lockdown(gate: Gate, actor: str, on: bool, reason: str | None, command_id: str | None = None) -> CommandResult:
    """Lock the door down (no face and no remote unlock opens it; the exit button still does; a hold ends), or
    release the lockdown."""
    reason = _check(gate, reason, command_id)
    if gate.lockdown == on:
        raise GateCommandError(f"Gate {gate.name!r} is {'already' if on else 'not'} locked down.")
    before = gate_mode(gate)
    gate.lockdown = on
    if on:
        gate.hold_open_until = None
    return _send(gate, "lockdown" if on else "lockdown_released", actor, reason, command_id, before)
