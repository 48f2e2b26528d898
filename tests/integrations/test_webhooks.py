"""Webhooks against a real local HTTP receiver: the documented signature check, recorded attempts and retries, bad
receivers (500, hanging, unresolvable, endless redirects, a 10 MB answer) costing only their own deliveries, and the
dispatcher and a real `-Q webhooks` worker end to end."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

import pytest

from app.cli.integrations import load_gates
from app.extensions import db as _db
from app.integrations.follower import StreamEntry
from app.integrations.webhook_dispatcher import WebhookDispatcher
from app.integrations.webhooks import attempt_delivery, queue_delivery, record_deliveries
from app.models import Webhook, WebhookDelivery
from app.redis_client import get_redis
from testkit.processes import celery_worker, wait_until
from testkit.webhook_receiver import WebhookReceiver

from .conftest import publish

REPO_ROOT = Path(__file__).resolve().parents[2]


def documented_verify():
    """The verify() function of docs/integrations.md's verification snippet, executed as a reader would paste it."""
    doc = (REPO_ROOT / "docs" / "integrations.md").read_text()
    section = doc.split("### Verifying a delivery", 1)[1]
    snippet = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - the documentation's own code
    return namespace["verify"]


@pytest.fixture()
def receiver():
    server = WebhookReceiver()
    yield server
    server.close()


def add_webhook(name: str, url: str, event_types: str = "") -> Webhook:
    hook = Webhook(name=name, url=url, event_types=event_types)
    _db.session.add(hook)
    _db.session.commit()
    return hook


def delivery_for(hook: Webhook, gate_id: int, event_id: str = "e1", kind: str = "granted") -> int:
    entry = StreamEntry(gate_id, "1-0", {"id": event_id, "type": kind, "gate_id": gate_id, "name": "Ada"})
    [delivery_id] = record_deliveries(entry, "Front door", [hook])
    return delivery_id


def settings(app, **overrides) -> dict:
    return {**app.config, "WEBHOOK_TIMEOUT_S": 2.0, "WEBHOOK_MAX_ATTEMPTS": 3, **overrides}


def test_a_delivery_verifies_with_the_documented_snippet_and_fails_when_one_byte_changes(
    app, gates, receiver
) -> None:
    hook = add_webhook("hr", f"{receiver.url}/ok")
    delivery = attempt_delivery(delivery_for(hook, gates["Front door"]), settings(app))
    assert delivery.state == "delivered" and delivery.attempts == 1 and delivery.last_status == 200
    [request] = receiver.on("/ok")
    verify = documented_verify()
    header = request.headers["facegate-signature"]
    assert verify(hook.secret, header, request.body)
    assert json.loads(request.body)["id"] == "e1" and json.loads(request.body)["gate_name"] == "Front door"
    assert request.headers["facegate-event"] == "granted" and request.headers["content-type"] == "application/json"
    for position in (0, len(request.body) // 2, len(request.body) - 1):
        changed = bytearray(request.body)
        changed[position] ^= 0x01
        assert not verify(hook.secret, header, bytes(changed))
    digest = header.split("v1=")[1]
    flipped = header.replace(digest, digest[:-1] + ("0" if digest[-1] != "0" else "1"))
    assert not verify(hook.secret, flipped, request.body)
    assert not verify(hook.secret + "x", header, request.body)
    stale = re.sub(r"t=\d+", f"t={int(time.time()) - 3600}", header)
    assert not verify(hook.secret, stale, request.body)  # and an old (replayed) timestamp is refused


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("/fail", 500, "HTTP 500: 'receiver broken'"),
        ("/redirect", 302, "redirects are not followed"),
        ("/hang", None, "no answer within 2 s"),
    ],
)
def test_a_bad_receiver_costs_its_own_delivery_an_attempt_recorded_then_failed(
    app, gates, receiver, path, status, error
) -> None:
    hook = add_webhook("bad", f"{receiver.url}{path}")
    delivery_id = delivery_for(hook, gates["Front door"])
    config = settings(app)
    started = time.monotonic()
    delivery = attempt_delivery(delivery_id, config)
    assert time.monotonic() - started < 4.0  # the 2 s timeout, never the receiver's 60 s
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("retrying", 1, status)
    assert error in delivery.last_error
    for _ in range(2):
        delivery = attempt_delivery(delivery_id, config)
    assert (delivery.state, delivery.attempts) == ("failed", 3)
    assert len(receiver.on(path)) == 3  # one request per attempt: a redirect is never followed


def test_an_unresolvable_host_and_a_10_mb_answer(app, gates, receiver) -> None:
    nowhere = add_webhook("nowhere", "http://facegate-receiver.invalid/hook")
    delivery = attempt_delivery(delivery_for(nowhere, gates["Front door"]), settings(app))
    assert delivery.state == "retrying" and delivery.last_status is None
    assert delivery.last_error.startswith("cannot connect:")
    big = add_webhook("big", f"{receiver.url}/big")
    started = time.monotonic()
    delivery = attempt_delivery(delivery_for(big, gates["Front door"], "e2"), settings(app))
    assert delivery.state == "delivered" and time.monotonic() - started < 2.0


