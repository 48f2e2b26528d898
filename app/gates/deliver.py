"""Deliver a gate's pending decisions: log row (if any), then the event on the gate's stream and in the event file."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import redis

from app.gates.decide import forget_pending, pending_decisions
from app.gates.event_file import append_event_line
from app.gates.log_writer import record_decision
from app.gates.stream import Event, publish_event

logger = logging.getLogger(__name__)


def deliver_pending(client: redis.Redis, gate_id: int, config: Mapping) -> list[Event]:
    """Deliver every pending decision of gate_id (each step idempotent, so a retry repeats nothing); the new events."""
    delivered = []
    for decision in pending_decisions(client, gate_id):
        event = record_decision(decision)
        if event is None:
            logger.warning("gate %s no longer exists; dropping decision %s", gate_id, decision.id)
        elif publish_event(client, event, config["EVENT_STREAM_MAXLEN"]) is not None:
            append_event_line(config["DATA_DIR"] / "events", event.to_dict(), config["EVENT_FILE_MAX_BYTES"])
            delivered.append(event)
        forget_pending(client, decision)
    return delivered
