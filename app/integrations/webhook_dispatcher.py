"""The webhook dispatcher: follows every gate's event stream (its own cursors, consumer "webhooks"), records a
delivery for each webhook that wants the event and hands it to the `webhooks` queue; the cursors move only after.

Run by `flask integrations webhooks` (app/cli/integrations.py); one per site. It never sends a request itself.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping

import redis
from sqlalchemy.exc import SQLAlchemyError

from app.integrations.follower import GateInfo, StreamFollower, announce_presence
from app.integrations.status import record_status
from app.integrations.webhooks import active_webhooks, record_deliveries
from app.models import Webhook

logger = logging.getLogger(__name__)


class WebhookDispatcher:
    """Turns stream events into queued webhook deliveries; enqueue(delivery_id) sends one to the task queue."""

    def __init__(
        self,
        client: redis.Redis,
        config: Mapping,
        load_gates: Callable[[], list[GateInfo]],
        enqueue: Callable[[int], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis = client
        self.config = config
        self.load_gates = load_gates
        self.enqueue = enqueue
        self.clock = clock
        self.follower = StreamFollower(client, "webhooks")
        self.gates: dict[int, GateInfo] = {}
        self.hooks: list[Webhook] = []
        self.queued = 0

    def run(self, stop: threading.Event) -> None:
        """Dispatch until stop is set; a Redis or database outage is logged and retried."""
        next_reload = 0.0
        while not stop.is_set():
            try:
                if self.clock() >= next_reload:
                    self.reload()
                    next_reload = self.clock() + self.config["INTEGRATIONS_RELOAD_S"]
                self.dispatch_new_events(block_ms=500)
            except (redis.RedisError, SQLAlchemyError) as exc:
                logger.error("webhooks: %s; retrying in 2 s", exc)
                with contextlib.suppress(redis.RedisError):
                    record_status(self.redis, "webhooks", "error", f"{exc}; retrying")
                stop.wait(2.0)
        logger.info("webhook dispatcher stopped after queueing %d deliveries", self.queued)
        record_status(self.redis, "webhooks", "stopped", f"stopped after queueing {self.queued} deliveries")

    def reload(self) -> None:
        """Re-read the gates (announcing online/offline changes) and the active webhooks."""
        self.gates = {gate.id: gate for gate in self.load_gates()}
        announce_presence(self.redis, self.gates.values(), self.config["EVENT_STREAM_MAXLEN"])
        self.hooks = active_webhooks()
        record_status(self.redis, "webhooks", "ok", f"following {len(self.gates)} gates for {len(self.hooks)} "
                                                    f"active webhooks; {self.queued} deliveries queued")  # fmt: skip

    def dispatch_new_events(self, block_ms: int = 500) -> int:
        """Record and queue the deliveries of the events after the cursors, then commit them; how many events."""
        entries = self.follower.read(self.follower.cursors(self.gates), block_ms=block_ms)
        for entry in entries:
            gate = self.gates.get(entry.gate_id)
            for delivery_id in record_deliveries(entry, gate.name if gate else None, self.hooks):
                self.enqueue(delivery_id)
                self.queued += 1
        self.follower.commit(entries)
        return len(entries)
