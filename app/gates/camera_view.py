"""The live camera view: each gate's latest processed frame with its faces, kept in Redis for a few seconds.

The recognize task already has the frame's JPEG (as the camera sent it) and every face's box and verdict; it keeps
them under one short-lived key per gate, so the admin's live page can draw the boxes over the picture without a
second decode or any work of its own on the recognition path. Nothing is kept once the camera stops.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import redis

from app.recognition.pipeline import FaceResult

VIEW_TTL_S = 3


def view_key(gate_id: int) -> str:
    """The Redis key of gate_id's latest processed frame."""
    return f"facegate:gate:{gate_id}:view"


def face_marks(results: Sequence[FaceResult]) -> list[dict]:
    """Each face's box (x, y, width, height, in frame pixels) and what was made of it: a staff ID (label), a
    stranger (label None), or the reason it was not identified (rejection)."""
    marks = []
    for result in results:
        verdict = result.verdict
        marks.append({
            "box": [round(float(v), 1) for v in result.face.box],
            "label": None if verdict is None else verdict.label,
            "rejection": result.rejection,
        })  # fmt: skip
    return marks


def publish_view(
    client: redis.Redis, gate_id: int, seq: int, captured_at: float, jpeg_b64: str, results: Sequence[FaceResult]
) -> None:
    """Keep frame seq (its base64 JPEG as received) and its faces as gate_id's latest view, for VIEW_TTL_S."""
    view = {"seq": seq, "captured_at": captured_at, "faces": face_marks(results), "jpeg": jpeg_b64}
    client.set(view_key(gate_id), json.dumps(view), ex=VIEW_TTL_S)


def latest_view(client: redis.Redis, gate_id: int) -> dict | None:
    """gate_id's latest processed frame as publish_view kept it, or None (no frame in the last few seconds)."""
    text = client.get(view_key(gate_id))
    return None if text is None else json.loads(text)
