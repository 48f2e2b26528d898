"""The webhook delivery task (queue `webhooks`): one attempt, recorded; a failure is retried later with backoff."""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app

from app.integrations.webhooks import attempt_delivery, retry_delay_s
from app.observability.logfmt import logfmt

logger = logging.getLogger(__name__)


@shared_task(name="facegate.deliver_webhook", bind=True, ignore_result=True, max_retries=None)
def deliver_webhook(self, delivery_id: int) -> str | None:
    """Attempt delivery delivery_id; schedule the next attempt while it is retrying; its state."""
    config = current_app.config
    delivery = attempt_delivery(delivery_id, config)
    if delivery is None:
        return None
    logger.info(logfmt("webhook_delivery", delivery=delivery.id, webhook=delivery.webhook_id,
                       state=delivery.state, attempts=delivery.attempts, status=delivery.last_status,
                       error=delivery.last_error))  # fmt: skip
    if delivery.state == "retrying":
        raise self.retry(countdown=retry_delay_s(delivery.attempts, config))
    return delivery.state
