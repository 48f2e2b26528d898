"""Publish camera_ingest's per-gate counters to the shared metrics in Redis (app/observability/metrics.py)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis

from app.observability.metrics import INGESTS_KEY, MetricsBatch, process_id

logger = logging.getLogger(__name__)

# Reader counter -> shared metric name.
COUNTER_NAMES = {
    "sampled": "frames_received",
    "paced": "frames_paced",
    "dropped": "frames_dropped",
    "sent": "frames_sent",
    "send_errors": "frame_send_errors",
    "open_failures": "camera_open_failures",
}


class StatsPublisher:
    """Adds what the readers counted since the last publish to the shared counters (a failed write is retried)."""

    def __init__(self, client: redis.Redis, read_stats: Callable[[], dict[int, dict]]) -> None:
        self._client, self._read_stats = client, read_stats
        self._published: dict[int, dict] = {}

    def publish(self) -> bool:
        """Write the increments since the last successful publish and this process's heartbeat; whether it worked."""
        stats = self._read_stats()
        batch = MetricsBatch()
        for gate_id, counters in stats.items():
            before = self._published.get(gate_id, {})
            for reader_name, metric in COUNTER_NAMES.items():
                batch.count(metric, (gate_id,), counters.get(reader_name, 0) - before.get(reader_name, 0))
        batch.stamp(INGESTS_KEY, process_id(), f"{time.time():.3f}")
        if not batch.write(self._client):
            return False
        self._published = {gate_id: dict(counters) for gate_id, counters in stats.items()}
        return True

    def run(self, every_s: float, stop: threading.Event) -> None:
        """Publish every every_s seconds until stop is set (a failed round is logged and retried next time)."""
        while not stop.wait(every_s):
            try:
                self.publish()
            except Exception:
                # E.g. the supervisor changed its readers while we read them: the next round catches up.
                logger.exception("publishing the ingest metrics failed")
