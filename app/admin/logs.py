"""The in/out log for admins: view, filter, export as CSV and delete; never create or edit."""

from __future__ import annotations

from flask_admin.contrib.sqla.filters import DateBetweenFilter, FilterEqual, FilterLike

from app.admin.formatting import for_csv, gate_name, local_time, person
from app.admin.security import AdminModelView
from app.models import Log
from app.sitetime import day_range_utc, site_zone


class LocalDateBetweenFilter(DateBetweenFilter):
    """Rows whose timestamp falls on the chosen local days (site time zone), start and end included."""

    def apply(self, query, value, alias=None):
        since, until = day_range_utc(value[0], value[1], site_zone())
        column = self.get_column(alias)
        return query.filter(column >= since, column < until)


class LogAdmin(AdminModelView):
    can_create = False
    can_edit = False
    can_delete = True
    can_export = True
    export_types = ["csv"]
    # No COUNT(*) over the whole log for the pager: with a million rows that count was most of the page's time.
    simple_list_pager = True
    column_list = ["timestamp", "staff", "gate", "status"]
    column_labels = {"timestamp": "Time", "staff": "Person"}
    column_default_sort = ("timestamp", True)
    column_sortable_list = ["timestamp", "status"]
    column_formatters = {"timestamp": local_time("timestamp"), "staff": person, "gate": gate_name}
    column_formatters_export = {"timestamp": local_time("timestamp"), "staff": for_csv(person),
                                "gate": for_csv(gate_name)}
    column_filters = [
        FilterEqual(column="staff.staff_id", name="Staff ID"),
        FilterLike(column="staff.last_name", name="Last name"),
        FilterLike(column="gate.name", name="Gate"),
        LocalDateBetweenFilter(column=Log.timestamp, name="Date"),
        FilterEqual(column=Log.status, name="Status", options=[("in", "in"), ("out", "out")]),
    ]
