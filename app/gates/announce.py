"""Tell a gate something that is not a face decision (a remote command, a door alarm, the door's state)."""

from __future__ import annotations

from collections.abc import Mapping

import redis

from app.gates.stream import Event, publish_event


def announce(client: redis.Redis, event: Event, config: Mapping) -> bool:
    """Publish event once on its gate's stream (the event file writer follows it into the event file); whether it
    was new.

    config: the app's settings (EVENT_STREAM_MAXLEN). Raises redis.RedisError when the stream is unreachable.
    """
    return publish_event(client, event, config["EVENT_STREAM_MAXLEN"]) is not None


def gate_event(gate_id: int, event_id: str, kind: str, timestamp: str, voice: bool, **fields) -> Event:
    """An event about the gate itself (no person): kind, when, and optional reason, by and until."""
    return Event(id=event_id, type=kind, gate_id=gate_id, staff_id=None, name=None, first_name=None, direction=None,
                 timestamp=timestamp, voice=voice, **fields)
