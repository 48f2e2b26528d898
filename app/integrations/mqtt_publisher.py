"""The MQTT publisher: follows every gate's event stream (its own cursors, consumer "mqtt") and publishes each event
and the gate's state, committing the cursors only after the broker acknowledged; reconnects with backoff.

Run by `flask integrations mqtt` (app/cli/integrations.py); one per site.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping

import redis

from app.integrations.follower import GateInfo, StreamFollower, announce_presence
from app.integrations.gate_state import fold_event, initial_state, relock_if_due
from app.integrations.hass import discovery_messages, removal_messages
from app.integrations.mqtt_link import BrokerError, BrokerLink, BrokerSettings, Message
from app.integrations.mqtt_topics import OFFLINE, ONLINE, Topics
from app.integrations.status import record_status

logger = logging.getLogger(__name__)
STATE_KEY = "facegate:integrations:mqtt:state"
DISCOVERED_KEY = "facegate:integrations:mqtt:discovered"
MAX_BACKOFF_S = 30.0


class MqttPublisher:
    """Publishes the gates' events to the broker configured in config (FACEGATE_MQTT_*)."""

    def __init__(
        self,
        client: redis.Redis,
        config: Mapping,
        load_gates: Callable[[], list[GateInfo]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = client
        self.config = config
        self.load_gates = load_gates
        self.clock = clock
        self.follower = StreamFollower(client, "mqtt")
        self.topics = Topics(config["MQTT_TOPIC_PREFIX"], config["MQTT_RETAIN"])
        self.settings = BrokerSettings.from_config(config)
        self.gates: dict[int, GateInfo] = {}
        self.states: dict[int, dict] = {}
        self.published = 0

    def run(self, stop: threading.Event) -> None:
        """Connect, publish until stop is set (reconnecting with backoff after any broker failure), then say offline."""
        backoff = 1.0
        while not stop.is_set():
            link = BrokerLink(self.settings, self.topics.status_message(OFFLINE))
            try:
                link.connect()
            except BrokerError as exc:
                logger.error("MQTT: %s; retrying in %g s", exc, backoff)
                record_status(self.redis, "mqtt", "error", f"{exc}; retrying")
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            logger.info("MQTT: connected to %s:%s", self.settings.host, self.settings.port)
            record_status(self.redis, "mqtt", "ok", f"connected to {self.settings.host}:{self.settings.port}")
            backoff = 1.0
            try:
                self._serve(link, stop)
                link.publish([self.topics.status_message(OFFLINE)])
            except BrokerError as exc:
                logger.error("MQTT: %s; reconnecting", exc)
                record_status(self.redis, "mqtt", "error", f"{exc}; reconnecting")
            finally:
                link.close()
        logger.info("MQTT publisher stopped after %d messages", self.published)
        record_status(self.redis, "mqtt", "stopped", f"stopped after {self.published} messages")

    def _serve(self, link: BrokerLink, stop: threading.Event) -> None:
        self.gates = {}
        self.states = {int(gate): json.loads(raw) for gate, raw in self.redis.hgetall(STATE_KEY).items()}
        self._publish(link, [self.topics.status_message(ONLINE)])
        next_reload = 0.0
        while not stop.is_set():
            link.check()
            if self.clock() >= next_reload:
                self.reload(link)
                next_reload = self.clock() + self.config["INTEGRATIONS_RELOAD_S"]
            self.publish_new_events(link, block_ms=500)
            self.relock_due(link)

    def _publish(self, link: BrokerLink, messages: list[Message]) -> None:
        link.publish(messages)
        self.published += len(messages)

    def _state(self, gate_id: int) -> dict:
        return self.states.get(gate_id) or initial_state()

    def reload(self, link: BrokerLink) -> None:
        """Re-read the gates: announce online/offline changes on their streams, (re)announce them to Home Assistant
        and publish the state of gates new to this connection."""
        gates = {gate.id: gate for gate in self.load_gates()}
        announce_presence(self.redis, gates.values(), self.config["EVENT_STREAM_MAXLEN"])
        messages = []
        for gate in gates.values():
            known = self.gates.get(gate.id)
            if known is not None and known.name == gate.name:
                continue
            if self.config["MQTT_DISCOVERY"]:
                messages += discovery_messages(self.topics, self.config["MQTT_DISCOVERY_PREFIX"], gate.id, gate.name)
            messages.append(self.topics.state_message(gate.id, gate.name, self._state(gate.id)))
        discovered = {int(gate) for gate in self.redis.smembers(DISCOVERED_KEY)}
        for gone in discovered - set(gates):
            messages += removal_messages(self.config["MQTT_DISCOVERY_PREFIX"], gone)
        if messages:
            self._publish(link, messages)
        pipe = self.redis.pipeline()
        pipe.delete(DISCOVERED_KEY)
        if gates:
            pipe.sadd(DISCOVERED_KEY, *gates)
        pipe.execute()
        self.gates = gates

    def publish_new_events(self, link: BrokerLink, block_ms: int = 500) -> int:
        """Publish the events after the cursors (waiting up to block_ms for one) and commit; how many there were."""
        entries = self.follower.read(self.follower.cursors(self.gates), block_ms=block_ms)
        if not entries:
            return 0
        states = {}
        messages = []
        for entry in entries:
            gate = self.gates.get(entry.gate_id)
            name = gate.name if gate else None
            states[entry.gate_id] = fold_event(
                states.get(entry.gate_id) or self._state(entry.gate_id), entry.event, self.config["MQTT_RELOCK_S"]
            )
            messages.append(self.topics.event_message(entry, name))
        for gate_id, state in states.items():
            gate = self.gates.get(gate_id)
            messages.append(self.topics.state_message(gate_id, gate.name if gate else None, state))
        self._publish(link, messages)
        self._commit_states(states, entries)
        return len(entries)

    def relock_due(self, link: BrokerLink) -> None:
        """Publish the lock closed again on gates whose grant's open time is over."""
        now = self.clock()
        due = {gate_id: relocked for gate_id, state in self.states.items()
               if (relocked := relock_if_due(state, now)) is not None}
        if not due:
            return
        self._publish(link, [
            self.topics.state_message(gate_id, self.gates[gate_id].name if gate_id in self.gates else None, state)
            for gate_id, state in due.items()
        ])
        self._commit_states(due, [])

    def _commit_states(self, states: dict[int, dict], entries: list) -> None:
        pipe = self.redis.pipeline(transaction=True)
        self.follower.commit(entries, pipe)
        pipe.hset(STATE_KEY, mapping={str(gate): json.dumps(state) for gate, state in states.items()})
        pipe.execute()
        self.states.update(states)
