"""Staff members and admin accounts, for admins: list, search, filter, create, edit, reset passwords, delete."""

from __future__ import annotations

from flask import flash
from flask_admin.contrib.sqla.fields import QuerySelectMultipleField
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.accounts import AccountError, check_password_policy, create_admin, create_staff
from app.admin.access import PassbackResetMixin
from app.admin.formatting import local_time
from app.admin.security import AdminModelView, admin_actor
from app.audit import record, target_of
from app.enrolment.service import enqueue_job, forget_staff
from app.extensions import db
from app.models import Gate, Group, Staff, User

_RESET_HELP = "Leave empty to keep the password. A new one is a one-time password: it must be changed at next sign-in."


def _active_badge(view, context, model, name) -> str:
    return "yes" if model.user.active else "no"


def _gate_list(view, context, model, name) -> str:
    return ", ".join(gate.name for gate in model.gates) or "none"


def _group_list(view, context, model, name) -> str:
    return ", ".join(group.name for group in model.groups) or "none"


def _all_gates() -> list[Gate]:
    return db.session.scalars(select(Gate).order_by(Gate.name)).all()


def _all_groups() -> list[Group]:
    return db.session.scalars(select(Group).order_by(Group.name)).all()


def _avatar_thumb(view, context, model, name) -> Markup:
    if not model.avatar_path:
        return Markup("")
    url = context.resolve("avatar_url")(model)
    return Markup('<img src="{}" alt="" width="32" height="32" style="border-radius:50%">').format(url)


def _apply_password_reset(user: User, password: str, must_change: bool) -> None:
    """Set user's password when password is not empty (raising AccountError if weak); the reset is audited when
    the edit is saved."""
    if password:
        check_password_policy(password)
        user.set_password(password)
        user.must_change_password = must_change


def _audit_password_reset(user: User) -> None:
    """Add the audit row of an admin's password reset of user (no password in it)."""
    record(admin_actor(), "password.reset", target_of(user), after={"must_change_password": user.must_change_password})


class StaffAdmin(PassbackResetMixin, AdminModelView):
    column_list = ["avatar", "staff_id", "first_name", "last_name", "email", "phone", "groups", "gates", "active",
                   "created_at"]
    column_searchable_list = ["staff_id", "first_name", "last_name", "email"]
    column_filters = ["groups.name", "user.active", "last_name"]
    column_sortable_list = ["staff_id", "first_name", "last_name", "created_at"]
    column_default_sort = "last_name"
    column_formatters = {
        "active": _active_badge,
        "gates": _gate_list,
        "groups": _group_list,
        "avatar": _avatar_thumb,
        "created_at": local_time("created_at"),
    }
    can_view_details = True
    column_details_list = ["staff_id", "first_name", "last_name", "email", "phone", "groups", "gates", "active",
                           "folder", "created_at"]
    column_labels = {"staff_id": "Staff ID", "gates": "Cleared for (always)", "avatar": "", "folder": "Image folder"}
    form_columns = ["staff_id", "first_name", "last_name", "email", "phone", "groups", "gates"]
    form_extra_fields = {
        "gates": QuerySelectMultipleField(
            "Cleared for gates (at any time)", query_factory=_all_gates, get_label="name",
            description="The person's own clearance. Their groups' access rules may grant more gates during the "
                        "rules' schedules. No gate and no group means no access anywhere.",
        ),
    }  # fmt: skip
    form_args = {"groups": {"label": "Groups", "query_factory": _all_groups, "get_label": "name"}}

    def get_query(self):
        """Staff members only (visitors have their own page)."""
        return super().get_query().filter(Staff.kind == "staff")

    def get_count_query(self):
        """Count staff members only."""
        return super().get_count_query().filter(Staff.kind == "staff")

    def on_form_prefill(self, form, id) -> None:
        """Show the person's clearance and their account's active flag."""
        model = self.get_one(id)
        form.gates.data = model.gates
        form.active.data = model.user.active

    def get_edit_form(self):
        """The edit form: like the create form without the staff ID, plus account state and password reset."""
        form_class = self.scaffold_form()
        del form_class.staff_id
        form_class.active = BooleanField("Account active")
        form_class.new_password = PasswordField("New one-time password", [Optional()], description=_RESET_HELP)
        return form_class

    def save_new(self, form):
        """Create through app.accounts.create_staff, the same code as `flask staff add`; show the password once."""
        try:
            staff, password = create_staff(
                form.staff_id.data or "",
                form.first_name.data or "",
                form.last_name.data or "",
                form.email.data,
                form.phone.data,
                [gate.name for gate in form.gates.data or []],
            )
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return False
        if form.groups.data:
            staff.groups = list(form.groups.data)
            db.session.commit()
        flash(f"One-time password for {staff.staff_id} (shown only now, must be changed at first sign-in): {password}",
              "warning")
        return staff

    def save_edit(self, form, model) -> bool:
        """Save the edit form: details, clearances, active flag and an optional password reset."""
        try:
            _apply_password_reset(model.user, form.new_password.data or "", must_change=True)
        except AccountError as exc:
            flash(str(exc), "error")
            return False
        model.first_name = form.first_name.data.strip()
        model.last_name = form.last_name.data.strip()
        model.email = (form.email.data or "").strip() or None
        model.phone = (form.phone.data or "").strip() or None
        model.gates = list(form.gates.data or [])
        model.groups = list(form.groups.data or [])
        model.user.active = form.active.data
        db.session.commit()
        if form.new_password.data:
            _audit_password_reset(model.user)
            flash(f"The password of {model.staff_id} was reset; it must be changed at next sign-in.", "info")
        return True

    def remove(self, model) -> bool:
        """Delete the person with their account, photos, embeddings, log rows and avatar; retrain without them."""
        forget_staff(model)
        enqueue_job("train", forget=True)
        flash("Deleted with their photos, embeddings, avatar and log rows; a retrain without them was queued.",
              "info")
        return True


