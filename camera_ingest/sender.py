"""Sending frames to the recognition workers: each frame becomes a `facegate.recognize` task on the Celery broker."""

from __future__ import annotations

import base64

from celery import Celery

from camera_ingest.reader import FrameSender
from celery_config import celery_settings


def celery_sender(redis_url: str) -> FrameSender:
    """A FrameSender that queues `facegate.recognize` tasks on the Celery broker at redis_url."""
    celery = Celery("camera_ingest")
    celery.config_from_object(celery_settings(redis_url))

    def send(gate_id: int, seq: int, captured_at: float, jpeg: bytes) -> None:
        celery.send_task("facegate.recognize", args=[gate_id, seq, captured_at, base64.b64encode(jpeg).decode()])

    return send
