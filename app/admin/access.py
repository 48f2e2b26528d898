"""Access control for admins: groups, schedules (windows typed as 'Mon-Fri 09:00-17:00'), holiday calendars and
holidays, access rules and anti-passback areas. Every form checks what the CLI checks (app/access/editing.py)."""

from __future__ import annotations

from flask import flash
from flask_admin.actions import action
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import ValidationError

from app.access.editing import AccessError, check_holiday, parse_window
from app.access.passback import reset_passback
from app.admin.security import AdminModelView, admin_actor
from app.audit import record, target_of
from app.extensions import db
from app.models import Gate, Schedule, ScheduleWindow, Staff
from app.models.schedule import WEEKDAYS, format_minute

WINDOWS_HELP = ("One window per line in the site's time zone, e.g. 'Mon-Fri 09:00-17:00' or 'Sat 10:00-14:00'. "
                "A window ends after it starts on the same day (a night shift is 'Mon 22:00-24:00' and "
                "'Tue 00:00-06:00').")  # fmt: skip


def _names(items) -> str:
    return ", ".join(str(item) for item in items) or "none"


def _windows_text(schedule: Schedule) -> str:
    return "\n".join(
        f"{WEEKDAYS[w.weekday][:3]} {format_minute(w.start_minute)}-{format_minute(w.end_minute)}"
        for w in schedule.windows
    )


class GroupAdmin(AdminModelView):
    """Groups of people (departments, teams); access rules grant them gates."""

    column_list = ["name", "description", "members"]
    column_searchable_list = ["name"]
    column_formatters = {"members": lambda v, c, m, n: _names(p.staff_id for p in m.members)}
    form_columns = ["name", "description", "members"]
    form_args = {"members": {"query_factory": lambda: db.session.scalars(select(Staff).order_by(Staff.last_name))}}


class ScheduleAdmin(AdminModelView):
    """Weekly schedules with their holiday calendar; "always" schedules (people's clearances) cannot be edited."""

    column_list = ["name", "windows", "calendar", "always"]
    column_formatters = {"windows": lambda v, c, m, n: "every minute" if m.always else _windows_text(m) or "none",
                         "calendar": lambda v, c, m, n: m.calendar.name if m.calendar else ""}  # fmt: skip
    column_labels = {"calendar": "Holiday calendar", "always": "Always open"}
    form_columns = ["name", "windows_text", "calendar"]
    form_extra_fields = {"windows_text": TextAreaField("Windows", description=WINDOWS_HELP)}
    form_args = {"calendar": {"label": "Holiday calendar", "description": "Closed (or following another "
                                                                         "schedule) on this calendar's holidays."}}

    def on_form_prefill(self, form, id) -> None:
        """Show the schedule's windows as text."""
        form.windows_text.data = _windows_text(self.get_one(id))

    def on_model_change(self, form, model, is_created) -> None:
        """Replace the windows with those typed; refuse bad lines (nothing saved) and edits of an always schedule."""
        if model.always:
            raise ValidationError("The 'always' schedule is open at every minute and has no windows to edit.")
        try:
            spans = [span for line in (form.windows_text.data or "").splitlines() if line.strip()
                     for span in parse_window(line)]  # fmt: skip
        except AccessError as exc:
            raise ValidationError(str(exc)) from exc
        if not spans:
            raise ValidationError("A schedule needs at least one window, e.g. 'Mon-Fri 09:00-17:00'.")
        model.windows = [ScheduleWindow(weekday=d, start_minute=s, end_minute=e) for d, s, e in spans]

    def remove(self, model) -> bool:
        """Delete a schedule no rule uses."""
        if model.always:
            flash("The 'always' schedule holds people's clearances; it cannot be deleted.", "error")
            return False
        return super().remove(model)

    def handle_view_exception(self, exc: Exception) -> bool:
        """A schedule still used by a rule: say so instead of a database error."""
        if "foreign key" in str(exc).lower():
            flash("This schedule is used by an access rule; change or delete the rule first.", "error")
            return True
        return super().handle_view_exception(exc)


