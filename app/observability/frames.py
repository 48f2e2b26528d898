"""What a recognize worker reports per frame: counters, stage timings, decisions (metrics and log lines)."""

from __future__ import annotations

import logging
import time

import redis

from app.gates.stream import Event
from app.observability.logfmt import logfmt
from app.observability.metrics import LAST_FRAME_KEY, MetricsBatch, report_worker
from app.recognition.pipeline import Timings

logger = logging.getLogger("facegate.frames")

STAGES = ("detect", "align", "embed", "liveness", "classify")


def record_processed_frame(
    client: redis.Redis,
    gate_id: int,
    seq: int,
    captured_at: float,
    timings: Timings,
    events: list[Event],
    model_version: int | None,
    task_id: str | None,
) -> None:
    """Count the frame, its stage timings and its delivered events in the shared metrics, and log them."""
    now = time.time()
    batch = MetricsBatch()
    batch.count("frames_processed", (gate_id,))
    for stage in STAGES:
        batch.observe("recognition_stage_seconds", (stage,), getattr(timings, stage) / 1000.0)
    batch.observe("frame_age_seconds", (gate_id,), max(0.0, now - captured_at))
    for event in events:
        batch.count("decisions", (gate_id, event.type))
        if event.liveness and event.type != "spoof":
            batch.count("liveness_warnings", (gate_id, event.type))
    batch.stamp(LAST_FRAME_KEY, str(gate_id), f"{captured_at:.3f}")
    report_worker(batch, model_version, now)
    batch.write(client)
    logger.debug(
        logfmt(
            "frame_processed",
            gate=gate_id,
            seq=seq,
            task=task_id,
            model=model_version,
            age_s=round(now - captured_at, 3),
            **{f"{stage}_ms": round(getattr(timings, stage), 1) for stage in STAGES},
        )
    )
    for event in events:
        logger.info(
            logfmt(
                "decision",
                gate=gate_id,
                seq=seq,
                task=task_id,
                decision=event.id,
                type=event.type,
                staff=event.staff_id,
                direction=event.direction,
                liveness=event.liveness,
            )
        )
