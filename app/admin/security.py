"""What every admin view shares: admins only, and forms whose CSRF token is the one CSRFProtect checks."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import SecureForm
from flask_login import current_user
from flask_wtf.csrf import generate_csrf, validate_csrf
from sqlalchemy import func, select
from wtforms.csrf.core import CSRF

from app.error_pages import forbidden_page
from app.extensions import db
from app.models import Gate, Log, Staff


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


class AdminModelView(AdminOnly, ModelView):
    """A Flask-Admin model view for admins only, with CSRF-protected forms."""

    form_base_class = AdminForm
    page_size = 50
    can_set_page_size = True


class AdminHome(AdminOnly, AdminIndexView):
    """The admin start page: a few counts and where to go next."""

    @expose("/")
    def index(self):
        """The start page with the numbers of people, gates and log rows."""
        counts = {
            "staff": db.session.scalar(select(func.count()).select_from(Staff)),
            "gates": db.session.scalar(select(func.count()).select_from(Gate)),
            "logs": db.session.scalar(select(func.count()).select_from(Log)),
        }
        return self.render("admin/facegate_index.html", counts=counts)