class HolidayCalendarAdmin(AdminModelView):
    """Holiday calendars; schedules observe one each."""

    column_list = ["name", "holidays"]
    column_formatters = {"holidays": lambda v, c, m, n: _names(m.holidays)}
    form_columns = ["name"]


class HolidayAdmin(AdminModelView):
    """Holidays: days on which a calendar's schedules are closed, or follow another schedule."""

    column_list = ["calendar", "name", "first_day", "last_day", "follows"]
    column_default_sort = "first_day"
    column_filters = ["calendar.name", "first_day"]
    column_labels = {"follows": "Follows schedule (empty: closed)", "first_day": "First day", "last_day": "Last day"}
    form_columns = ["calendar", "name", "first_day", "last_day", "follows"]

    def on_model_change(self, form, model, is_created) -> None:
        """Refuse days that run backwards or overlap another holiday of the calendar (nothing saved)."""
        if model.calendar is None or model.first_day is None or model.last_day is None:
            raise ValidationError("A holiday needs a calendar, a first day and a last day.")
        with db.session.no_autoflush:
            try:
                check_holiday(model.calendar.id, model.first_day, model.last_day, model.id)
            except AccessError as exc:
                raise ValidationError(str(exc)) from exc


class AccessRuleAdmin(AdminModelView):
    """Access rules: a group, or one person, may pass gates during a schedule."""

    column_list = ["name", "group", "staff", "schedule", "gates", "enabled", "is_clearance"]
    column_labels = {"staff": "Person", "is_clearance": "Personal clearance"}
    column_filters = ["enabled", "is_clearance", "group.name", "schedule.name"]
    column_searchable_list = ["name"]
    column_formatters = {"gates": lambda v, c, m, n: _names(g.name for g in m.gates)}
    form_columns = ["name", "group", "staff", "schedule", "gates", "enabled"]
    form_args = {
        "staff": {"label": "Person", "description": "Either a group or one person."},
        "gates": {"query_factory": lambda: db.session.scalars(select(Gate).order_by(Gate.name))},
    }

    def on_model_change(self, form, model, is_created) -> None:
        """Refuse a rule without exactly one subject, without gates or without a schedule."""
        if (model.group is None) == (model.staff is None):
            raise ValidationError("A rule grants either a group or one person.")
        if not model.gates:
            raise ValidationError("A rule needs at least one gate.")
        if model.schedule is None:
            raise ValidationError("A rule needs a schedule ('Always' for any time).")


class AreaAdmin(AdminModelView):
    """Anti-passback areas; a gate joins an area (as its way in or out) on the gate's own form."""

    column_list = ["name", "anti_passback", "gates"]
    column_formatters = {"gates": lambda v, c, m, n: _names(f"{g.name} ({g.area_side or '?'})" for g in m.gates)}
    column_labels = {"anti_passback": "Anti-passback"}
    column_descriptions = {"anti_passback": "off: tracked only; soft: granted, the log row records the violation; "
                                            "hard: denied."}  # fmt: skip
    form_columns = ["name", "anti_passback"]
    form_choices = {"anti_passback": [("off", "off"), ("soft", "soft"), ("hard", "hard")]}


class PassbackResetMixin:
    """A list action for people's views: reset anti-passback."""

    @action("reset_passback", "Reset anti-passback", "Let the selected people pass either way next time?")
    def reset_passback(self, ids: list[str]) -> None:
        """Forget the selected people's side of every area (their next pass either way is allowed)."""
        for person in db.session.scalars(select(Staff).where(Staff.id.in_([int(i) for i in ids]))):
            areas = reset_passback(person.id)
            record(admin_actor(), "passback.reset", target_of(person), after={"areas_reset": areas})
        flash(f"Anti-passback reset for {len(ids)} person(s).", "info")
