"""Door alarms for admins: list and filter them, acknowledge them (audited); nobody creates, edits or deletes one."""

from __future__ import annotations

from flask import current_app, flash
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEmpty, FilterEqual

from app.admin.formatting import gate_name, local_time
from app.admin.logs import LocalDateBetweenFilter
from app.admin.readonly import ReadOnlyAdmin
from app.admin.security import admin_actor
from app.gates.doors import acknowledge_alarms
from app.models.alarm import ALARM_KINDS, Alarm
from app.redis_client import get_redis


def _label(view, context, model: Alarm, name) -> str:
    return model.label


class AlarmAdmin(ReadOnlyAdmin):
    column_list = ["raised_at", "gate", "kind", "opened_at", "door_closed_at", "acknowledged_at", "acknowledged_by"]
    column_labels = {"raised_at": "Raised", "kind": "Alarm", "opened_at": "Door opened",
                     "door_closed_at": "Door closed", "acknowledged_at": "Acknowledged", "acknowledged_by": "By"}
    column_default_sort = ("raised_at", True)
    column_filters = [
        FilterEqual(column=Alarm.kind, name="Alarm", options=[(kind, kind.replace("_", " ")) for kind in ALARM_KINDS]),
        "gate.name",
        FilterEmpty(column=Alarm.acknowledged_at, name="Not acknowledged"),
        LocalDateBetweenFilter(column=Alarm.raised_at, name="Raised"),
    ]
    column_formatters = {
        "gate": gate_name,
        "kind": _label,
        **{name: local_time(name) for name in ("raised_at", "opened_at", "door_closed_at", "acknowledged_at")},
    }

    @action("acknowledge", "Acknowledge", "Acknowledge the selected alarms? This is recorded in the audit trail.")
    def acknowledge(self, ids: list[str]) -> None:
        """Acknowledge the selected alarms (those not acknowledged yet)."""
        config = current_app.config
        count = acknowledge_alarms(get_redis(config["REDIS_URL"]), [int(i) for i in ids], admin_actor(), None, config)
        flash(f"{count} alarm(s) acknowledged." if count else "Those alarms were already acknowledged.", "info")
