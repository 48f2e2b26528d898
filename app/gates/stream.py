"""Per-gate Redis event streams: each decision's event is published exactly once and read back by cursor."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

import redis

# Remote door commands (app/gates/commands.py), then door alarms and the door's state (app/gates/doors.py).
COMMAND_TYPES = ("remote_unlock", "hold_open", "hold_open_ended", "lockdown", "lockdown_released")
DOOR_TYPES = ("door_forced_open", "door_held_open", "alarm_acknowledged", "door_opened", "door_closed", "exit_pressed")
# Decisions about a face, a gate going online or offline (app/gates/presence.py), commands and door events.
EVENT_TYPES = ("granted", "denied", "stranger", "spoof", "gate_online", "gate_offline", *COMMAND_TYPES, *DOOR_TYPES)
# Every event is also added here, so the admin live page reads one stream instead of one per gate.
ALL_EVENTS_KEY = "facegate:events"
# How long a published event's id is remembered, so a retried decision never publishes twice.
PUBLISHED_MARKER_TTL_S = 7 * 24 * 3600
CURSOR_PATTERN = re.compile(r"^[0-9]{1,20}(-[0-9]{1,20})?$")
# Both parts of a Redis stream id are unsigned 64-bit; Redis answers an error for anything larger.
MAX_CURSOR_PART = 2**64 - 1

# Atomic: a retried or racing publish of the same event finds the marker and adds nothing.
_PUBLISH_ONCE = """
local existing = redis.call('GET', KEYS[1])
if existing then return {0, existing} end
local entry = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'event', ARGV[1])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', 'event', ARGV[1])
redis.call('SET', KEYS[1], entry, 'EX', ARGV[3])
return {1, entry}
"""


@dataclass(frozen=True)
class Event:
    """What a gate is told about one decision (the JSON contract of the gate endpoint, see docs/live.md)."""

    id: str
    type: str
    gate_id: int
    staff_id: str | None
    name: str | None
    first_name: str | None
    direction: str | None
    timestamp: str
    voice: bool
    # Why a person was denied ("not cleared for this gate", "outside schedule Office hours", "holiday ...",
    # "anti-passback", "pass expired"), or the rule a granted pass broke (soft anti-passback); else None.
    reason: str | None = None
    # A remote command's sender (an admin's username or cli:<user>) and, for hold_open, when the hold ends (ISO).
    by: str | None = None
    until: str | None = None
    # "spoof" when the face was not live: a spoof event, or a decision a gate in liveness warn mode let stand.
    liveness: str | None = None

    def to_dict(self) -> dict:
        """The event as the JSON object the endpoint returns."""
        return asdict(self)


class CursorError(ValueError):
    """A stream cursor that is not a Redis stream id."""


def gate_stream_key(gate_id: int) -> str:
    """The Redis key of gate_id's event stream."""
    return f"facegate:gate:{gate_id}:events"


def _published_marker_key(event_id: str) -> str:
    return f"facegate:event:{event_id}:published"


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def publish_event(client: redis.Redis, event: Event, maxlen: int) -> str | None:
    """Add event to its gate's stream (trimmed to about maxlen) unless already there; the new entry id, or None."""
    if event.type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event.type!r}")
    payload = json.dumps(event.to_dict(), sort_keys=True)
    keys = [_published_marker_key(event.id), gate_stream_key(event.gate_id), ALL_EVENTS_KEY]
    added, entry = client.eval(_PUBLISH_ONCE, len(keys), *keys, payload, maxlen, PUBLISHED_MARKER_TTL_S)
    return _text(entry) if added else None


def check_cursor(cursor: str | None) -> str:
    """The stream id to read after: cursor itself, or "0" (the start of the retained stream) when absent."""
    cursor = (cursor or "0").strip()
    if not CURSOR_PATTERN.fullmatch(cursor) or any(int(part) > MAX_CURSOR_PART for part in cursor.split("-")):
        raise CursorError(f"bad cursor {cursor!r}: expected a stream id such as '1700000000000-0', or '0'")
    return cursor


def read_gate_events(
    client: redis.Redis, gate_id: int, after: str | None, wait_s: float = 0.0, count: int = 100
) -> tuple[list[dict], str]:
    """Events of gate_id after the cursor (waiting up to wait_s for one), and the cursor to pass next time."""
    cursor = check_cursor(after)
    block_ms = int(wait_s * 1000)
    reply = client.xread({gate_stream_key(gate_id): cursor}, count=count, block=block_ms if block_ms > 0 else None)
    events = []
    for _key, entries in reply or []:
        for entry_id, fields in entries:
            events.append(json.loads(_text(fields.get("event") or fields.get(b"event"))))
            cursor = _text(entry_id)
    return events, cursor


def recent_events(client: redis.Redis, limit: int = 50) -> list[dict]:
    """The latest events across all gates, newest first (for the admin live page)."""
    entries = client.xrevrange(ALL_EVENTS_KEY, count=limit)
    return [json.loads(_text(fields.get("event") or fields.get(b"event"))) for _entry_id, fields in entries]
