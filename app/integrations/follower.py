"""Follow every gate's event stream with a durable cursor per gate, kept in Redis under a consumer's name.

A consumer reads a batch, hands it on (to a broker, to a delivery queue) and commits the cursors only once that
worked: a crash or a failure in between means the batch is read again, so every event is handed on at least once
and, per gate, in stream order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import redis

from app.gates.presence import GatePresence, announce_presence_changes
from app.gates.stream import gate_stream_key


@dataclass(frozen=True)
class GateInfo:
    """A gate as the integrations need it: id, name and latest heartbeat (UTC, None: never)."""

    id: int
    name: str
    last_heartbeat_at: datetime | None


def announce_presence(client: redis.Redis, gates: Iterable[GateInfo], maxlen: int) -> None:
    """Put gate_online / gate_offline events on the streams of gates whose heartbeats started or stopped."""
    presence = [GatePresence(gate.id, gate.last_heartbeat_at) for gate in gates]
    announce_presence_changes(client, presence, datetime.now(UTC), maxlen)


@dataclass(frozen=True)
class StreamEntry:
    """One event read from a gate's stream: the gate, the stream entry id and the event's JSON object."""

    gate_id: int
    stream_id: str
    event: dict


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


class StreamFollower:
    """Reads the gates' event streams after the cursors committed under name (at the start of the retained stream
    for a gate it has never read)."""

    def __init__(self, client: redis.Redis, name: str) -> None:
        self.client = client
        self.name = name
        self.cursor_key = f"facegate:integrations:{name}:cursors"

    def cursors(self, gate_ids: Iterable[int]) -> dict[int, str]:
        """The committed cursor of each gate ("0" where none is)."""
        gate_ids = list(gate_ids)
        if not gate_ids:
            return {}
        stored = self.client.hmget(self.cursor_key, [str(gate_id) for gate_id in gate_ids])
        return {gate_id: _text(value) if value else "0" for gate_id, value in zip(gate_ids, stored, strict=True)}

    def read(self, cursors: dict[int, str], block_ms: int = 1000, count: int = 100) -> list[StreamEntry]:
        """The events after cursors (up to count per gate, waiting up to block_ms for one), in stream order per gate."""
        if not cursors:
            return []
        streams = {gate_stream_key(gate_id): cursor for gate_id, cursor in cursors.items()}
        reply = self.client.xread(streams, count=count, block=block_ms if block_ms > 0 else None)
        found = []
        for key, entries in reply or []:
            gate_id = int(_text(key).split(":")[2])
            for entry_id, fields in entries:
                raw = fields.get("event") or fields.get(b"event")
                found.append(StreamEntry(gate_id, _text(entry_id), json.loads(_text(raw))))
        return found

    def commit(self, entries: Iterable[StreamEntry], pipe: redis.client.Pipeline | None = None) -> dict[int, str]:
        """Record entries as handed on (through pipe, if given, to commit with other writes): each gate's cursor moves
        to its last entry; the new cursors."""
        latest = {entry.gate_id: entry.stream_id for entry in entries}
        if latest:
            (pipe or self.client).hset(self.cursor_key, mapping={str(gate): cursor for gate, cursor in latest.items()})
        return latest