class AdminAccountAdmin(AdminModelView):
    """Admin accounts (accounts with the admin role)."""

    column_list = ["username", "active", "last_login_at", "created_at"]
    column_searchable_list = ["username"]
    column_formatters = {"last_login_at": local_time("last_login_at"), "created_at": local_time("created_at")}
    form_columns = ["username"]

    def get_query(self):
        """Only accounts with the admin role."""
        return super().get_query().filter(User.role == "admin")

    def get_count_query(self):
        """Count only accounts with the admin role."""
        return super().get_count_query().filter(User.role == "admin")

    def get_one(self, id):
        """The admin account with this id, or None (a staff account is not editable here)."""
        user = super().get_one(id)
        return user if user is not None and user.role == "admin" else None

    def get_create_form(self):
        """Username and a first password."""
        form_class = self.scaffold_form()
        form_class.username = StringField("Username", [DataRequired(), Length(max=64)])
        form_class.password = PasswordField("Password", [DataRequired(), Length(max=1024)])
        return form_class

    def get_edit_form(self):
        """Active flag and an optional password reset; the username stays."""
        form_class = self.scaffold_form()
        del form_class.username
        form_class.active = BooleanField("Account active")
        form_class.new_password = PasswordField("New password", [Optional()], description=_RESET_HELP)
        return form_class

    def on_form_prefill(self, form, id) -> None:
        """Show the account's current active flag."""
        form.active.data = self.get_one(id).active

    def save_new(self, form):
        """Create through app.accounts.create_admin, the same code as `flask users create-admin`."""
        try:
            return create_admin(form.username.data or "", form.password.data or "")
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return False

    def _refuse_if_last_active_admin(self, model) -> bool:
        others = db.session.scalar(
            select(func.count()).select_from(User).where(User.role == "admin", User.active, User.id != model.id)
        )
        if model.id == current_user.id or not others:
            flash("You cannot deactivate or delete your own account or the last active admin.", "error")
            return True
        return False

    def save_edit(self, form, model) -> bool:
        """Save the active flag and an optional password reset."""
        if not form.active.data and model.active and self._refuse_if_last_active_admin(model):
            return False
        try:
            _apply_password_reset(model, form.new_password.data or "", must_change=True)
        except AccountError as exc:
            flash(str(exc), "error")
            return False
        model.active = form.active.data
        db.session.commit()
        if form.new_password.data:
            _audit_password_reset(model)
        return True

    def remove(self, model) -> bool:
        """Delete an admin account, never one's own nor the last active one."""
        if self._refuse_if_last_active_admin(model):
            return False
        db.session.delete(model)
        db.session.commit()
        return True
