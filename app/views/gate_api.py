"""The gate endpoint: a gate's Raspberry Pi long-polls its events and reports that it is alive."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from app.accounts import gate_for_token
from app.extensions import csrf, db
from app.gates.stream import CursorError, read_gate_events
from app.models import Gate
from app.models.types import utcnow
from app.redis_client import get_redis

bp = Blueprint("gate_api", __name__, url_prefix="/api/gates")
# Gates authenticate with a bearer token, not a session cookie, so CSRF does not apply.
csrf.exempt(bp)


class GateRequestError(Exception):
    """A request the gate endpoint refuses: its HTTP status and a message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@bp.errorhandler(GateRequestError)
def _refuse(error: GateRequestError):
    response = jsonify({"error": str(error)})
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="facegate"'
    return response


def authenticated_gate(gate_id: int) -> Gate:
    """The gate whose bearer token came with the request; GateRequestError unless it is gate_id and active."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise GateRequestError(401, "missing bearer token")
    gate = gate_for_token(token)
    if gate is None:
        raise GateRequestError(401, "unknown gate token")
    if gate.id != gate_id:
        raise GateRequestError(403, "this token belongs to another gate")
    if not gate.active:
        raise GateRequestError(403, "this gate is deactivated")
    return gate


def _wait_seconds() -> float:
    raw = request.args.get("wait", "0")
    try:
        wait = float(raw)
    except ValueError:
        raise GateRequestError(400, f"wait must be a number of seconds, got {raw!r}") from None
    return min(max(wait, 0.0), current_app.config["EVENTS_MAX_WAIT_S"])


@bp.get("/<int:gate_id>/events")
def events(gate_id: int):
    """The gate's events after ?after=<cursor> ("0" or absent: the whole retained stream), long-polling ?wait=s."""
    authenticated_gate(gate_id)
    wait = _wait_seconds()
    # Blocking must not hold a database connection: hand it back to the pool first.
    db.session.remove()
    try:
        found, cursor = read_gate_events(
            get_redis(current_app.config["REDIS_URL"]), gate_id, request.args.get("after"), wait
        )
    except CursorError as exc:
        raise GateRequestError(400, str(exc)) from None
    return {"events": found, "cursor": cursor}


@bp.post("/<int:gate_id>/heartbeat")
def heartbeat(gate_id: int):
    """Record that the gate is alive now."""
    gate = authenticated_gate(gate_id)
    gate.last_heartbeat_at = utcnow()
    db.session.commit()
    return {"gate_id": gate.id, "last_heartbeat_at": gate.last_heartbeat_at.isoformat()}
