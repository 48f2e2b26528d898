"""The audit trail for admins: list, filter, details and CSV export; nobody can create, edit or delete a row."""

from __future__ import annotations

import json

from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from markupsafe import Markup

from app.admin.formatting import for_csv, local_time
from app.admin.logs import LocalDateBetweenFilter
from app.admin.readonly import ReadOnlyAdmin
from app.audit import changed_fields
from app.models.audit import AuditEntry


def changes_text(view, context, model: AuditEntry, name) -> str:
    """What an edit changed ('field: before -> after; ...'); empty for other actions."""
    if model.before is None or model.after is None:
        return ""
    return "; ".join(f"{key}: {old!r} -> {new!r}" for key, (old, new) in changed_fields(model).items())


def _fields_block(attribute: str):
    def formatter(view, context, model: AuditEntry, name) -> Markup:
        text = getattr(model, attribute)
        if text is None:
            return Markup("")
        pretty = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        return Markup("<pre class='mb-0'>{}</pre>").format(pretty)

    return formatter


def _text(view, context, model: AuditEntry, name) -> str:
    return getattr(model, name) or ""


def _target(view, context, model: AuditEntry, name) -> str:
    return model.target


class AuditAdmin(ReadOnlyAdmin):
    can_view_details = True
    can_export = True
    export_types = ["csv"]
    column_list = ["at", "actor", "action", "target", "changes", "reason"]
    column_details_list = ["at", "actor", "action", "target", "reason", "before", "after"]
    column_export_list = ["at", "actor", "action", "target_type", "target_id", "target_label", "reason", "before",
                          "after"]
    column_labels = {"at": "Time", "target_label": "Target name"}
    column_default_sort = [("at", True), ("id", True)]
    column_sortable_list = ["at", "actor", "action"]
    column_searchable_list = ["actor", "action", "target_label", "reason"]
    column_filters = [
        LocalDateBetweenFilter(column=AuditEntry.at, name="Date"),
        FilterLike(column=AuditEntry.actor, name="Actor"),
        FilterLike(column=AuditEntry.action, name="Action"),
        FilterEqual(column=AuditEntry.target_type, name="Target type"),
        FilterEqual(column=AuditEntry.target_id, name="Target id"),
        FilterLike(column=AuditEntry.reason, name="Reason"),
    ]
    column_formatters = {
        "at": local_time("at"),
        "target": _target,
        "changes": changes_text,
        "before": _fields_block("before"),
        "after": _fields_block("after"),
    }
    column_formatters_export = {
        "at": local_time("at"),
        **{name: for_csv(_text) for name in column_export_list if name != "at"},
    }
