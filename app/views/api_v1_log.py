"""The scripts' JSON API, continued: the in/out log (filters, cursor paging), attendance, the OpenAPI description."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Gate, Log, Staff
from app.reports import attendance, load_passages
from app.sitetime import site_zone
from app.views.api_auth import token_required
from app.views.api_fields import iso, page_params, query_date, query_time
from app.views.api_input import ApiError, query_number, query_text
from app.views.api_v1 import bp
from app.views.openapi import openapi_document

MAX_ATTENDANCE_DAYS = 366


@bp.get("/logs")
@token_required("read")
def list_logs():
    """In/out log rows, oldest first, a page at a time (?after=<cursor>&limit=), filtered by ?staff_id=, ?gate_id=,
    ?status=in|out, ?since= and ?until= (ISO 8601 times)."""
    after, limit = page_params()
    query = (
        select(Log, Staff.staff_id, Staff.first_name, Staff.last_name, Gate.name)
        .join(Staff, Log.staff_id == Staff.id)
        .join(Gate, Log.gate_id == Gate.id)
        .where(Log.id > after)
        .order_by(Log.id)
        .limit(limit)
    )
    staff_id = query_text("staff_id")
    if staff_id:
        query = query.where(Staff.staff_id == staff_id)
    gate_id = int(query_number("gate_id", 0, 1, 2**31 - 1))
    if gate_id:
        query = query.where(Log.gate_id == gate_id)
    status = query_text("status")
    if status is not None:
        if status not in ("in", "out"):
            raise ApiError(400, f"status must be in or out, got {status!r}")
        query = query.where(Log.status == status)
    since, until = query_time("since"), query_time("until")
    if since:
        query = query.where(Log.timestamp >= since)
    if until:
        query = query.where(Log.timestamp < until)
    rows = db.session.execute(query).all()
    items = [
        {"id": log.id, "staff_id": sid, "name": f"{first} {last}", "gate_id": log.gate_id, "gate": gate,
         "status": log.status, "timestamp": iso(log.timestamp), "violation": log.violation}
        for log, sid, first, last, gate in rows
    ]  # fmt: skip
    return {"items": items, "next": rows[-1][0].id if len(rows) == limit else None}


@bp.get("/attendance")
@token_required("read")
def read_attendance():
    """First in, last out and time inside per person and local day, ?start= to ?end= (default: the last 7 days),
    of one person with ?staff_id=."""
    zone = site_zone()
    today = datetime.now(zone).date()
    start = query_date("start", today - timedelta(days=6))
    end = query_date("end", today)
    if end < start:
        raise ApiError(400, "end is before start")
    if (end - start).days >= MAX_ATTENDANCE_DAYS:
        raise ApiError(400, f"at most {MAX_ATTENDANCE_DAYS} days at a time")
    staff_pk = None
    staff_id = query_text("staff_id")
    if staff_id:
        staff = db.session.scalar(select(Staff).where(Staff.staff_id == staff_id))
        if staff is None:
            raise ApiError(404, f"no person with staff id {staff_id!r}")
        staff_pk = staff.id
    days = attendance(load_passages(start, end, zone, staff_pk), zone, start, end)
    items = [
        {"staff_id": day.staff_id, "name": day.name, "day": day.day.isoformat(), "first_in": iso(day.first_in),
         "last_out": iso(day.last_out), "seconds_inside": int(day.time_inside.total_seconds()),
         "unclosed": day.unclosed, "visitor": day.visitor}
        for day in days
    ]  # fmt: skip
    return {"start": start.isoformat(), "end": end.isoformat(), "time_zone": str(zone), "items": items}


@bp.get("/openapi.json")
def openapi():
    """The API's OpenAPI 3.1 description (no token needed)."""
    return openapi_document()
