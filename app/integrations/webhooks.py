"""Webhook deliveries: one row per (webhook, event), created when the event is read from its gate's stream, then
attempted by a Celery task on the `webhooks` queue with retries and backoff; every attempt is recorded."""

from __future__ import annotations

import json
from collections.abc import Mapping

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.integrations.follower import StreamEntry
from app.integrations.webhook_http import post_signed
from app.models import Webhook, WebhookDelivery
from app.models.types import utcnow

SCHEMA_VERSION = 1


def active_webhooks() -> list[Webhook]:
    """The webhooks that are switched on (detached from the session, for the dispatcher to keep)."""
    hooks = list(db.session.scalars(select(Webhook).where(Webhook.active.is_(True))))
    db.session.expunge_all()
    return hooks


def delivery_body(entry: StreamEntry, gate_name: str | None) -> str:
    """The JSON body every webhook gets for entry: the event's fields plus v, gate_name and stream_id."""
    payload = {**entry.event, "v": SCHEMA_VERSION, "gate_name": gate_name, "stream_id": entry.stream_id}
    return json.dumps(payload, sort_keys=True)


def record_deliveries(entry: StreamEntry, gate_name: str | None, hooks: list[Webhook]) -> list[int]:
    """Create the deliveries of entry to the hooks that want its type (committed); the ids of those still to send.

    An event read again after a restart finds its rows: those not attempted yet are returned again, nothing doubles.
    """
    kind = str(entry.event.get("type"))
    event_id = str(entry.event.get("id"))[:64]
    to_send = []
    for hook in hooks:
        if not hook.wants(kind):
            continue
        delivery = WebhookDelivery(webhook_id=hook.id, event_id=event_id, event_type=kind[:32],
                                   gate_id=entry.gate_id, body=delivery_body(entry, gate_name))  # fmt: skip
        db.session.add(delivery)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            delivery = db.session.scalar(select(WebhookDelivery).where(
                WebhookDelivery.webhook_id == hook.id, WebhookDelivery.event_id == event_id))  # fmt: skip
            if delivery is None or delivery.attempts:
                continue
        to_send.append(delivery.id)
    return to_send


def queue_delivery(delivery_id: int) -> None:
    """Hand a delivery to the `webhooks` queue (the task facegate.deliver_webhook, app/tasks/webhooks.py)."""
    current_app.extensions["celery"].send_task("facegate.deliver_webhook", args=[delivery_id])


def retry_deliveries(delivery_ids: list[int]) -> int:
    """Queue failed deliveries again with a fresh count of attempts (an admin's retry); how many were queued."""
    deliveries = db.session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.id.in_(delivery_ids), WebhookDelivery.state == "failed"))  # fmt: skip
    queued = [delivery.id for delivery in deliveries]
    for delivery_id in queued:
        delivery = db.session.get(WebhookDelivery, delivery_id)
        delivery.state, delivery.attempts = "pending", 0
    db.session.commit()
    for delivery_id in queued:
        queue_delivery(delivery_id)
    return len(queued)


def attempt_delivery(delivery_id: int, config: Mapping) -> WebhookDelivery | None:
    """Send the delivery once (unless delivered or its webhook is gone or off) and record the outcome; the row."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.state == "delivered":
        return delivery
    hook = delivery.webhook
    if hook is None or not hook.active:
        delivery.state, delivery.last_error = "failed", "the webhook was switched off"
        db.session.commit()
        return delivery
    headers = {"Facegate-Event": delivery.event_type, "Facegate-Delivery": str(delivery.id)}
    url, body, secret = hook.url, delivery.body.encode(), hook.secret
    # The request runs outside any transaction: a slow receiver holds no database connection.
    db.session.commit()
    attempt = post_signed(url, body, secret, headers, config["WEBHOOK_TIMEOUT_S"])
    delivery.attempts += 1
    delivery.last_attempt_at = utcnow()
    delivery.last_status = attempt.status
    delivery.last_error = attempt.error[:1024]
    if attempt.delivered:
        delivery.state, delivery.delivered_at = "delivered", delivery.last_attempt_at
    else:
        delivery.state = "retrying" if delivery.attempts < config["WEBHOOK_MAX_ATTEMPTS"] else "failed"
    db.session.commit()
    return delivery


def retry_delay_s(attempts: int, config: Mapping) -> float:
    """Seconds to wait before the next attempt after `attempts` failed ones: doubling from the first delay, capped."""
    return min(config["WEBHOOK_RETRY_BASE_S"] * 2 ** (attempts - 1), config["WEBHOOK_RETRY_MAX_S"])
