"""Model versions and background jobs: read-only lists for admins."""

from __future__ import annotations

from app.admin.formatting import local_time, progress_bar
from app.admin.security import AdminModelView
from app.extensions import db
from app.models import Staff


def _job_person(view, context, model, name) -> str:
    staff = db.session.get(Staff, model.staff_id) if model.staff_id else None
    return "" if staff is None else f"{staff.full_name} ({staff.staff_id})"


class ReadOnlyAdmin(AdminModelView):
    can_create = False
    can_edit = False
    can_delete = False


class ModelVersionAdmin(ReadOnlyAdmin):
    column_list = ["version", "kind", "embedder", "people_count", "image_count", "metrics", "created_at"]
    column_default_sort = ("version", True)
    column_formatters = {"created_at": local_time("created_at")}


class JobAdmin(ReadOnlyAdmin):
    column_list = ["kind", "staff", "state", "progress", "message", "created_at", "started_at", "finished_at"]
    column_labels = {"staff": "Person"}
    column_default_sort = ("id", True)
    column_filters = ["kind", "state"]
    column_formatters = {
        "staff": _job_person,
        "progress": progress_bar,
        "created_at": local_time("created_at"),
        "started_at": local_time("started_at"),
        "finished_at": local_time("finished_at"),
    }
