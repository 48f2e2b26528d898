"""An MQTT recorder for tests, benchmarks and the demo: subscribes (QoS 1, a persistent session, so a broker restart
loses nothing queued for it) and keeps every message with the time it arrived."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

import paho.mqtt.client as mqtt


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
