"""The face behind a gate decision, from the frame that decided it to the DecisionFace row delivery writes.

Only a frame that completes a decision does this work (rare: once per person per pass): the recognize task crops
the deciding face and, when the track never consulted the second embedder, embeds that face with it, and stashes
both in Redis beside the pending decision (with the frame's JPEG as the camera sent it, when whole frames are kept);
delivery turns them, with the track's mean embedding, into the row that training (site cohort, hard negatives),
the admin's review and every page showing the decision's snapshot read.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import cv2
import numpy as np
import redis

from app.gates.camera_view import latest_face_frame
from app.gates.decide import GateDecision
from app.recognition.detect import Face
from app.recognition.embed import EMBEDDING_DIM
from app.recognition.images import ImageError, decode_image
from app.recognition.pipeline import Recognizer

CROP_PX = 112
# Margin around the face box in the crop, as a fraction of the box size on each side.
CROP_MARGIN = 0.25
STASH_TTL_S = 3600


def stash_key(decision_id: str) -> str:
    """The Redis hash holding a decision's crop and second-embedder vector until delivery."""
    return f"facegate:decision:{decision_id}:face"


def face_crop_jpeg(rgb: np.ndarray, box: tuple[float, float, float, float], size: int = CROP_PX) -> bytes:
    """A size x size JPEG of the face in box (with a margin), clipped to the frame."""
    x, y, w, h = box
    side = max(w, h) * (1 + 2 * CROP_MARGIN)
    cx, cy = x + w / 2, y + h / 2
    height, width = rgb.shape[:2]
    x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    x1, y1 = int(min(width, cx + side / 2)), int(min(height, cy + side / 2))
    crop = cv2.resize(rgb[y0:y1, x0:x1], (size, size), interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise ValueError("could not encode the face crop")
    return jpeg.tobytes()


def stash_decision_faces(
    client: redis.Redis,
    recognizer: Recognizer,
    rgb: np.ndarray,
    decisions: list[GateDecision],
    faces: list[Face],
    frame_b64: str | None = None,
) -> None:
    """For each new decision: its face crop and, when its track has no second-embedder part, the deciding face's
    second-embedder vector, kept in Redis for delivery (faces: the frame's detected faces, to re-embed by box;
    frame_b64: the frame's JPEG as received, base64, to keep whole, or None)."""
    for decision in decisions:
        if decision.box is None:
            continue
        # Base64 text: the process-wide client decodes replies as UTF-8.
        fields = {"crop": base64.b64encode(face_crop_jpeg(rgb, decision.box)).decode()}
        if frame_b64 is not None:
            fields["frame"] = frame_b64
        vector = decision.pooled_vector()
        face = next((f for f in faces if tuple(f.box) == tuple(decision.box)), None)
        if vector is not None and len(vector) == EMBEDDING_DIM and recognizer.second != "none" and face is not None:
            second = recognizer.second_embeddings(rgb, [face])
            if second is not None:
                fields["second"] = base64.b64encode(np.asarray(second[0], np.float32).tobytes()).decode()
        with client.pipeline() as pipe:
            pipe.hset(stash_key(decision.id), mapping=fields)
            pipe.expire(stash_key(decision.id), STASH_TTL_S)
            pipe.execute()


@dataclass(frozen=True)
class Stash:
    """What the deciding frame left for delivery: the face vector (enrolment layout), the crop and the frame."""

    vector: np.ndarray | None
    crop: bytes | None
    frame: bytes | None


def stash_ended_track_faces(
    client: redis.Redis, recognizer: Recognizer, gate_id: int, decisions: list[GateDecision], keep_whole: bool
) -> None:
    """For decisions about tracks that ended (their seq is an earlier frame): the crop from that frame when it is
    still the gate's latest face frame (app/gates/camera_view.py), decoded once here; else they get no crop."""
    kept = latest_face_frame(client, gate_id)
    wanted = [d for d in decisions if kept is not None and d.seq == kept["seq"]]
    if not wanted:
        return
    try:
        rgb = decode_image(base64.b64decode(kept["jpeg"]))
    except (ImageError, binascii.Error, ValueError):
        return
    stash_decision_faces(client, recognizer, rgb, wanted, [], kept["jpeg"] if keep_whole else None)


def take_stash(client: redis.Redis, decision: GateDecision) -> Stash:
    """The decision's face vector (completed with the stashed second part), crop and frame, each if any."""
    stash = {_text(key): _text(value) for key, value in client.hgetall(stash_key(decision.id)).items()}
    vector = decision.pooled_vector()
    if vector is not None and "second" in stash and len(vector) == EMBEDDING_DIM:
        vector = np.concatenate([vector, np.frombuffer(base64.b64decode(stash["second"]), dtype=np.float32)])
    crop, frame = (base64.b64decode(stash[name]) if name in stash else None for name in ("crop", "frame"))
    return Stash(vector, crop, frame)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def forget_stash(client: redis.Redis, decision: GateDecision) -> None:
    """Drop a delivered decision's stash."""
    client.delete(stash_key(decision.id))
