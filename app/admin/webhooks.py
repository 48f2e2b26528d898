"""Webhooks for admins: register URLs and the event types they want (the signing secret shown in the details), and
every delivery with its state, attempts and last error; failed ones can be retried."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import flash
from flask_admin.actions import action
from wtforms.validators import ValidationError

from app.admin.formatting import local_time
from app.admin.readonly import ReadOnlyAdmin
from app.admin.security import AdminModelView
from app.extensions import db
from app.integrations.webhooks import retry_deliveries
from app.models import Webhook
from app.models.webhook import new_webhook_secret

EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def check_webhook(model: Webhook) -> None:
    """ValidationError unless the URL is http(s) with a host and the event types are a comma-separated list."""
    url = (model.url or "").strip()
    parsed = urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValidationError(f"The URL must start with http:// or https:// and name a host, got {url!r}.")
    types = [kind.strip() for kind in (model.event_types or "").split(",") if kind.strip()]
    bad = [kind for kind in types if not EVENT_TYPE.fullmatch(kind)]
    if bad:
        raise ValidationError(f"Event types are names such as granted, stranger, gate_offline; not {bad[0]!r}.")
    model.url, model.event_types = url, ",".join(types)


class WebhookAdmin(AdminModelView):
    column_list = ["name", "url", "event_types", "active", "created_at"]
    column_labels = {"url": "URL", "event_types": "Event types"}
    column_descriptions = {"event_types": "Empty: every event"}
    column_formatters = {"created_at": local_time("created_at")}
    can_view_details = True
    column_details_list = ["name", "url", "event_types", "active", "secret", "created_at"]
    form_columns = ["name", "url", "event_types", "active"]
    form_args = {
        "url": {"description": "Where each event is POSTed as signed JSON (docs/integrations.md)."},
        "event_types": {"description": "Comma-separated (granted, denied, stranger, gate_online, gate_offline, "
                                       "...); empty for every event."},
    }  # fmt: skip

    def on_model_change(self, form, model, is_created: bool) -> None:
        """Check the URL and event types; a new webhook gets its signing secret."""
        check_webhook(model)
        if is_created:
            model.secret = new_webhook_secret()

    def after_model_change(self, form, model, is_created: bool) -> None:
        """Show a new webhook's secret (also in its details)."""
        if is_created:
            flash(f"Signing secret of webhook {model.name!r} (give it to the receiver): {model.secret}", "warning")

    @action("rotate_secret", "Rotate secret", "Receivers must be given the new secret. Continue?")
    def rotate_secret(self, ids: list[str]) -> None:
        """Give each selected webhook a new signing secret and show it."""
        for hook in db.session.query(Webhook).filter(Webhook.id.in_([int(i) for i in ids])):
            hook.secret = new_webhook_secret()
            db.session.commit()
            flash(f"New signing secret of webhook {hook.name!r}: {hook.secret}", "warning")


class WebhookDeliveryAdmin(ReadOnlyAdmin):
    column_list = ["created_at", "webhook", "event_type", "gate_id", "state", "attempts", "last_status", "last_error",
                   "last_attempt_at", "delivered_at"]  # fmt: skip
    column_labels = {"webhook": "Webhook", "gate_id": "Gate", "last_status": "HTTP status"}
    column_default_sort = ("id", True)
    column_filters = ["state", "event_type", "webhook.name"]
    column_formatters = {
        "created_at": local_time("created_at"),
        "last_attempt_at": local_time("last_attempt_at"),
        "delivered_at": local_time("delivered_at"),
    }

    @action("retry", "Retry", "Send the selected failed deliveries again?")
    def retry(self, ids: list[str]) -> None:
        """Queue the selected failed deliveries again."""
        count = retry_deliveries([int(i) for i in ids])
        flash(f"{count} failed deliveries queued again (others were not failed).", "info")
