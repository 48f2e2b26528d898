"""Metrics shared by every process and host through Redis: counters and histograms kept with HINCRBY.

camera_ingest and the recognize workers add to them; the web app's /metrics reads them (app/observability/
exposition.py). Redis is already the one store every process reaches, so no per-process exporter is needed and
counters survive a process restart. Writing metrics never fails the caller: a Redis error is logged and dropped.
"""

from __future__ import annotations

import bisect
import logging
import os
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass

import redis

logger = logging.getLogger(__name__)

PREFIX = "facegate:metrics"
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FRAME_AGE_BUCKETS_S = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
# Worker and ingest processes not heard from for this long leave the exposition.
PROCESS_FORGET_S = 3600.0


@dataclass(frozen=True)
class MetricSpec:
    """A metric's help text, label names and, for a histogram, its bucket upper bounds (seconds)."""

    help: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...] = ()


COUNTERS = {
    "frames_received": MetricSpec("Frames camera_ingest sampled from the gate's camera", ("gate",)),
    "frames_paced": MetricSpec(
        "Frames camera_ingest did not send because nobody new was in view (pacing, docs/capacity.md)", ("gate",)
    ),
    "frames_dropped": MetricSpec("Frames dropped because the gate already had K frames in flight", ("gate",)),
    "frames_sent": MetricSpec("Frames queued for recognition", ("gate",)),
    "frame_send_errors": MetricSpec("Frames that could not be queued (broker or Redis unreachable)", ("gate",)),
    "camera_open_failures": MetricSpec("Failed attempts to open the gate's camera", ("gate",)),
    "frames_processed": MetricSpec("Frames a recognize worker finished", ("gate",)),
    "decisions": MetricSpec("Events delivered to the gate (each decision once), by type", ("gate", "type")),
    "door_alarms": MetricSpec("Door alarms raised (door_forced_open, door_held_open), each once", ("gate", "kind")),
    "liveness_warnings": MetricSpec(
        "Decisions a gate in liveness warn mode let stand although the face was not live, by type", ("gate", "type")
    ),
}
HISTOGRAMS = {
    "recognition_stage_seconds": MetricSpec(
        "Time a frame spent in each recognition stage", ("stage",), LATENCY_BUCKETS_S
    ),
    "frame_age_seconds": MetricSpec(
        "From the frame's capture to the end of its processing (queueing included)", ("gate",), FRAME_AGE_BUCKETS_S
    ),
}
# Hashes of timestamps: the last processed frame's capture time per gate, and each process's last report.
LAST_FRAME_KEY = f"{PREFIX}:last_frame"
WORKERS_KEY = f"{PREFIX}:workers"
INGESTS_KEY = f"{PREFIX}:ingests"


def metric_key(name: str) -> str:
    """The Redis hash that holds metric `name` (one field per label set, plus bucket fields for histograms)."""
    return f"{PREFIX}:{name}"


def process_id() -> str:
    """This process as host:pid, the field name of its reports."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _labels_field(labels: Iterable[object]) -> str:
    return "|".join(str(value) for value in labels)


class MetricsBatch:
    """Metric updates gathered during one unit of work and written in one Redis round trip."""

    def __init__(self) -> None:
        self._ops: list[tuple[str, tuple]] = []

    def count(self, name: str, labels: tuple, amount: int = 1) -> None:
        """Add amount to counter `name` for the label values."""
        if name not in COUNTERS:
            raise KeyError(f"unknown counter {name!r}")
        if amount:
            self._ops.append(("hincrby", (metric_key(name), _labels_field(labels), amount)))

    def observe(self, name: str, labels: tuple, seconds: float) -> None:
        """Record one observation of histogram `name` for the label values."""
        spec = HISTOGRAMS[name]
        field = _labels_field(labels)
        bucket = bisect.bisect_left(spec.buckets, seconds)
        self._ops.append(("hincrby", (metric_key(name), f"{field}|{bucket}", 1)))
        self._ops.append(("hincrbyfloat", (metric_key(name), f"{field}|sum", seconds)))

    def stamp(self, key: str, field: str, value: str) -> None:
        """Set field of one of the timestamp hashes (LAST_FRAME_KEY, WORKERS_KEY, INGESTS_KEY)."""
        self._ops.append(("hset", (key, field, value)))

    def write(self, client: redis.Redis) -> bool:
        """Write the updates (no transaction needed: each is atomic); whether Redis took them."""
        if not self._ops:
            return True
        try:
            with client.pipeline(transaction=False) as pipe:
                for method, args in self._ops:
                    getattr(pipe, method)(*args)
                pipe.execute()
        except redis.RedisError as exc:
            logger.warning("metrics not recorded: %s", exc)
            return False
        self._ops.clear()
        return True


def report_worker(batch: MetricsBatch, model_version: int | None, now: float | None = None) -> None:
    """Note that this worker process is alive and which model version it uses."""
    version = "" if model_version is None else str(model_version)
    batch.stamp(WORKERS_KEY, process_id(), f"{now or time.time():.3f}|{version}")


def read_counter(client: redis.Redis, name: str) -> dict[tuple[str, ...], float]:
    """{label values: total} of counter `name`."""
    return {tuple(field.split("|")): float(value) for field, value in client.hgetall(metric_key(name)).items()}


def read_histogram(client: redis.Redis, name: str) -> dict[tuple[str, ...], tuple[list[tuple[str, float]], float]]:
    """{label values: ([(upper bound, cumulative count)...,("+Inf", count)], sum)} of histogram `name`."""
    spec = HISTOGRAMS[name]
    bounds = [*(str(b) for b in spec.buckets), "+Inf"]
    raw: dict[tuple[str, ...], dict[str, float]] = {}
    for field, value in client.hgetall(metric_key(name)).items():
        *labels, part = field.split("|")
        raw.setdefault(tuple(labels), {})[part] = float(value)
    result = {}
    for labels, parts in raw.items():
        total, buckets = 0.0, []
        for index, bound in enumerate(bounds):
            total += parts.get(str(index), 0.0)
            buckets.append((bound, total))
        result[labels] = (buckets, parts.get("sum", 0.0))
    return result


def read_stamps(client: redis.Redis, key: str, now: float | None = None) -> dict[str, tuple[float, str]]:
    """{field: (timestamp, rest)} of a timestamp hash; entries older than PROCESS_FORGET_S are dropped from Redis."""
    now = now or time.time()
    result, stale = {}, []
    for field, value in client.hgetall(key).items():
        stamp, _, rest = value.partition("|")
        try:
            when = float(stamp)
        except ValueError:
            stale.append(field)
            continue
        if key != LAST_FRAME_KEY and now - when > PROCESS_FORGET_S:
            stale.append(field)
        else:
            result[field] = (when, rest)
    if stale:
        client.hdel(key, *stale)
    return result
