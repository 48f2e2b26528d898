"""The recognize task: one camera frame -> every face identified -> the gate's window -> decisions delivered."""

from __future__ import annotations

import base64
import binascii
import logging

import numpy as np
import redis
from celery import current_task, shared_task
from flask import current_app
from sqlalchemy.exc import OperationalError

from app.enrolment.model_store import model_watcher
from app.gates.camera_view import keep_frame
from app.gates.decide import FrameResult, decide_frame
from app.gates.decided_tracks import Decided, decided_faces
from app.gates.decision_faces import stash_decision_faces, stash_ended_track_faces
from app.gates.deliver import deliver_pending
from app.gates.faces_seen import record_faces
from app.gates.gate_rules import rules_for_gate
from app.gates.in_flight import release_slot
from app.gates.votes import frame_votes, pooled_classifier
from app.observability.frames import record_processed_frame
from app.recognition.classify import FaceClassifier
from app.recognition.configured import recognizer_from_config
from app.recognition.images import ImageError, decode_image
from app.recognition.pipeline import FaceResult, Recognizer, SkipFaces, Timings
from app.redis_client import get_redis

logger = logging.getLogger(__name__)


def decode_frame(jpeg_b64: str) -> np.ndarray | None:
    """The frame's RGB pixels, or None (logged) when it cannot be decoded."""
    try:
        return decode_image(base64.b64decode(jpeg_b64, validate=True))
    except (ImageError, binascii.Error, ValueError) as exc:
        logger.warning("unusable frame: %s", exc)
        return None


def identify_frame(
    rgb: np.ndarray | None, model: FaceClassifier | None, recognizer: Recognizer, timings: Timings | None = None,
    skip: SkipFaces | None = None,
) -> list[FaceResult]:  # fmt: skip
    """Every face of the frame with its verdict (but those skip says need none); none when there is no model yet or
    no usable frame."""
    if model is None:
        logger.warning("no trained model has been published yet; faces are not identified")
        return []
    return [] if rgb is None else recognizer.identify(rgb, model, timings=timings, skip=skip)


@shared_task(
    name="facegate.recognize",
    ignore_result=True,
    # Redis or MariaDB restarting: try again; every step is idempotent, so a retry repeats nothing.
    autoretry_for=(redis.ConnectionError, redis.TimeoutError, OperationalError),
    retry_backoff=True,
    retry_backoff_max=10,
    max_retries=12,
)
def recognize(gate_id: int, seq: int, captured_at: float, jpeg_b64: str) -> None:
    """Identify every face in frame seq of gate_id, update the gate's window and deliver any decision."""
    config = current_app.config
    client = get_redis(config["REDIS_URL"])
    try:
        watcher = model_watcher(config["MODEL_CHECK_S"])
        model, timings, recognizer = watcher.current(), Timings(), recognizer_from_config(config)
        rgb, rules = decode_frame(jpeg_b64), rules_for_gate(config, gate_id)
        decided: list[Decided] = []

        def already_decided(boxes: list) -> list[bool]:
            decided.extend(decided_faces(client, gate_id, boxes, captured_at, rules.track_gap_s))
            return [face.decided for face in decided]

        results = identify_frame(rgb, model, recognizer, timings, skip=already_decided)
        # camera_ingest paces the gate's frames by what its camera showed (docs/capacity.md).
        record_faces(client, gate_id, captured_at, len(results), sum(not face.skipped for face in results))
        if rgb is not None:
            labels = [face.identity for face in decided]
            keep_frame(client, gate_id, seq, captured_at, jpeg_b64, results, config["LIVE_VIEW"], labels)
        frame = FrameResult(gate_id, seq, captured_at, frame_votes(results))
        pooled = pooled_classifier(model) if model is not None and config["POOL_EMBEDDINGS"] else None
        decisions = decide_frame(client, frame, rules, pooled)
        in_frame = [d for d in decisions if d.seq == seq]
        if in_frame and rgb is not None:
            whole_frame = jpeg_b64 if config["SNAPSHOT_FRAMES"] else None
            stash_decision_faces(client, recognizer, rgb, in_frame, [r.face for r in results], whole_frame)
        if len(in_frame) < len(decisions):  # a track that ended: its face is in an earlier frame
            ended = [d for d in decisions if d.seq != seq]
            stash_ended_track_faces(client, recognizer, gate_id, ended, config["SNAPSHOT_FRAMES"])
        events = deliver_pending(client, gate_id, config, recognizer.embedding_name)
        task_id = current_task.request.id if current_task else None
        record_processed_frame(client, gate_id, seq, captured_at, timings, events, watcher.version, task_id)
    finally:
        release_slot(client, gate_id, seq)
