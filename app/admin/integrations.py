"""The integrations' status for admins: whether the MQTT publisher and the webhook dispatcher run, and their last
error (a broker refusing the credentials or the certificate), as each last reported it."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from flask_admin import BaseView, expose

from app.admin.security import AdminOnly
from app.integrations.status import read_statuses
from app.redis_client import get_redis
from app.sitetime import format_local


class IntegrationsStatusView(AdminOnly, BaseView):
    """One row per integrations process: state, detail, when it reported."""

    @expose("/")
    def index(self):
        """The status table."""
        rows = []
        for process, status in read_statuses(get_redis(current_app.config["REDIS_URL"])).items():
            at = datetime.fromtimestamp(status["at"], UTC) if status else None
            rows.append({
                "process": process,
                "state": status["state"] if status else "never ran",
                "detail": status["detail"] if status else "",
                "at": format_local(at) if at else "",
            })  # fmt: skip
        return self.render("admin/integrations_status.html", rows=rows,
                           mqtt_configured=bool(current_app.config["MQTT_URL"]))  # fmt: skip
