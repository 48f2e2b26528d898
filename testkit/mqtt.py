"""MQTT for tests and benchmarks: a recorder that subscribes (QoS 1, a persistent session, so a broker restart loses
nothing queued for it) and keeps every message with the time it arrived; the publisher as a process; a steady load
of events on many gates' streams."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import redis

from app.gates.stream import Event, publish_event
from testkit.processes import ManagedProcess, python_module


@dataclass(frozen=True)
class Received:
    """One message as it arrived: topic, payload text, whether it was a retained one, time.time() of arrival."""

    topic: str
    payload: str
    retained: bool
    at: float

    def json(self) -> dict:
        """The payload parsed as JSON."""
        return json.loads(self.payload)


class MqttRecorder:
    """Subscribes to topic filters on 127.0.0.1:port and records what arrives; reconnects by itself."""

    def __init__(
        self, port: int, filters: list[str], client_id: str = "facegate-test-recorder",
        auth: tuple[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self._filters = filters
        self.connected = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        self.client.reconnect_delay_set(0.1, 1)
        if auth:
            self.client.username_pw_set(*auth)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *_args: self.connected.clear()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        if not self.connected.wait(10):
            raise RuntimeError(f"the recorder could not connect to 127.0.0.1:{port}")

    def _on_connect(self, client, _userdata, _flags, reason_code, _properties) -> None:
        if not reason_code.is_failure:
            client.subscribe([(topic, 1) for topic in self._filters])
            self.connected.set()

    def _on_message(self, _client, _userdata, message) -> None:
        with self._lock:
            self.messages.append(Received(message.topic, message.payload.decode(), bool(message.retain), time.time()))

    def on(self, topic: str) -> list[Received]:
        """The messages received on topic so far, in arrival order."""
        with self._lock:
            return [message for message in self.messages if message.topic == topic]

    def matching(self, predicate) -> list[Received]:
        """The messages received so far for which predicate(message) is true."""
        with self._lock:
            return [message for message in self.messages if predicate(message)]

    def close(self) -> None:
        """Disconnect (the session stays on the broker) and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()


def mqtt_publisher(env: Mapping[str, str], port: int, log_path: Path) -> ManagedProcess:
    """`flask integrations mqtt` (not started) with env, publishing to the broker on 127.0.0.1:port."""
    env = {**env, "FACEGATE_MQTT_URL": f"mqtt://127.0.0.1:{port}", "FACEGATE_INTEGRATIONS_RELOAD_S": "1"}
    return ManagedProcess("mqtt", python_module("flask", "--app", "wsgi", "integrations", "mqtt"), env, log_path)


class EventLoad:
    """Decision events published on the gates' streams (as the delivery does) at a steady total rate, spread over the
    gates in turn, from a thread; what was published is kept (id, gate, stream entry id) in order."""

    def __init__(self, client: redis.Redis, gate_ids: list[int], per_second: float, maxlen: int = 1000) -> None:
        self.client, self.gate_ids, self.period, self.maxlen = client, gate_ids, 1.0 / per_second, maxlen
        self.published: list[tuple[str, int, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        started, n = time.monotonic(), 0
        while not self._stop.is_set():
            gate_id = self.gate_ids[n % len(self.gate_ids)]
            event = Event(id=uuid.uuid4().hex, type=("granted", "denied", "stranger")[n % 3], gate_id=gate_id,
                          staff_id=None, name=f"Person {n % 50}", first_name=None, direction=None,
                          timestamp=datetime.now(UTC).isoformat(), voice=False)  # fmt: skip
            entry = publish_event(self.client, event, self.maxlen)
            self.published.append((event.id, gate_id, entry))
            n += 1
            self._stop.wait(max(0.0, started + n * self.period - time.monotonic()))

    def start(self) -> EventLoad:
        """Start publishing."""
        self._thread.start()
        return self

    def stop(self) -> list[tuple[str, int, str]]:
        """Stop publishing; what was published."""
        self._stop.set()
        self._thread.join()
        return self.published
