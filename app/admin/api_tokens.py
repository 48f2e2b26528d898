"""Personal API tokens for admins: create one for an admin account with a scope (the token shown once), see when
each was last used, revoke."""

from __future__ import annotations

from flask import flash
from flask_admin.actions import action
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.admin.formatting import local_time
from app.admin.security import AdminModelView
from app.api_tokens import TokenError, create_api_token, revoke_api_tokens
from app.extensions import db
from app.models import User


def _owner(view, context, model, name) -> str:
    return model.user.username if model.user else ""


class ApiTokenAdmin(AdminModelView):
    can_edit = False
    can_delete = False
    column_list = ["name", "owner", "scope", "prefix", "created_at", "last_used_at", "revoked_at"]
    column_labels = {"prefix": "Starts with", "last_used_at": "Last used", "revoked_at": "Revoked"}
    column_default_sort = ("id", True)
    column_formatters = {
        "owner": _owner,
        "created_at": local_time("created_at"),
        "last_used_at": local_time("last_used_at"),
        "revoked_at": local_time("revoked_at"),
    }
    form_columns = ["name", "owner", "scope"]
    form_extra_fields = {
        "name": StringField("Name", [DataRequired(), Length(max=64)], description="What the script is."),
        "owner": SelectField("Owner (an admin account)", coerce=int),
        "scope": SelectField("Scope", choices=[("read", "read: GET only"), ("write", "write: GET and POST")]),
    }

    def create_form(self, obj=None):
        """The form, its owner choices the active admins (the signed-in admin first)."""
        form = super().create_form(obj)
        admins = db.session.scalars(select(User).where(User.role == "admin", User.active.is_(True)).order_by(
            User.id != current_user.id, User.username))  # fmt: skip
        form.owner.choices = [(user.id, user.username) for user in admins]
        return form

    def save_new(self, form):
        """Create through app.api_tokens.create_api_token; show the token once."""
        try:
            token, secret = create_api_token(db.session.get(User, form.owner.data), form.name.data, form.scope.data)
        except TokenError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return False
        flash(f"API token {token.name!r} (shown only now; scripts send it as 'Authorization: Bearer ...'): {secret}",
              "warning")  # fmt: skip
        return token

    @action("revoke", "Revoke", "Scripts using the selected tokens stop working at once. Continue?")
    def revoke(self, ids: list[str]) -> None:
        """Revoke the selected tokens."""
        count = revoke_api_tokens([int(i) for i in ids])
        flash(f"{count} API tokens revoked.", "info")
