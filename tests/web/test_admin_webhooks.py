"""Webhooks in the admin UI: register one (its secret shown), bad URLs and event types refused with nothing saved,
deliveries listed with state, attempts and last error, failed ones retried."""

from __future__ import annotations

import html

import sqlalchemy as sa

from app.integrations.status import record_status
from app.models import Webhook, WebhookDelivery
from app.redis_client import get_redis


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_an_admin_registers_a_webhook_and_sees_its_secret(people, db, admin_client, csrf_token) -> None:
    data = {"csrf_token": csrf_token(admin_client), "name": "HR", "url": " https://hr.example/hooks/facegate ",
            "event_types": "granted, stranger", "active": "y"}  # fmt: skip
    page = text(admin_client.post("/admin/webhooks/new/", data=data, follow_redirects=True))
    hook = db.session.scalar(sa.select(Webhook).where(Webhook.name == "HR"))
    assert hook.url == "https://hr.example/hooks/facegate" and hook.event_types == "granted,stranger"
    assert hook.secret.startswith("whsec_") and f"(give it to the receiver): {hook.secret}" in page
    details = text(admin_client.get(f"/admin/webhooks/details/?id={hook.id}"))
    assert hook.secret in details
    assert hook.wants("granted") and not hook.wants("denied")


def test_bad_urls_and_event_types_are_refused_and_nothing_is_saved(people, db, admin_client, csrf_token) -> None:
    for url, types, message in [
        ("ftp://hr.example/x", "", "The URL must start with http:// or https://"),
        ("https://", "", "name a host"),
        ("https://hr.example/x", "granted; DROP TABLE", "Event types are names such as"),
    ]:
        data = {"csrf_token": csrf_token(admin_client), "name": "HR", "url": url, "event_types": types, "active": "y"}
        page = text(admin_client.post("/admin/webhooks/new/", data=data, follow_redirects=True))
        assert message in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Webhook)) == 0


def test_deliveries_are_listed_and_failed_ones_retried(people, db, admin_client, csrf_token, app) -> None:
    hook = Webhook(name="HR", url="http://127.0.0.1:9/hook")
    db.session.add(hook)
    db.session.commit()
    failed = WebhookDelivery(webhook_id=hook.id, event_id="e1", event_type="stranger", gate_id=people.gate.id,
                             body="{}", state="failed", attempts=8, last_error="no answer within 10 s")  # fmt: skip
    done = WebhookDelivery(webhook_id=hook.id, event_id="e2", event_type="granted", body="{}", state="delivered",
                           attempts=1, last_status=200)  # fmt: skip
    db.session.add_all([failed, done])
    db.session.commit()
    page = text(admin_client.get("/admin/webhook_deliveries/"))
    assert "no answer within 10 s" in page and "stranger" in page and "HR" in page
    answer = text(admin_client.post("/admin/webhook_deliveries/action/", data={
        "csrf_token": csrf_token(admin_client), "action": "retry", "rowid": [str(failed.id), str(done.id)]},
        follow_redirects=True))  # fmt: skip
    assert "1 failed deliveries queued again" in answer
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, failed.id).state == "pending"
    assert db.session.get(WebhookDelivery, done.id).state == "delivered"


def test_the_integrations_status_shows_a_broker_error(people, db, admin_client, app) -> None:
    client = get_redis(app.config["REDIS_URL"])
    record_status(client, "mqtt", "error", "the MQTT broker broker:1883 refused the connection: Not authorized")
    page = text(admin_client.get("/admin/integrations/"))
    assert "refused the connection: Not authorized" in page and "never ran" in page  # webhooks never reported
