"""The gate endpoint: a gate's Raspberry Pi long-polls its events, reports that it is alive and reports its door."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from app.accounts import gate_for_token
from app.extensions import csrf, db
from app.gates.doors import DoorReportError, parse_report, record_report
from app.gates.stream import CursorError, check_cursor, read_gate_events
from app.models import Gate
from app.models.alarm import ALARM_KINDS
from app.models.types import utcnow
from app.observability.metrics import MetricsBatch
from app.redis_client import get_redis
from app.views.api_input import ApiError, path_id, query_number, query_text
from app.views.token_throttle import presented_bearer_token, record_token_failure

bp = Blueprint("gate_api", __name__, url_prefix="/api/gates")
# Gates authenticate with a bearer token, not a session cookie, so CSRF does not apply.
csrf.exempt(bp)

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="facegate"'}
# A wait above this is a mistake, not a long poll: refused (400) instead of served at FACEGATE_EVENTS_MAX_WAIT_S.
MAX_WAIT_PARAM_S = 3600.0


def authenticated_gate(gate_id: int) -> Gate:
    """The gate whose bearer token came with the request; ApiError unless it is gate_id and active.

    An address that sent too many unknown tokens is refused (429) before its token is looked at.
    """
    path_id(gate_id, "gate id")
    token, address = presented_bearer_token(BEARER_CHALLENGE)
    gate = gate_for_token(token)
    if gate is None:
        record_token_failure(address)
        raise ApiError(401, "unknown gate token", BEARER_CHALLENGE)
    if gate.id != gate_id:
        raise ApiError(403, "this token belongs to another gate")
    if not gate.active:
        raise ApiError(403, "this gate is deactivated")
    return gate


@bp.get("/<int:gate_id>/events")
def events(gate_id: int):
    """The gate's events after ?after=<cursor> ("0" or absent: the whole retained stream), long-polling ?wait=s."""
    authenticated_gate(gate_id)
    # Longer than the server's cap is served at the cap, so a gate configured with a longer wait keeps working.
    wait = min(query_number("wait", 0.0, 0.0, MAX_WAIT_PARAM_S), current_app.config["EVENTS_MAX_WAIT_S"])
    try:
        after = check_cursor(query_text("after"))
    except CursorError as exc:
        raise ApiError(400, f"after: {exc}") from None
    # Blocking must not hold a database connection: hand it back to the pool first.
    db.session.remove()
    found, cursor = read_gate_events(get_redis(current_app.config["REDIS_URL"]), gate_id, after, wait)
    return {"events": found, "cursor": cursor}


@bp.post("/<int:gate_id>/heartbeat")
def heartbeat(gate_id: int):
    """Record that the gate is alive now."""
    gate = authenticated_gate(gate_id)
    gate.last_heartbeat_at = utcnow()
    db.session.commit()
    return {"gate_id": gate.id, "last_heartbeat_at": gate.last_heartbeat_at.isoformat()}


@bp.post("/<int:gate_id>/door")
def door(gate_id: int):
    """The gate's door contact or exit button changed (JSON body, app/gates/doors.py): the door's state now and the
    events this report published (alarms included)."""
    gate = authenticated_gate(gate_id)
    body = request.get_json(silent=True)
    try:
        report = parse_report(body)
    except DoorReportError as exc:
        raise ApiError(400, str(exc)) from None
    published = record_report(get_redis(current_app.config["REDIS_URL"]), gate, report, current_app.config)
    alarms = MetricsBatch()
    for event in published:
        if event.type in ALARM_KINDS:
            alarms.count("door_alarms", (gate.id, event.type))
    alarms.write(get_redis(current_app.config["REDIS_URL"]))
    return {"gate_id": gate.id, "door": gate.door_state, "events": [event.type for event in published]}
