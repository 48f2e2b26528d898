"""One connection to the MQTT broker (paho-mqtt): connect with a last will, publish a batch and wait for the
broker's acknowledgements (QoS 1). Any failure closes the connection; the caller opens a new one and republishes
from its committed cursors, so nothing paho queued in memory matters."""

from __future__ import annotations

import logging
import ssl
import threading
import time
from dataclasses import dataclass

import paho.mqtt.client as mqtt

logger = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 10.0


class BrokerError(RuntimeError):
    """The broker cannot be reached, refused the connection (credentials, TLS) or did not acknowledge in time."""


@dataclass(frozen=True)
class Message:
    """One MQTT message to publish: topic, payload (text), whether the broker keeps it for new subscribers."""

    topic: str
    payload: str
    retain: bool = False


@dataclass(frozen=True)
class BrokerSettings:
    """Where the broker is and how to sign in: from FACEGATE_MQTT_* (app/config.py)."""

    host: str
    port: int
    tls: bool
    username: str
    password: str
    ca_file: str
    client_id: str

    @classmethod
    def from_config(cls, config: dict) -> BrokerSettings:
        """The settings of a configured broker (FACEGATE_MQTT_URL set; credentials there or in their own vars)."""
        broker = config["MQTT_BROKER"]
        return cls(
            host=broker["host"],
            port=broker["port"],
            tls=broker["tls"],
            username=config["MQTT_USERNAME"] or broker["username"],
            password=config["MQTT_PASSWORD"] or broker["password"],
            ca_file=config["MQTT_CA_FILE"],
            client_id=config["MQTT_CLIENT_ID"],
        )


class BrokerLink:
    """A connected paho client; its last will publishes will_payload (retained) on will_topic if it drops."""

    def __init__(self, settings: BrokerSettings, will: Message, ack_timeout_s: float = 15.0) -> None:
        self.settings = settings
        self.ack_timeout_s = ack_timeout_s
        self._connected = threading.Event()
        self._refused: str | None = None
        # No reconnecting inside paho: a lost connection surfaces here, and the publisher reconnects, republishing its
        # status, discovery and states (a broker without persistence forgot them) and what was not acknowledged.
        version = mqtt.CallbackAPIVersion.VERSION2
        client = mqtt.Client(version, client_id=settings.client_id, clean_session=True, reconnect_on_failure=False)
        client.will_set(will.topic, will.payload, qos=1, retain=will.retain)
        if settings.username:
            client.username_pw_set(settings.username, settings.password or None)
        if settings.tls:
            client.tls_set(ca_certs=settings.ca_file or None, cert_reqs=ssl.CERT_REQUIRED)
        client.max_inflight_messages_set(200)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        self._client = client

    def _on_connect(self, _client, _userdata, _flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            self._refused = str(reason_code)
        else:
            self._connected.set()

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _properties) -> None:
        self._connected.clear()

    def connect(self) -> None:
        """Connect and wait for the broker's answer; BrokerError (with the reason) when that fails."""
        where = f"{self.settings.host}:{self.settings.port}"
        try:
            self._client.connect(self.settings.host, self.settings.port, keepalive=30)
        except ssl.SSLError as exc:
            raise BrokerError(f"TLS with the MQTT broker {where} failed: {exc}") from exc
        except OSError as exc:
            raise BrokerError(f"cannot reach the MQTT broker {where}: {exc}") from exc
        self._client.loop_start()
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while not self._connected.is_set() and self._refused is None and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self._connected.is_set():
            reason = self._refused or f"no answer within {CONNECT_TIMEOUT_S:g} s"
            self.close()
            raise BrokerError(f"the MQTT broker {where} refused the connection: {reason}")

    def check(self) -> None:
        """BrokerError if the connection was lost."""
        if not self._connected.is_set():
            raise BrokerError(f"lost the connection to the MQTT broker {self.settings.host}:{self.settings.port}")

    def publish(self, messages: list[Message]) -> None:
        """Publish messages in order (QoS 1) and return once the broker acknowledged all; BrokerError otherwise."""
        infos = []
        for message in messages:
            info = self._client.publish(message.topic, message.payload, qos=1, retain=message.retain)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                raise BrokerError(f"publish to {message.topic} failed: {mqtt.error_string(info.rc)}")
            infos.append(info)
        deadline = time.monotonic() + self.ack_timeout_s
        for info in infos:
            while not info.is_published():
                self.check()
                if time.monotonic() > deadline:
                    raise BrokerError(f"the broker did not acknowledge {len(infos)} messages within "
                                      f"{self.ack_timeout_s:g} s")
                time.sleep(0.005)

    def close(self) -> None:
        """Disconnect cleanly (the broker does not publish the last will) and stop paho's network thread."""
        self._client.disconnect()
        self._client.loop_stop()
