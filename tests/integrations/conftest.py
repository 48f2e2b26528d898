"""Fixtures of the integration tests: a private Mosquitto broker, an MQTT recorder, gates and stream events."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from app.accounts import create_gate
from app.cli.integrations import load_gates
from app.config import mqtt_broker
from app.gates.stream import Event, publish_event
from app.integrations.mqtt_publisher import MqttPublisher
from app.redis_client import get_redis
from testkit.mqtt import MqttRecorder
from testkit.processes import ManagedProcess, free_port
from testkit.servers import private_mosquitto


@pytest.fixture()
def broker(tmp_path) -> Iterator[ManagedProcess]:
    """A private Mosquitto on a free port (its port in .port), stopped after the test."""
    port = free_port()
    process = private_mosquitto(tmp_path / "mosquitto", port)
    process.port = port
    process.start(timeout=20)
    yield process
    process.stop(timeout=10)


@pytest.fixture()
def recorder(broker) -> Iterator[MqttRecorder]:
    """A recorder subscribed to everything on the private broker."""
    recording = MqttRecorder(broker.port, ["#"], client_id=f"recorder-{uuid.uuid4().hex[:8]}")
    yield recording
    recording.close()


@pytest.fixture()
def rds(app, redis_client):
    """The product's Redis client (str replies) on the tests' Redis database, emptied first."""
    return get_redis(app.config["REDIS_URL"])


def mqtt_config(app, port: int, **settings) -> dict:
    """The app's configuration with the MQTT publisher pointed at 127.0.0.1:port (settings override)."""
    url = settings.pop("MQTT_URL", f"mqtt://127.0.0.1:{port}")
    config = {**app.config, "MQTT_URL": url, "MQTT_BROKER": mqtt_broker(url), "INTEGRATIONS_RELOAD_S": 0.5}
    config["MQTT_CLIENT_ID"] = f"facegate-test-{uuid.uuid4().hex[:8]}"
    config.update(settings)
    return config


class PublisherThread:
    """The MQTT publisher running in a thread of the test process (in its own app context) until stop()."""

    def __init__(self, app, config: dict) -> None:
        self.publisher = MqttPublisher(get_redis(app.config["REDIS_URL"]), config, load_gates)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(app,), daemon=True)
        self.thread.start()

    def _run(self, app) -> None:
        with app.app_context():
            self.publisher.run(self.stop_event)

    def stop(self) -> None:
        """Ask it to stop and wait until it did."""
        self.stop_event.set()
        self.thread.join(timeout=20)
        assert not self.thread.is_alive()


@pytest.fixture()
def start_publisher(app):
    """start_publisher(config): a PublisherThread, stopped after the test if still running."""
    started = []

    def start(config: dict) -> PublisherThread:
        started.append(PublisherThread(app, config))
        return started[-1]

    yield start
    for publisher in started:
        publisher.stop()


@pytest.fixture()
def gates(db, redis_client) -> dict[str, int]:
    """Two gates, Front door and Back door: their ids by name."""
    return {name: create_gate(name, "0")[0].id for name in ("Front door", "Back door")}


def decision(gate_id: int, kind: str = "granted", name: str | None = "Ada Lovelace") -> Event:
    """A decision event as the gates' delivery makes it."""
    named = kind != "stranger"
    return Event(
        id=uuid.uuid4().hex,
        type=kind,
        gate_id=gate_id,
        staff_id="E042" if named else None,
        name=name if named else None,
        first_name=name.split()[0] if named and name else None,
        direction="in" if kind == "granted" else None,
        timestamp=datetime.now(UTC).isoformat(),
        voice=True,
    )


def publish(rds, gate_id: int, kind: str = "granted", name: str | None = "Ada Lovelace") -> Event:
    """Publish a decision on gate_id's stream, as the delivery does; the event."""
    event = decision(gate_id, kind, name)
    assert publish_event(rds, event, 1000) is not None
    return event
