"""Column formatters shared by the admin views: local times, people, gates."""

from __future__ import annotations

from flask import g, url_for
from markupsafe import Markup

from app.reports import csv_cell
from app.sitetime import format_local


def local_time(attribute: str):
    """A Flask-Admin formatter showing model.<attribute> in the site's time zone."""

    def formatter(view, context, model, name) -> str:
        return format_local(getattr(model, attribute))

    return formatter


def person(view, context, model, name) -> str:
    """The staff member of a row as 'First Last (ID)'."""
    staff = model.staff
    return "" if staff is None else f"{staff.full_name} ({staff.staff_id})"


def gate_name(view, context, model, name) -> str:
    """The gate of a row by name."""
    return model.gate.name


def for_csv(formatter):
    """formatter's text made safe for spreadsheets (see app.reports.csv_cell), for column_formatters_export."""

    def export_formatter(view, context, model, name) -> str:
        return csv_cell(formatter(view, context, model, name))

    return export_formatter


def snapshot_thumbnail(view, context, model, name) -> Markup | str:
    """The row's decision snapshot as a linked thumbnail, when the list found one (flask.g.snapshots)."""
    if model.decision_id not in g.get("snapshots", ()):
        return ""
    url = url_for("snapshots.image", decision_id=model.decision_id, part="face")
    return Markup('<a href="{0}"><img class="snapshot" loading="lazy" src="{0}" alt="snapshot" width="48" '
                  'height="48"></a>').format(url)  # fmt: skip


def online_badge(view, context, model, name) -> Markup:
    """'online' or 'offline' from the gate's last heartbeat, as a coloured badge."""
    online = model.is_online()
    return Markup('<span class="badge badge-{}">{}</span>').format(
        "success" if online else "secondary", "online" if online else "offline"
    )


def progress_bar(view, context, model, name) -> Markup:
    """A job's progress as a Bootstrap progress bar."""
    percent = max(0, min(100, int(model.progress or 0)))
    return Markup(
        '<div class="progress" style="min-width:8em"><div class="progress-bar" role="progressbar"'
        ' style="width: {0}%" aria-valuenow="{0}" aria-valuemin="0" aria-valuemax="100">{0}%</div></div>'
    ).format(percent)
