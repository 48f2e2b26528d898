"""Home Assistant MQTT discovery: each gate a device with six entities reading the gate's retained state topic,
available while facegate's status topic says "online" (the publisher's last will says "offline")."""

from __future__ import annotations

import json

from app.integrations.mqtt_link import Message
from app.integrations.mqtt_topics import Topics

# (component, object id, entity name, extra discovery fields)
ENTITIES = (
    ("sensor", "last_person", "Last person", {"value_template": "{{ value_json.last_person }}", "icon": "mdi:account"}),
    (
        "sensor",
        "last_decision",
        "Last decision",
        {"value_template": "{{ value_json.last_decision }}", "icon": "mdi:face-recognition"},
    ),
    (
        "binary_sensor",
        "lock",
        "Door lock",
        {"device_class": "lock", "value_template": "{{ 'ON' if value_json.lock == 'unlocked' else 'OFF' }}"},
    ),
    (
        "binary_sensor",
        "door",
        "Door",
        {"device_class": "door", "value_template": "{{ 'ON' if value_json.door == 'open' else 'OFF' }}"},
    ),
    (
        "binary_sensor",
        "online",
        "Online",
        {"device_class": "connectivity", "value_template": "{{ 'ON' if value_json.online == 'online' else 'OFF' }}"},
    ),
    (
        "binary_sensor",
        "alarm",
        "Alarm",
        {"device_class": "problem", "value_template": "{{ 'ON' if value_json.alarm == 'on' else 'OFF' }}"},
    ),
)


def _config_topic(discovery_prefix: str, component: str, gate_id: int, object_id: str) -> str:
    return f"{discovery_prefix}/{component}/facegate_gate_{gate_id}/{object_id}/config"


def discovery_messages(topics: Topics, discovery_prefix: str, gate_id: int, gate_name: str) -> list[Message]:
    """The retained discovery configs that make gate_id a Home Assistant device with its entities."""
    device = {
        "identifiers": [f"facegate_gate_{gate_id}"],
        "name": gate_name,
        "manufacturer": "facegate",
        "model": "Face-recognition door",
    }
    messages = []
    for component, object_id, name, extra in ENTITIES:
        config = {
            "name": name,
            "unique_id": f"facegate_gate_{gate_id}_{object_id}",
            "object_id": f"facegate_{gate_id}_{object_id}",
            "state_topic": topics.state(gate_id),
            "json_attributes_topic": topics.state(gate_id),
            "availability_topic": topics.status,
            "payload_available": "online",
            "payload_not_available": "offline",
            "device": device,
            **extra,
        }
        topic = _config_topic(discovery_prefix, component, gate_id, object_id)
        messages.append(Message(topic, json.dumps(config, sort_keys=True), retain=True))
    return messages


def removal_messages(discovery_prefix: str, gate_id: int) -> list[Message]:
    """Empty retained configs: Home Assistant removes the gate's entities (the gate was deleted)."""
    return [
        Message(_config_topic(discovery_prefix, component, gate_id, object_id), "", retain=True)
        for component, object_id, _name, _extra in ENTITIES
    ]
