"""The admin live page: gate status and the latest gate events and passages, refreshed by the browser."""

from __future__ import annotations

import logging
from datetime import datetime

import redis
from flask import current_app, jsonify, url_for
from flask_admin import BaseView, expose
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.admin.security import AdminOnly
from app.extensions import db
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
                "type": event.get("type", ""),
                "person": event.get("name") or "",
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
                "name": gate.name,
                "active": gate.active,
                "online": gate.is_online(),
                "last_heartbeat": format_local(gate.last_heartbeat_at),
            }
            for gate in gates
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
        """The live page, filled with a first snapshot."""
        return self.render("admin/live.html", snapshot=live_snapshot())

    @expose("/data.json")
    def data(self):
        """The current snapshot as JSON, for the page's script."""
        return jsonify(live_snapshot())
