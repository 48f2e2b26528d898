"""facegate's MQTT topics and JSON payloads, version 1 (docs/integrations.md is their contract).

    <prefix>/v1/status                   "online" / "offline" (retained; the last will says "offline")
    <prefix>/v1/gates/<id>/events        every event of the gate, in stream order (QoS 1)
    <prefix>/v1/gates/<id>/state         the gate's state after its latest event (retained unless retain=none)
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from app.integrations.follower import StreamEntry
from app.integrations.mqtt_link import Message

SCHEMA_VERSION = 1
ONLINE, OFFLINE = "online", "offline"
# The state fields published (relock_at is the publisher's own bookkeeping).
STATE_FIELDS = ("last_person", "last_decision", "last_event", "lock", "door", "online", "alarm", "updated_at")


@dataclass(frozen=True)
class Topics:
    """Topic names under a prefix, and the retain policy: "state" (status and state topics), "all" or "none"."""

    prefix: str
    retain: str = "state"

    @property
    def root(self) -> str:
        """The versioned root every topic is under."""
        return f"{self.prefix}/v{SCHEMA_VERSION}"

    @property
    def status(self) -> str:
        """facegate's own availability: "online" while the publisher runs, "offline" after (or its last will)."""
        return f"{self.root}/status"

    def events(self, gate_id: int) -> str:
        """Every event of gate_id."""
        return f"{self.root}/gates/{gate_id}/events"

    def state(self, gate_id: int) -> str:
        """The current state of gate_id."""
        return f"{self.root}/gates/{gate_id}/state"

    def status_message(self, value: str) -> Message:
        """The status message (always retained, so that late subscribers and Home Assistant see it)."""
        return Message(self.status, value, retain=self.retain != "none")

    def event_message(self, entry: StreamEntry, gate_name: str | None) -> Message:
        """The event-topic message for entry: the event's fields plus v, gate_name and stream_id."""
        payload = {**entry.event, "v": SCHEMA_VERSION, "gate_name": gate_name, "stream_id": entry.stream_id}
        return Message(self.events(entry.gate_id), json.dumps(payload, sort_keys=True), retain=self.retain == "all")

    def state_message(self, gate_id: int, gate_name: str | None, state: dict) -> Message:
        """The state-topic message of gate_id."""
        payload = {name: state.get(name) for name in STATE_FIELDS}
        payload.update(v=SCHEMA_VERSION, gate_id=gate_id, gate_name=gate_name)
        return Message(self.state(gate_id), json.dumps(payload, sort_keys=True), retain=self.retain != "none")
