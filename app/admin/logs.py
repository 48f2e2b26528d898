"""The in/out log for admins: view, filter, export as CSV and delete with a reason (audited); never create or edit.

The list pages by seek (keyset), not by page number. Rows are ordered by a sort key that ends in (timestamp, id),
and a page is the page_size rows just after (or before) the key of the boundary row of the page the admin came from,
so every page, the last included, reads about page_size index entries. OFFSET read and threw away every earlier row
(1.3 s for page 500 of 1,000,000 rows, docs/operations.md).

It uses Flask-Admin's documented extension points only: sort keys of several columns (column_sortable_list and
column_default_sort), the public get_list (with execute=False for the filtered, unexecuted query) and the list
template's list_pager block. tests/web/test_admin_extension_points.py fails loudly if one of them changes.
"""

from __future__ import annotations

import hashlib
import operator
from datetime import UTC, datetime, timedelta

from flask import abort, g, request
from flask_admin import expose
from flask_admin.contrib.sqla import tools
from flask_admin.contrib.sqla.filters import DateBetweenFilter, FilterEqual, FilterLike
from flask_admin.helpers import get_redirect_target
from flask_admin.model.template import BaseListRowAction, DeleteRowAction
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from app.access.passback import ANTI_PASSBACK
from app.admin.formatting import for_csv, gate_name, local_time, person, snapshot_thumbnail
from app.admin.security import AdminModelView
from app.extensions import db
from app.models import Gate, Log, Staff
from app.models.log import DIRECTIONS
from app.sitetime import day_range_utc, site_zone
from app.snapshots import with_snapshots

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TIME_KEY = (Log.timestamp, Log.id)
# The order behind each sortable column: the column, then timestamp and id, so equal values keep one order.
SORT_KEYS = {"timestamp": TIME_KEY, "status": (Log.status, *TIME_KEY)}
DEFAULT_SORT = ("timestamp", True)  # newest first


