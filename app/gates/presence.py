"""A gate's presence: `gate_online` / `gate_offline` events on its stream when its heartbeats start or stop.

Whoever checks (each integrations process, every few seconds) compares each gate's last heartbeat with the state
last announced, kept in Redis; the event goes on the gate's stream first, in order with its decisions, and the state
is recorded after, so a crash in between announces a change again rather than never. An event's id is derived from
what it announces (the heartbeat a silence began after, the announcement it follows), so checkers that race publish
it once (app/gates/stream.py remembers published ids).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis

from app.gates.stream import Event, publish_event

ONLINE, OFFLINE = "gate_online", "gate_offline"
PRESENCE_TYPES = (ONLINE, OFFLINE)
# A gate that sent no heartbeat for this long is offline (the admin's gate list uses the same silence).
MAX_SILENCE = timedelta(seconds=60)


@dataclass(frozen=True)
class GatePresence:
    """What the check needs to know of a gate: its id and its latest heartbeat (None: never)."""

    gate_id: int
    last_heartbeat_at: datetime | None


def _presence_key(gate_id: int) -> str:
    return f"facegate:gate:{gate_id}:presence"


def presence_event(gate_id: int, kind: str, at: datetime, seed: str) -> Event:
    """The event announcing that gate_id went online or offline at `at` (UTC); its id derives from seed."""
    return Event(
        id=hashlib.sha256(f"{gate_id}:{kind}:{seed}".encode()).hexdigest()[:32],
        type=kind,
        gate_id=gate_id,
        staff_id=None,
        name=None,
        first_name=None,
        direction=None,
        timestamp=at.isoformat(),
        voice=False,
    )


def announce_presence_changes(
    client: redis.Redis, gates: list[GatePresence], now: datetime, maxlen: int
) -> list[Event]:
    """Publish an online/offline event for each gate whose state differs from the one last announced; the events."""
    announced = []
    for gate in gates:
        online = gate.last_heartbeat_at is not None and now - gate.last_heartbeat_at <= MAX_SILENCE
        kind = ONLINE if online else OFFLINE
        stored = client.get(_presence_key(gate.gate_id))
        previous_kind, _, previous_id = (stored.decode() if isinstance(stored, bytes) else stored or "").partition(" ")
        if previous_kind == kind:
            continue
        if not previous_kind and not online:
            # A gate never announced and silent now: record it, with nothing to tell (it never went anywhere).
            client.set(_presence_key(gate.gate_id), f"{kind} -")
            continue
        if online:
            event = presence_event(gate.gate_id, kind, now, f"after {previous_id or '-'}")
        else:
            event = presence_event(gate.gate_id, kind, gate.last_heartbeat_at + MAX_SILENCE,
                                   f"silent after {gate.last_heartbeat_at.isoformat()}")
        if publish_event(client, event, maxlen) is not None:
            announced.append(event)
        client.set(_presence_key(gate.gate_id), f"{kind} {event.id}")
    return announced
