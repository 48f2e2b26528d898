"""Backpressure in Redis: at most K frames per gate sent and not yet processed; a frame's slot is also its seq number.

The seq counter lives in Redis too, so it keeps rising across restarts and across ingest hosts.
"""

from __future__ import annotations

import time

import redis

# A frame whose worker never released its slot (it died, the message was lost) stops counting after this long.
STALE_SLOT_S = 30.0

# Atomic: drop stale slots, refuse when full, else take the next seq and hold its slot.
_TAKE_SLOT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return false end
local seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], ARGV[3], seq)
redis.call('EXPIRE', KEYS[1], ARGV[4])
return seq
"""


def in_flight_key(gate_id: int) -> str:
    """The Redis sorted set of gate_id's frames in flight (member seq, score send time)."""
    return f"facegate:gate:{gate_id}:in_flight"


def seq_key(gate_id: int) -> str:
    """The Redis counter of gate_id's frame sequence numbers."""
    return f"facegate:gate:{gate_id}:seq"


def take_slot(client: redis.Redis, gate_id: int, max_in_flight: int, now: float | None = None) -> int | None:
    """The seq of a new frame of gate_id if fewer than max_in_flight are in flight, else None (drop the frame)."""
    now = time.time() if now is None else now
    keys = [in_flight_key(gate_id), seq_key(gate_id)]
    seq = client.eval(_TAKE_SLOT, len(keys), *keys, now - STALE_SLOT_S, max_in_flight, now, int(STALE_SLOT_S * 2))
    return None if seq is None else int(seq)


def release_slot(client: redis.Redis, gate_id: int, seq: int) -> None:
    """Mark frame seq of gate_id as processed (idempotent: a retried task releases nothing twice)."""
    client.zrem(in_flight_key(gate_id), seq)
