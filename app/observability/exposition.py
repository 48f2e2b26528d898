"""The Prometheus exposition: the shared counters and histograms from Redis, plus gauges read at scrape time."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from datetime import UTC

import redis
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from sqlalchemy import select

from app.enrolment.model_store import newest_version
from app.extensions import db
from app.gates.decide import pending_key
from app.gates.in_flight import in_flight_key
from app.models import Gate
from app.observability.metrics import (
    COUNTERS,
    HISTOGRAMS,
    INGESTS_KEY,
    LAST_FRAME_KEY,
    WORKERS_KEY,
    read_counter,
    read_histogram,
    read_stamps,
)
from celery_config import QUEUES

# A gate whose last heartbeat is older than this is offline (as on the admin pages).
GATE_ONLINE_S = 60.0


class FacegateCollector:
    """Collects facegate's metrics on each scrape (prometheus_client's custom-collector protocol)."""

    def __init__(self, client: redis.Redis, config: Mapping) -> None:
        self.client, self.config = client, config

    def collect(self) -> Iterator[Metric]:
        """Every facegate metric, read now."""
        yield from self._shared()
        yield from self._queues()
        yield from self._gates()
        yield from self._processes()

    def _shared(self) -> Iterator[Metric]:
        for name, spec in COUNTERS.items():
            family = CounterMetricFamily(f"facegate_{name}", spec.help, labels=spec.labels)
            for labels, value in sorted(read_counter(self.client, name).items()):
                family.add_metric(labels, value)
            yield family
        for name, spec in HISTOGRAMS.items():
            family = HistogramMetricFamily(f"facegate_{name}", spec.help, labels=spec.labels)
            for labels, (buckets, total) in sorted(read_histogram(self.client, name).items()):
                family.add_metric(labels, buckets, total)
            yield family

    def _queues(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("facegate_queue_length", "Tasks waiting in each Celery queue", labels=["queue"])
        with self.client.pipeline(transaction=False) as pipe:
            for queue in QUEUES:
                pipe.llen(queue)
            lengths = pipe.execute()
        for queue, length in zip(QUEUES, lengths, strict=True):
            family.add_metric([queue], length)
        yield family

    def _gates(self) -> Iterator[Metric]:
        now = time.time()
        gates = db.session.execute(select(Gate.id, Gate.active, Gate.last_heartbeat_at).order_by(Gate.id)).all()
        db.session.remove()
        up = GaugeMetricFamily(
            "facegate_gate_up", "1 when the gate's client sent a heartbeat within 60 s", labels=["gate"]
        )
        age = GaugeMetricFamily(
            "facegate_gate_heartbeat_age_seconds", "Seconds since the gate's last heartbeat", labels=["gate"]
        )
        in_flight = GaugeMetricFamily("facegate_frames_in_flight", "Frames sent and not yet processed", labels=["gate"])
        pending = GaugeMetricFamily(
            "facegate_decisions_pending", "Decisions made but not yet delivered (log row, event)", labels=["gate"]
        )
        frame_age = GaugeMetricFamily(
            "facegate_gate_last_frame_age_seconds",
            "Seconds since the capture of the gate's newest processed frame",
            labels=["gate"],
        )
        last_frames = read_stamps(self.client, LAST_FRAME_KEY, now)
        with self.client.pipeline(transaction=False) as pipe:
            for gate_id, _active, _beat in gates:
                pipe.zcard(in_flight_key(gate_id))
                pipe.hlen(pending_key(gate_id))
            counts = pipe.execute()
        for index, (gate_id, active, beat) in enumerate(gates):
            label = [str(gate_id)]
            in_flight.add_metric(label, counts[2 * index])
            pending.add_metric(label, counts[2 * index + 1])
            if not active:
                continue
            beat_age = None if beat is None else now - beat.replace(tzinfo=UTC).timestamp()
            up.add_metric(label, 1.0 if beat_age is not None and beat_age <= GATE_ONLINE_S else 0.0)
            if beat_age is not None:
                age.add_metric(label, beat_age)
            if str(gate_id) in last_frames:
                frame_age.add_metric(label, now - last_frames[str(gate_id)][0])
        yield from (up, age, in_flight, pending, frame_age)

    def _processes(self) -> Iterator[Metric]:
        now = time.time()
        published = GaugeMetricFamily("facegate_model_version_published", "The newest model version in the store")
        version = newest_version()
        db.session.remove()
        if version is not None:
            published.add_metric([], version)
        yield published
        in_use = GaugeMetricFamily(
            "facegate_worker_model_version",
            "The model version each recognize worker process used last",
            labels=["worker"],
        )
        seen = GaugeMetricFamily(
            "facegate_worker_last_seen_seconds",
            "Seconds since each worker process last finished a frame",
            labels=["worker"],
        )
        for worker, (when, model) in sorted(read_stamps(self.client, WORKERS_KEY, now).items()):
            seen.add_metric([worker], now - when)
            if model:
                in_use.add_metric([worker], float(model))
        ingest = GaugeMetricFamily(
            "facegate_ingest_last_seen_seconds",
            "Seconds since each camera_ingest process last reported",
            labels=["ingest"],
        )
        for name, (when, _rest) in sorted(read_stamps(self.client, INGESTS_KEY, now).items()):
            ingest.add_metric([name], now - when)
        yield from (in_use, seen, ingest)


def render_metrics(client: redis.Redis, config: Mapping) -> bytes:
    """The metrics in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FacegateCollector(client, config))
    return generate_latest(registry)
