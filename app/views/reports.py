"""The attendance report page and its CSV export: admins see everyone, staff only themselves."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from app.charts import hourly_traffic, presence_over_day, time_inside
from app.error_pages import forbidden_page
from app.extensions import db
from app.models import Staff
from app.reports import AttendanceDay, Passage, attendance, attendance_csv, format_duration, load_passages
from app.sitetime import site_zone

bp = Blueprint("reports", __name__)

MAX_DAYS = 366


def _parse_range(zone: ZoneInfo) -> tuple[date, date, str | None]:
    """The requested local date range (default: the last seven days), and an error message if it was bad."""
    today = datetime.now(zone).date()
    default = (today - timedelta(days=6), today)
    try:
        start = date.fromisoformat(request.args["start"]) if request.args.get("start") else default[0]
        end = date.fromisoformat(request.args["end"]) if request.args.get("end") else default[1]
    except ValueError:
        return *default, "Dates must look like 2024-05-31."
    if end < start:
        return *default, "The end date is before the start date."
    if (end - start).days >= MAX_DAYS:
        return *default, f"Choose at most {MAX_DAYS} days."
    return start, end, None


@bp.route("/reports/attendance")
@login_required
def attendance_report():
    """First in, last out and time inside per person and day, as a page or (format=csv) a CSV file."""
    zone = site_zone()
    start, end, error = _parse_range(zone)
    wanted = (request.args.get("staff") or "").strip()
    if current_user.is_admin:
        staff = db.session.scalar(select(Staff).where(Staff.staff_id == wanted)) if wanted else None
        if wanted and staff is None:
            error = f"No staff member with ID {wanted!r}."
    else:
        staff = current_user.staff
        if staff is None or (wanted and wanted != staff.staff_id):
            return forbidden_page()
    passages = [] if error else load_passages(start, end, zone, staff.id if staff else None)
    rows = attendance(passages, zone, start, end)
    if request.args.get("format") == "csv" and not error:
        name = f"attendance_{start.isoformat()}_{end.isoformat()}.csv"
        return Response(
            attendance_csv(rows),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return render_template(
        "report.html",
        rows=rows,
        start=start,
        end=end,
        staff=staff,
        error=error,
        zone=zone.key,
        format_duration=format_duration,
        today=datetime.now(zone).date(),
        month_start=datetime.now(zone).date().replace(day=1),
        charts=_charts(passages, rows, zone, end, per_person=current_user.is_admin and staff is None),
    ), 400 if error else 200


def _charts(passages: list[Passage], rows: list[AttendanceDay], zone: ZoneInfo, day: date, per_person: bool) -> dict:
    """The attendance charts' numbers: traffic per hour, presence over the last day, time inside per person (or,
    for one person, per day)."""
    inside = time_inside(rows, "person" if per_person else "day")
    title = "Hours inside per person" if per_person else "Hours inside per day"
    return {
        "zone": zone.key,
        "charts": {
            "hourly": {"kind": "hourly", **hourly_traffic(passages, zone)},
            "presence": {"kind": "presence", "label": "People inside" if per_person else "Inside",
                         **presence_over_day(passages, zone, day)},
            "inside": {"kind": "inside", "title": title, **inside},
        },
    }