def test_an_event_read_twice_is_delivered_once(app, gates, receiver) -> None:
    hook = add_webhook("hr", f"{receiver.url}/ok", "granted, stranger")
    entry = StreamEntry(gates["Front door"], "1-0", {"id": "e1", "type": "granted", "gate_id": gates["Front door"]})
    [first] = record_deliveries(entry, "Front door", [hook])
    assert record_deliveries(entry, "Front door", [hook]) == [first]  # not attempted yet: queue it again
    attempt_delivery(first, settings(app))
    attempt_delivery(first, settings(app))  # a task run twice
    assert record_deliveries(entry, "Front door", [hook]) == []
    assert len(receiver.on("/ok")) == 1 and _db.session.query(WebhookDelivery).count() == 1
    denied = StreamEntry(entry.gate_id, "2-0", {"id": "e2", "type": "denied", "gate_id": entry.gate_id})
    assert record_deliveries(denied, "Front door", [hook]) == []  # not a type it wants


@pytest.mark.slow
def test_the_dispatcher_and_a_webhooks_worker_deliver_while_a_hanging_receiver_waits(
    app, test_env, gates, rds, receiver, tmp_path
) -> None:
    add_webhook("hr", f"{receiver.url}/ok")
    add_webhook("stuck", f"{receiver.url}/hang", "granted")
    env = {**os.environ, **test_env, "FACEGATE_WEBHOOK_TIMEOUT_S": "3", "FACEGATE_WEBHOOK_RETRY_BASE_S": "1"}
    worker = celery_worker(env, tmp_path / "webhooks-worker.log", processes=2, queues="webhooks")
    worker.start()
    stop = threading.Event()
    config = {**app.config, "INTEGRATIONS_RELOAD_S": 0.5}

    def dispatch() -> None:
        with app.app_context():
            dispatcher = WebhookDispatcher(get_redis(app.config["REDIS_URL"]), config, load_gates, queue_delivery)
            dispatcher.run(stop)

    thread = threading.Thread(target=dispatch, daemon=True)
    thread.start()
    try:
        events = [publish(rds, gates["Front door"], kind) for kind in ("granted", "denied", "stranger")]
        assert wait_until(lambda: len(receiver.on("/ok")) == 3, 30), worker.log_tail()
        assert [json.loads(r.body)["id"] for r in receiver.on("/ok")] == [e.id for e in events]
        # Only the granted event was for the stuck receiver: it hangs, and costs nothing but its own delivery.
        assert wait_until(lambda: receiver.on("/hang"), 10)
        _db.session.rollback()
        stuck = _db.session.query(WebhookDelivery).join(Webhook).filter(Webhook.name == "stuck").one()
        assert stuck.event_type == "granted"

        def stuck_attempts() -> int:
            _db.session.rollback()
            return _db.session.get(WebhookDelivery, stuck.id).attempts

        assert wait_until(lambda: stuck_attempts() >= 1, 15)
        assert "no answer within 3 s" in _db.session.get(WebhookDelivery, stuck.id).last_error
    finally:
        stop.set()
        thread.join(timeout=10)
        worker.stop(timeout=20)


def test_only_a_worker_started_for_the_webhooks_queue_takes_deliveries() -> None:
    from celery_config import WEBHOOK_QUEUE, celery_settings

    settings = celery_settings("redis://127.0.0.1:6379/0")
    # A worker without -Q consumes task_queues: recognition workers never pick up a delivery.
    assert WEBHOOK_QUEUE not in {queue.name for queue in settings["task_queues"]}
    assert settings["task_routes"]["facegate.deliver_webhook"] == {"queue": WEBHOOK_QUEUE}


@pytest.mark.slow
def test_the_dispatcher_runs_as_its_own_process_and_stops_cleanly(app, test_env, gates, rds, receiver,
                                                                   tmp_path) -> None:  # fmt: skip
    from testkit.processes import ManagedProcess, python_module

    hook = add_webhook("hr", f"{receiver.url}/ok")
    env = {**os.environ, **test_env, "FACEGATE_INTEGRATIONS_RELOAD_S": "0.5"}
    dispatcher = ManagedProcess("webhooks", python_module("flask", "--app", "wsgi", "integrations", "webhooks"), env,
                                tmp_path / "webhooks.log")  # fmt: skip
    dispatcher.start()
    try:
        event = publish(rds, gates["Back door"], "stranger")

        def queued() -> WebhookDelivery | None:
            _db.session.rollback()
            return _db.session.query(WebhookDelivery).filter_by(webhook_id=hook.id, event_id=event.id).one_or_none()

        assert wait_until(lambda: queued() is not None, 20), dispatcher.log_tail()
        assert queued().state == "pending" and json.loads(queued().body)["gate_name"] == "Back door"
    finally:
        assert dispatcher.stop(timeout=20) == 0
    assert "webhook dispatcher stopped after queueing 1 deliveries" in dispatcher.current_log.read_text()
