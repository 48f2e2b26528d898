"""Visitors for admins: enrol one with a temporary pass (host, gates, valid from/until in the site's time zone),
change or end the pass; photos are added on the Enrolment page like anyone's."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, url_for
from flask_admin.actions import action
from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField
from markupsafe import Markup
from sqlalchemy import select
from wtforms import DateTimeLocalField, StringField
from wtforms.validators import DataRequired, Length

from app.access.editing import AccessError
from app.access.visitors import check_pass, create_visitor, end_pass
from app.admin.access import PassbackResetMixin
from app.admin.formatting import local_time
from app.admin.security import AdminModelView, admin_actor
from app.audit import record, snapshot, target_of
from app.enrolment.service import enqueue_job, forget_staff
from app.extensions import db
from app.models import Gate, Staff
from app.sitetime import site_zone

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def _staff_members() -> list[Staff]:
    return db.session.scalars(select(Staff).where(Staff.kind == "staff").order_by(Staff.last_name)).all()


def _gates() -> list[Gate]:
    return db.session.scalars(select(Gate).order_by(Gate.name)).all()


def _photos_link(view, context, model, name) -> Markup:
    """A link to the visitor's enrolment page, where their photos are added (until they are forgotten)."""
    if model.forgotten_at is not None:
        return Markup("")
    return Markup('<a href="{}">photos</a>').format(url_for("enrolment.person", staff_pk=model.id))


def _aware(local: datetime | None) -> datetime | None:
    """A naive local date-time from the form as an aware instant in the site's time zone."""
    return None if local is None else local.replace(tzinfo=site_zone())


def _local(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(site_zone()).replace(tzinfo=None)


class VisitorAdmin(PassbackResetMixin, AdminModelView):
    """People of kind "visitor": their host, pass and gates."""

    column_list = ["staff_id", "first_name", "last_name", "host", "valid_from", "valid_until", "gates", "photos",
                   "forgotten_at"]  # fmt: skip
    column_labels = {"staff_id": "Visitor ID", "gates": "Gates", "forgotten_at": "Photos forgotten"}
    column_searchable_list = ["staff_id", "first_name", "last_name"]
    column_default_sort = ("valid_from", True)
    column_formatters = {
        "host": lambda v, c, m, n: str(m.host) if m.host else "",
        "gates": lambda v, c, m, n: ", ".join(g.name for g in m.gates),
        "valid_from": local_time("valid_from"),
        "valid_until": local_time("valid_until"),
        "forgotten_at": local_time("forgotten_at"),
        "photos": _photos_link,
    }
    form_columns = ["staff_id", "first_name", "last_name", "email", "host_person", "pass_gates", "pass_from",
                    "pass_until"]  # fmt: skip
    form_extra_fields = {
        "host_person": QuerySelectField("Host (member of staff)", query_factory=_staff_members,
                                        validators=[DataRequired()]),
        "pass_gates": QuerySelectMultipleField("Gates", query_factory=_gates, get_label="name"),
        "pass_from": DateTimeLocalField("Valid from (site time)", format=LOCAL_FORMAT, validators=[DataRequired()]),
        "pass_until": DateTimeLocalField("Valid until (site time)", format=LOCAL_FORMAT, validators=[DataRequired()]),
    }  # fmt: skip
    form_args = {"staff_id": {"label": "Visitor ID", "validators": [DataRequired(), Length(max=64)]}}

    def get_query(self):
        """Visitors only."""
        return super().get_query().filter(Staff.kind == "visitor")

    def get_count_query(self):
        """Count visitors only."""
        return super().get_count_query().filter(Staff.kind == "visitor")

    def get_edit_form(self):
        """The edit form: like the create form without the ID."""
        form_class = super().get_edit_form()
        form_class.staff_id = StringField("Visitor ID", render_kw={"readonly": True})
        return form_class

    def on_form_prefill(self, form, id) -> None:
        """Show the pass as it is."""
        visitor = self.get_one(id)
        form.host_person.data, form.pass_gates.data = visitor.host, visitor.gates
        form.pass_from.data, form.pass_until.data = _local(visitor.valid_from), _local(visitor.valid_until)

    def save_new(self, form):
        """Enrol through app.access.visitors.create_visitor, the same code as `flask visitors add`."""
        try:
            return create_visitor(
                form.staff_id.data or "", form.first_name.data or "", form.last_name.data or "",
                form.host_person.data.staff_id, [g.name for g in form.pass_gates.data or []],
                _aware(form.pass_from.data), _aware(form.pass_until.data), form.email.data,
            )  # fmt: skip
        except AccessError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return False

    def save_edit(self, form, model) -> bool:
        """Save the name, host, gates and pass times (checked first: nothing is saved on bad input)."""
        valid_from, valid_until = _aware(form.pass_from.data), _aware(form.pass_until.data)
        try:
            check_pass(valid_from, valid_until)
        except AccessError as exc:
            flash(str(exc), "error")
            return False
        model.first_name, model.last_name = form.first_name.data.strip(), form.last_name.data.strip()
        model.email = (form.email.data or "").strip() or None
        model.host, model.gates = form.host_person.data, list(form.pass_gates.data or [])
        model.valid_from, model.valid_until = valid_from, valid_until
        db.session.commit()
        return True

    def remove(self, model) -> bool:
        """Delete the visitor with their photos, embeddings and log rows; retrain without them."""
        if not model.is_visitor:
            flash("Only visitors can be deleted here.", "error")
            return False
        forget_staff(model)
        enqueue_job("train", forget=True)
        flash("Deleted with their photos, embeddings and log rows; a retrain without them was queued.", "info")
        return True

    @action("end_pass", "End pass now", "End the selected visitors' passes now?")
    def end_pass_action(self, ids: list[str]) -> None:
        """End the selected visitors' passes now."""
        now = datetime.now(UTC)
        for visitor in db.session.scalars(select(Staff).where(Staff.id.in_([int(i) for i in ids]),
                                                              Staff.kind == "visitor")):  # fmt: skip
            before = snapshot(visitor)
            end_pass(visitor, now)
            record(admin_actor(), "visitor.end_pass", target_of(visitor), before=before, after=snapshot(visitor))
        flash(f"Ended {len(ids)} pass(es).", "info")
