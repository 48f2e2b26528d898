"""`flask integrations mqtt` and `flask integrations webhooks`: the MQTT publisher and the webhook dispatcher, each
running until SIGTERM or Ctrl-C (docs/integrations.md)."""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.integrations.follower import GateInfo
from app.integrations.mqtt_publisher import MqttPublisher
from app.integrations.webhook_dispatcher import WebhookDispatcher
from app.integrations.webhooks import queue_delivery
from app.models import Gate
from app.redis_client import get_redis

integrations_cli = AppGroup("integrations", help="Publishing gate events to other systems.")


def load_gates() -> list[GateInfo]:
    """Every gate's id, name and latest heartbeat, read in a transaction of its own (so each call sees new rows)."""
    try:
        rows = db.session.execute(select(Gate.id, Gate.name, Gate.last_heartbeat_at)).all()
        return [GateInfo(row.id, row.name, row.last_heartbeat_at) for row in rows]
    finally:
        db.session.remove()


@integrations_cli.command("mqtt")
def mqtt_command() -> None:
    """Publish every gate's events, state and Home Assistant discovery to FACEGATE_MQTT_URL until stopped."""
    config = current_app.config
    if not config["MQTT_URL"]:
        raise click.ClickException("FACEGATE_MQTT_URL is not set (e.g. mqtt://127.0.0.1:1883): nothing to publish to")
    publisher = MqttPublisher(get_redis(config["REDIS_URL"]), config, load_gates)
    click.echo(f"MQTT publisher: {config['MQTT_URL']} topics {publisher.topics.root}/...; Ctrl-C stops it")
    publisher.run(_stop_on_signals())


@integrations_cli.command("webhooks")
def webhooks_command() -> None:
    """Queue a delivery of every gate event to each webhook that wants it (run `celery -A worker worker -Q webhooks`
    to send them) until stopped."""
    config = current_app.config
    dispatcher = WebhookDispatcher(get_redis(config["REDIS_URL"]), config, load_gates, queue_delivery)
    click.echo("Webhook dispatcher: deliveries go to the `webhooks` queue; Ctrl-C stops it")
    dispatcher.run(_stop_on_signals())


def _stop_on_signals() -> threading.Event:
    """Log to stderr and return an event that SIGTERM or Ctrl-C sets."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_args: stop.set())
    return stop