def _micros(value: datetime) -> str:
    return str((value - EPOCH) // timedelta(microseconds=1))


def _from_micros(text: str) -> datetime:
    return EPOCH + timedelta(microseconds=int(text))


def _direction(text: str) -> str:
    if text not in DIRECTIONS:
        raise ValueError(f"not a direction: {text!r}")
    return text


# How a cursor spells each key column's value, and how it is read back (ValueError or OverflowError if malformed).
CODECS = {"timestamp": (_micros, _from_micros), "status": (str, _direction), "id": (str, int)}


class LocalDateBetweenFilter(DateBetweenFilter):
    """Rows whose timestamp falls on the chosen local days (site time zone), start and end included."""

    def apply(self, query, value, alias=None):
        since, until = day_range_utc(value[0], value[1], site_zone())
        column = self.get_column(alias)
        return query.filter(column >= since, column < until)


def _among(column: InstrumentedAttribute, ids: list[int]):
    """column IN ids, one id spelt `column >= id AND column <= id`: for `column = id` MariaDB chose to read the whole
    (person, time) or (gate, time) index group from its newest row down to the cursor instead of seeking to it (at
    1,000,000 rows a gate with a fifth of them read 100,000 rows for one page)."""
    if len(ids) == 1:
        return and_(column >= ids[0], column <= ids[0])
    return column.in_(ids)


class _ByRelatedIds:
    """A filter on a person's or gate's column: the matching ids are looked up first and the log is filtered on its
    own key column; joined to the small table, MariaDB read and sorted every matching log row for each page (2.8 s
    at 1,000,000 rows for a gate name matching every gate)."""

    def __init__(self, key: InstrumentedAttribute, text: InstrumentedAttribute, name: str) -> None:
        super().__init__(column=key, name=name)
        self.text = text

    def apply(self, query, value, alias=None):
        """query limited to the rows whose person (or gate) matches value."""
        owner = self.text.class_
        ids = db.session.scalars(select(owner.id).where(self.matches(value))).all()
        return query.filter(_among(self.get_column(alias), ids))


class RelatedEqual(_ByRelatedIds, FilterEqual):
    """Rows whose person (or gate) has text equal to the value."""

    def matches(self, value: str):
        """The condition on the person's (or gate's) column."""
        return self.text == value


class RelatedContains(_ByRelatedIds, FilterLike):
    """Rows whose person (or gate) has text containing the value (Flask-Admin's ^ and = prefixes work)."""

    def matches(self, value: str):
        """The condition on the person's (or gate's) column."""
        return self.text.ilike(tools.parse_like_term(value))


class LogPage(list):
    """One page of log rows, the cursors of the pages before and after it (None: there is none) and the listing."""

    def __init__(self, rows: list[Log], previous: str | None, following: str | None, listing: str) -> None:
        super().__init__(rows)
        self.previous, self.next, self.listing = previous, following, listing


def _ordering(key: tuple, descending: bool) -> list:
    return [column.desc() if descending else column.asc() for column in key]


def _seek(query, column: str, descending: bool, values: tuple | None, limit: int) -> list[Log]:
    """Up to limit rows of query after values (None: from the start) in the order of column's sort key.

    In time order the condition is spelt out, `t < x OR (t = x AND id < y)`: MariaDB seeks an index for that but not
    for the row comparison `(t, id) < (x, y)`. In direction order the rows of each direction follow in turn, each a
    seek in time order (both directions are about half the log: a person's rows alternate), so no index on status is
    needed; with one (status, timestamp) index MariaDB read a direction's rows from its newest instead of seeking.
    """
    if column == "timestamp":
        if values is not None:
            past = operator.lt if descending else operator.gt
            timestamp, row_id = values
            query = query.filter(
                or_(past(Log.timestamp, timestamp), and_(Log.timestamp == timestamp, past(Log.id, row_id)))
            )
        return query.order_by(None).order_by(*_ordering(TIME_KEY, descending)).limit(limit).all()
    statuses = list(reversed(DIRECTIONS) if descending else DIRECTIONS)  # DIRECTIONS is in the ENUM's order
    if values is not None:
        statuses = statuses[statuses.index(values[0]) :]
    rows: list[Log] = []
    for status in statuses:
        after = values[1:] if values is not None and status == values[0] else None
        rows += _seek(query.filter(Log.status == status), "timestamp", descending, after, limit - len(rows))
        if len(rows) == limit:
            break
    return rows


def _listing(column: str, descending: bool, search: str | None, filters) -> str:
    """A short fingerprint of the sort, search and filters a cursor belongs to."""
    return hashlib.sha256(repr((column, descending, search, filters)).encode()).hexdigest()[:8]


def cursor_text(listing: str, key: tuple, values: tuple) -> str:
    """The after= or before= value for the row whose sort key (SORT_KEYS) has values, in the listing."""
    return ".".join([listing, *(CODECS[column.key][0](value) for column, value in zip(key, values, strict=True))])


def _read_cursor(listing: str, key: tuple) -> tuple[bool, tuple | None]:
    """(backwards, key values) from the request's after= or before= cursor; `before=<listing>` alone is the last
    page. A cursor of another listing (the admin changed the sort, search or filters) or a malformed one: the first
    page."""
    for backwards, name in ((False, "after"), (True, "before")):
        parts = request.args.get(name, "").split(".")
        if parts[0] != listing:
            continue
        if len(parts) == 1:
            return backwards, None
        try:
            return backwards, tuple(CODECS[c.key][1](text) for c, text in zip(key, parts[1:], strict=True))
        except (ValueError, OverflowError):
            break
    return False, None


class DeleteWithReasonRowAction(BaseListRowAction):
    """A row's delete button that leads to the confirmation page asking for a reason, coming back to this page."""

    icon_class = "fa fa-trash"

    def render(self, context, row_id: str, row: Log):
        """The link to the row's confirmation page, carrying the list's current URL."""
        url = context.resolve("get_url")(".delete_with_reason", id=row_id, url=context.resolve("return_url"))
        return context.resolve("row_actions").link(self, url)


class LogAdmin(AdminModelView):
    can_create = False
    can_edit = False
    can_delete = True
    # A row is deleted one at a time from its confirmation page, with a reason that goes into the audit trail.
    delete_needs_reason = True
    action_disallowed_list = ["delete"]
    can_export = True
    export_types = ["csv"]
    # No COUNT(*) over the whole log, and no page numbers: the list pages by seek (get_list, admin/log_list.html).
    simple_list_pager = True
    list_template = "admin/log_list.html"
    # Snapshot last: the sort links name columns by position (sort=3 is the direction), so existing URLs keep working.
    column_list = ["timestamp", "staff", "gate", "status", "decision_id", "violation"]
    column_export_list = ["timestamp", "staff", "gate", "status", "violation"]
    column_labels = {"decision_id": "Snapshot", "timestamp": "Time", "staff": "Person", "violation": "Violation"}
    # Flask-Admin orders by every column of a sort key, each in the list's direction (also for the CSV export).
    column_default_sort = [(column.key, DEFAULT_SORT[1]) for column in SORT_KEYS[DEFAULT_SORT[0]]]
    column_sortable_list = list(SORT_KEYS.items())
    column_formatters = {
        "decision_id": snapshot_thumbnail, "timestamp": local_time("timestamp"), "staff": person, "gate": gate_name,
    }  # fmt: skip
    column_formatters_export = {
        "timestamp": local_time("timestamp"),
        "staff": for_csv(person),
        "gate": for_csv(gate_name),
    }
    # Their positions are in the filter URLs (flt0_2=... is the gate): add new filters at the end.
    column_filters = [
        RelatedEqual(Log.staff_id, Staff.staff_id, "Staff ID"),
        RelatedContains(Log.staff_id, Staff.last_name, "Last name"),
        RelatedContains(Log.gate_id, Gate.name, "Gate"),
        LocalDateBetweenFilter(column=Log.timestamp, name="Date"),
        FilterEqual(column=Log.status, name="Status", options=[("in", "in"), ("out", "out")]),
        FilterEqual(column=Log.violation, name="Violation", options=[(ANTI_PASSBACK, ANTI_PASSBACK)]),
    ]

    def _sort(self, sort_column: str | None, sort_desc: bool) -> tuple[str, bool]:
        """The sort column and whether descending; the default sort for no (or an unsortable) column."""
        if sort_column in SORT_KEYS:
            return sort_column, bool(sort_desc)
        return DEFAULT_SORT

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """For the list page: one page by seek from the URL's cursor (page numbers are ignored), as a LogPage.
        Elsewhere (the CSV export): Flask-Admin's own, in the same order."""
        if request.endpoint != f"{self.endpoint}.index_view" or not execute:
            return super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)
        column, descending = self._sort(sort_column, sort_desc)
        key, listing = SORT_KEYS[column], _listing(column, descending, search, filters)
        backwards, values = _read_cursor(listing, key)
        count, query = super().get_list(None, sort_column, sort_desc, search, filters, execute=False, page_size=0)
        size = page_size or self.page_size
        rows = _seek(query, column, descending != backwards, values, size + 1)
        more, rows = len(rows) > size, rows[:size]
        g.snapshots = with_snapshots(row.decision_id for row in rows)  # read by snapshot_thumbnail
        if backwards:
            rows.reverse()
        first = tuple(getattr(rows[0], c.key) for c in key) if rows else values
        last = tuple(getattr(rows[-1], c.key) for c in key) if rows else values
        has_previous, has_next = (more, values is not None) if backwards else (values is not None, more)
        previous = cursor_text(listing, key, first) if has_previous else None
        following = cursor_text(listing, key, last) if has_next else None
        return count, LogPage(rows, previous, following, listing)

    def page_url(self, **cursor: str) -> str:
        """This list with the request's sort, search, filters and page size, at cursor's page (none: the first)."""
        args = {name: value for name, value in request.args.items() if name not in ("page", "after", "before")}
        return self.get_url(".index_view", **args, **cursor)

    def get_list_row_actions(self) -> list:
        """The row's delete button leads to the confirmation page that asks for a reason."""
        actions = [a for a in super().get_list_row_actions() if not isinstance(a, DeleteRowAction)]
        return [*actions, DeleteWithReasonRowAction(title="Delete (asks for a reason)")]

    @expose("/delete-with-reason/")
    def delete_with_reason(self):
        """The confirmation page of a row's deletion: the row, and a required reason; it posts to delete_view."""
        row = db.session.get(Log, request.args.get("id", type=int) or 0)
        if row is None:
            abort(404)
        return_url = get_redirect_target() or self.get_url(".index_view")
        return self.render("admin/log_delete.html", row=row, return_url=return_url)
