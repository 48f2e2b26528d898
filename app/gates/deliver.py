"""Deliver a gate's pending decisions: log row (if any), then the event on the gate's stream (which the site's one
event file writer follows: app/gates/event_file.py)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime

import redis

from app.enrolment.site_faces import record_decision_face
from app.gates.decide import forget_pending, pending_decisions
from app.gates.decision_faces import forget_stash, take_stash
from app.gates.log_writer import record_decision
from app.gates.stream import Event, publish_event

logger = logging.getLogger(__name__)


def deliver_pending(client: redis.Redis, gate_id: int, config: Mapping, embedder: str) -> list[Event]:
    """Deliver every pending decision of gate_id (each step idempotent, so a retry repeats nothing); the new events.

    embedder: the name of the pipeline's embedding layout, recorded with each decision's face.
    """
    delivered = []
    for decision in pending_decisions(client, gate_id):
        event = record_decision(decision)
        if event is None:
            logger.warning("gate %s no longer exists; dropping decision %s", gate_id, decision.id)
        else:
            stash = take_stash(client, decision)
            captured_at = datetime.fromtimestamp(decision.captured_at, UTC)
            record_decision_face(decision.id, gate_id, event.type, event.staff_id, captured_at, stash.vector, embedder,
                                 stash.crop, stash.frame)  # fmt: skip
            if publish_event(client, event, config["EVENT_STREAM_MAXLEN"]) is not None:
                delivered.append(event)
        forget_pending(client, decision)
        forget_stash(client, decision)
    return delivered
