"""Play a video at a gate as its camera would: camera_ingest's reader, recognize worker processes, and the gate
endpoint polled as a gate client polls it; what the gate received, for a benchmark to score."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from app.gates.stream import gate_stream_key
from app.redis_client import get_redis
from camera_ingest.reader import GateReader, ReaderSettings
from camera_ingest.sender import celery_sender
from testkit.gate_poller import GatePoller
from testkit.processes import celery_worker
from testkit.site import wait_gate_idle, warm_up


@dataclass(frozen=True)
class Playback:
    """One play of a video at a gate: the events the gate received (arrival time, event), when playback started
    (unix seconds), frames sent and dropped, frames sent per second, and whether the gate drained in time."""

    received: list[tuple[float, dict]]
    playback_started_at: float
    frames_sent: int
    frames_dropped: int
    frames_per_s: float
    drained: bool


def play_at_gate(
    env: dict[str, str], gate_id: int, token: str, base_url: str, video: Path, settings: ReaderSettings,
    processes: int, warm_up_photo: Path, worker_log: Path,
) -> Playback:  # fmt: skip
    """Start `processes` recognize worker processes (env), warm them up, play video at the gate through
    camera_ingest's reader with settings, wait until the gate is idle and return what its poller received."""
    client = get_redis(env["REDIS_URL"])
    send = celery_sender(env["REDIS_URL"])
    worker = celery_worker(env, worker_log, processes, queues="recognize")
    worker.start()
    try:
        warm_up(client, send, gate_id, processes, warm_up_photo)
        latest = client.xrevrange(gate_stream_key(gate_id), count=1)
        poller = GatePoller(base_url, gate_id, token, cursor=latest[0][0] if latest else "0").start()
        reader = GateReader(gate_id, str(video), settings, client, send)
        started = time.monotonic()
        reader.start()
        reader.join()
        drained = wait_gate_idle(client, gate_id, 120)
        elapsed = time.monotonic() - started
        time.sleep(2.0)
        received = poller.stop()
    finally:
        worker.stop()
    return Playback(received, reader.playback_started_at, reader.stats.sent, reader.stats.dropped,
                    reader.stats.sent / elapsed, drained)  # fmt: skip
