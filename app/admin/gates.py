"""Gates for admins: list with online/offline, create and edit, rotate the API token (shown once)."""

from __future__ import annotations

from flask import flash
from flask_admin.actions import action
from sqlalchemy import exists, select
from wtforms.validators import NumberRange, ValidationError

from app.accounts import AccountError, create_gate
from app.admin.formatting import local_time, online_badge
from app.admin.security import AdminModelView, admin_actor
from app.audit import record, target_of
from app.extensions import db
from app.models import Gate, Log


class GateAdmin(AdminModelView):
    column_list = ["name", "status", "last_heartbeat_at", "ip_address", "camera_source", "voice_enabled", "liveness",
                   "active"]  # fmt: skip
    column_labels = {"status": "Status", "last_heartbeat_at": "Last heartbeat", "ip_address": "IP address",
                     "voice_enabled": "Voice", "liveness": "Liveness"}
    column_searchable_list = ["name", "ip_address"]
    column_filters = ["active", "voice_enabled", "liveness"]
    column_formatters = {"status": online_badge, "last_heartbeat_at": local_time("last_heartbeat_at")}
    form_columns = ["name", "ip_address", "camera_source", "voice_enabled", "liveness", "active", "held_open_limit_s",
                    "area", "area_side"]
    form_args = {
        "camera_source": {"description": "A device index (0), an RTSP/HTTP URL or a video file path."},
        "held_open_limit_s": {"label": "Held-open limit (s)", "validators": [NumberRange(5, 3600)],
                              "description": "A door open longer than this raises a door-held-open alarm (5-3600)."},
        "liveness": {"description": "A face that is not live (a printed photo): enforce refuses it (a spoof event), "
                     "warn lets the decision stand and logs it (for a site's first week), off ignores it."},
        "area": {"label": "Anti-passback area", "description": "The area this gate leads into or out of, if any."},
        "area_side": {"label": "Way", "description": "in: passing enters the area; out: passing leaves it."},
    }  # fmt: skip
    form_choices = {"area_side": [("in", "in"), ("out", "out")]}

    def on_model_change(self, form, model, is_created) -> None:
        """A gate in an area needs its way (in or out); a gate in none has none."""
        if model.area is None:
            model.area_side = None
        elif model.area_side not in ("in", "out"):
            raise ValidationError("Choose whether the gate leads into the area (in) or out of it (out).")

    def save_new(self, form):
        """Create through app.accounts.create_gate, the same code as `flask gates add`; show the token once."""
        if form.area.data is not None and form.area_side.data not in ("in", "out"):
            flash("Choose whether the gate leads into the area (in) or out of it (out).", "error")
            return False
        try:
            gate, token = create_gate(
                form.name.data or "", form.camera_source.data or "", form.ip_address.data or None,
                bool(form.voice_enabled.data), form.liveness.data or "enforce",
            )
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return False
        gate.active = bool(form.active.data)
        if form.held_open_limit_s.data:
            gate.held_open_limit_s = form.held_open_limit_s.data
        gate.area = form.area.data
        gate.area_side = form.area_side.data if gate.area is not None else None
        db.session.commit()
        flash(f"API token of gate {gate.name!r} (shown only now; put it in the gate's config): {token}", "warning")
        return gate

    def remove(self, model) -> bool:
        """Delete a gate that has no log rows; one with history must be deactivated instead."""
        if db.session.scalar(select(exists().where(Log.gate_id == model.id))):
            flash(f"Gate {model.name!r} has log entries, so it cannot be deleted; deactivate it instead.", "error")
            return False
        return super().remove(model)

    @action("rotate_token", "Rotate token", "The selected gates' current tokens stop working at once. Continue?")
    def rotate_token(self, ids: list[str]) -> None:
        """Give each selected gate a new API token and show it once."""
        for gate in db.session.scalars(select(Gate).where(Gate.id.in_([int(i) for i in ids]))):
            token = gate.rotate_token()
            record(admin_actor(), "gate.rotate_token", target_of(gate))
            flash(f"New API token of gate {gate.name!r} (shown only now): {token}", "warning")
