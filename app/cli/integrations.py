"""`flask integrations mqtt`: run the MQTT publisher until SIGTERM or Ctrl-C (docs/integrations.md)."""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.integrations.mqtt_publisher import GateInfo, MqttPublisher
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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_args: stop.set())
    publisher = MqttPublisher(get_redis(config["REDIS_URL"]), config, load_gates)
    click.echo(f"MQTT publisher: {config['MQTT_URL']} topics {publisher.topics.root}/...; Ctrl-C stops it")
    publisher.run(stop)
