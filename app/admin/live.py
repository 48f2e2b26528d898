"""The admin live page: each active gate's camera view, gate status (door, lockdown, hold-open), open door alarms,
the latest gate events and passages with their snapshots, refreshed by the browser; and the door controls (remote
unlock, hold open, lockdown) with a reason."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

import redis
from flask import current_app, flash, jsonify, redirect, request, url_for
from flask_admin import BaseView, expose
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.admin.camera import camera_payload
from app.admin.security import AdminOnly, admin_actor
from app.extensions import db
from app.gates.commands import MAX_HOLD_MINUTES, GateCommandError, find_gate, hold_open, remote_unlock, set_lockdown
from app.gates.doors import open_alarms
from app.gates.stream import recent_events
from app.models import Gate, Log
from app.models.types import utcnow
from app.redis_client import get_redis
from app.sitetime import format_local
from app.snapshots import with_snapshots

log = logging.getLogger(__name__)

LATEST = 30


def _event_time(text: str) -> str:
    try:
        return format_local(datetime.fromisoformat(text))
    except (TypeError, ValueError):
        return str(text)


def _snapshot_url(decision_id: str, kept: set[str]) -> str | None:
    return url_for("snapshots.image", decision_id=decision_id, part="face") if decision_id in kept else None


def _mode_text(gate: Gate) -> str:
    if gate.lockdown:
        return "locked down"
    if gate.is_held_open(utcnow()):
        return f"held open until {format_local(gate.hold_open_until)}"
    return ""


def live_snapshot() -> dict:
    """Gates with online state, the latest stream events (None if Redis is unreachable) and the latest log rows,
    each event and row with its snapshot's URL (None when it has none)."""
    gates = db.session.scalars(select(Gate).order_by(Gate.name)).all()
    gate_names = {gate.id: gate.name for gate in gates}
    logs = db.session.scalars(
        select(Log).options(joinedload(Log.staff), joinedload(Log.gate)).order_by(Log.timestamp.desc()).limit(LATEST)
    ).all()
    try:
        events = [
            {
                "id": str(event.get("id", "")),
                "time": _event_time(event.get("timestamp", "")),
                "gate": gate_names.get(event.get("gate_id"), f"gate {event.get('gate_id')}"),
                "type": event.get("type", "") + (" (not live)" if event.get("liveness") and
                                                  event.get("type") != "spoof" else ""),  # fmt: skip
                "kind": event.get("type", ""),
                "person": event.get("name") or event.get("by") or "",
                "direction": event.get("direction") or "",
                "reason": event.get("reason") or "",
            }
            for event in recent_events(get_redis(current_app.config["REDIS_URL"]), LATEST)
        ]
    except redis.RedisError:
        log.warning("live page: Redis unreachable, showing the log only", exc_info=True)
        events = None
    kept = with_snapshots([row.decision_id for row in logs] + [event["id"] for event in events or []])
    for event in events or []:
        event["snapshot"] = _snapshot_url(event.pop("id"), kept)
    return {
        "gates": [
            {
                "id": gate.id,
                "name": gate.name,
                "active": gate.active,
                "online": gate.is_online(),
                "last_heartbeat": format_local(gate.last_heartbeat_at),
                "door": gate.door_state or "",
                "mode": _mode_text(gate),
            }
            for gate in gates
        ],
        "alarms": [
            {
                "time": format_local(alarm.raised_at),
                "gate": alarm.gate.name,
                "alarm": alarm.label,
                "door": "closed " + format_local(alarm.door_closed_at) if alarm.door_closed_at else "still open",
            }
            for alarm in open_alarms()
        ],
        "events": events,
        "passages": [
            {
                "time": format_local(row.timestamp),
                "gate": row.gate.name,
                "person": f"{row.staff.full_name} ({row.staff.staff_id})",
                "status": row.status,
                "violation": row.violation or "",
                "snapshot": _snapshot_url(row.decision_id, kept),
            }
            for row in logs
        ],
        "generated": format_local(utcnow()),
    }


class LiveView(AdminOnly, BaseView):
    """The page and the JSON its script polls every few seconds."""

    @expose("/")
    def index(self):
        """The live page, filled with a first snapshot, with the door controls."""
        gates = db.session.scalars(select(Gate).where(Gate.active).order_by(Gate.name)).all()
        return self.render("admin/live.html", snapshot=live_snapshot(), gates=gates, command_id=uuid.uuid4().hex,
                           max_hold_minutes=MAX_HOLD_MINUTES)

    @expose("/command", methods=["POST"])
    def command(self):
        """Carry out a door control (unlock, hold open, end hold, lockdown on/off) for a gate, with its reason."""
        form = request.form
        kind, reason, command_id = form.get("command", ""), form.get("reason"), form.get("command_id") or None
        try:
            gate = find_gate(form.get("gate", ""))
            if kind == "unlock":
                result = remote_unlock(gate, admin_actor(), reason, command_id)
            elif kind in ("hold_open", "end_hold"):
                minutes = 0 if kind == "end_hold" else form.get("minutes", type=int)
                if minutes is None:
                    raise GateCommandError("Minutes must be a whole number.")
                result = hold_open(gate, admin_actor(), minutes, reason, command_id)
            elif kind in ("lockdown_on", "lockdown_off"):
                result = set_lockdown(gate, admin_actor(), kind == "lockdown_on", reason, command_id)
            else:
                raise GateCommandError(f"Unknown door control {kind!r}.")
        except GateCommandError as exc:
            flash(str(exc), "error")
            return redirect(url_for(".index"))
        if result.sent:
            flash(f"Gate {gate.name!r}: {result.event.type.replace('_', ' ')} sent.", "success")
        else:
            flash("That command was already sent (the form was submitted twice); nothing more was done.", "info")
        return redirect(url_for(".index"))

    @expose("/data.json")
    def data(self):
        """The current snapshot as JSON, for the page's script."""
        return jsonify(live_snapshot())

    @expose("/camera/<int:gate_id>.json")
    def camera(self, gate_id: int):
        """One gate's camera view as JSON (latest frame, faces, state), polled a few times a second."""
        gate = db.get_or_404(Gate, gate_id)
        try:
            payload = camera_payload(gate, current_app.config["REDIS_URL"])
        except redis.RedisError:
            log.warning("live camera view: Redis unreachable", exc_info=True)
            payload = {"gate": gate.name, "image": None, "faces": [], "message": "Redis is unreachable."}
        response = jsonify(payload)
        response.headers["Cache-Control"] = "no-store"
        return response
