"""What every admin view shares: admins only, forms whose CSRF token is the one CSRFProtect checks, and an audit row
for every create, edit and delete made through a model view."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import flash, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import SecureForm
from flask_login import current_user
from flask_wtf.csrf import generate_csrf, validate_csrf
from sqlalchemy import func, select
from wtforms.csrf.core import CSRF

from app.audit import record, snapshot, target_of
from app.charts import decisions_per_day, gate_traffic
from app.error_pages import forbidden_page
from app.extensions import db
from app.models import Gate, Log, Staff
from app.sitetime import site_zone

HOME_CHART_DAYS = 14


class _FlaskWTFCSRF(CSRF):
    """WTForms CSRF backed by Flask-WTF, so the app-wide CSRFProtect and the admin forms agree on one token."""

    def generate_csrf_token(self, csrf_token_field) -> str:
        return generate_csrf()

    def validate_csrf_token(self, form, field) -> None:
        validate_csrf(field.data)  # raises wtforms.ValidationError with a clear message


class AdminForm(SecureForm):
    """Flask-Admin's SecureForm, with Flask-WTF's token."""

    class Meta:
        csrf_class = _FlaskWTFCSRF


class AdminOnly:
    """Mixin for admin views: admins pass, staff get 403, anonymous visitors are sent to sign in."""

    def is_accessible(self) -> bool:
        """Whether the current user is a signed-in admin."""
        return current_user.is_authenticated and current_user.is_admin

    def inaccessible_callback(self, name, **kwargs):
        """403 for a signed-in non-admin; otherwise off to sign in, coming back here afterwards."""
        if current_user.is_authenticated:
            return forbidden_page()
        target = request.full_path if request.query_string else request.path
        return redirect(url_for("auth.login", next=target))


def admin_actor() -> str:
    """The signed-in admin, as the audit trail names them."""
    return current_user.username


class AdminModelView(AdminOnly, ModelView):
    """A Flask-Admin model view for admins only, with CSRF-protected forms, that audits every change it makes.

    Flask-Admin saves through create_model, update_model and delete_model (the forms, the list's delete buttons and
    its bulk delete); this class owns those three and writes the audit row (before/after, reason). A view changes
    how it saves by overriding save_new, save_edit and remove instead (tests/web/test_audit.py checks that no view
    overrides the three). Custom actions (@action) audit themselves with app.audit.record.
    """

    form_base_class = AdminForm
    page_size = 50
    can_set_page_size = True
    # Whether a deletion must come with a reason (the form field `reason`), kept in the audit row.
    delete_needs_reason = False

    def create_model(self, form):
        """Save a new row (save_new) and audit its creation; the row, or False."""
        model = self.save_new(form)
        if model:
            record(admin_actor(), "create", target_of(model), after=snapshot(model))
        return model

    def update_model(self, form, model) -> bool:
        """Save an edit (save_edit) and audit it with the fields before and after."""
        before = snapshot(model)
        if not self.save_edit(form, model):
            return False
        record(admin_actor(), "edit", target_of(model), before=before, after=snapshot(model))
        return True

    def delete_model(self, model) -> bool:
        """Delete a row (remove) and audit it with its fields and the form's reason (required where
        delete_needs_reason)."""
        reason = (request.form.get("reason") or "").strip()
        if self.delete_needs_reason and not reason:
            flash("Give a reason for the deletion: it is kept in the audit trail. Nothing was deleted.", "error")
            return False
        target, before = target_of(model), snapshot(model)
        if not self.remove(model):
            return False
        record(admin_actor(), "delete", target, before=before, reason=reason or None)
        return True

    def save_new(self, form):
        """Create and commit a row from form (Flask-Admin's way); the row, or False after flashing why."""
        return super().create_model(form)

    def save_edit(self, form, model) -> bool:
        """Apply form to model and commit (Flask-Admin's way); False after flashing why not."""
        return super().update_model(form, model)

    def remove(self, model) -> bool:
        """Delete model and commit (Flask-Admin's way); False after flashing why not."""
        return super().delete_model(model)


class AdminHome(AdminOnly, AdminIndexView):
    """The admin start page: a few counts and where to go next."""

    @expose("/")
    def index(self):
        """The start page with the numbers of people, gates and log rows, and charts of the last two weeks."""
        counts = {
            "staff": db.session.scalar(select(func.count()).select_from(Staff)),
            "gates": db.session.scalar(select(func.count()).select_from(Gate)),
            "logs": db.session.scalar(select(func.count()).select_from(Log)),
        }
        zone = site_zone()
        end = datetime.now(zone).date()
        start = end - timedelta(days=HOME_CHART_DAYS - 1)
        traffic, decisions = gate_traffic(start, end, zone), decisions_per_day(start, end, zone)
        charts = {"zone": zone.key, "charts": {
            "traffic": {"kind": "perDay", "title": "Passages per gate and day", **traffic,
                        "empty": "No passages in the last two weeks: they appear when cleared staff pass a gate."},
            "decisions": {"kind": "perDay", "title": "Gate decisions per day: granted, denied, strangers", **decisions,
                          "empty": "No gate decisions in the last two weeks: is camera_ingest running?"},
        }}  # fmt: skip
        return self.render("admin/facegate_index.html", counts=counts, charts=charts)
