"""The live camera view: each gate's latest processed frame with its faces, kept in Redis for a few seconds.

The recognize task already has the frame's JPEG (as the camera sent it) and every face's box and verdict; it keeps
them under one short-lived key per gate, so the admin's live page can draw the boxes over the picture without a
second decode or any work of its own on the recognition path. Nothing is kept once the camera stops.

The latest frame that showed a face is also kept a little longer: a stranger who passed too quickly is announced
when their track ends, a couple of seconds after their last frame, and their snapshot is cut from that frame.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import redis

from app.recognition.pipeline import FaceResult

VIEW_TTL_S = 3
# Longer than a track's gap (FACEGATE_TRACK_GAP_S, 2 s by default), after which an ended track is decided.
FACE_FRAME_TTL_S = 10


def view_key(gate_id: int) -> str:
    """The Redis key of gate_id's latest processed frame."""
    return f"facegate:gate:{gate_id}:view"


def face_marks(results: Sequence[FaceResult], decided: Sequence[str | None] = ()) -> list[dict]:
    """Each face's box (x, y, width, height, in frame pixels) and what was made of it: a staff ID (label), a
    stranger (label None), or the reason it was not identified (rejection). A face the worker only tracked (its
    track was decided before) shows what its track was decided to be: decided[i] for the i-th face."""
    marks = []
    for index, result in enumerate(results):
        verdict = result.verdict
        label = None if verdict is None else verdict.label
        marks.append({
            "box": [round(float(v), 1) for v in result.face.box],
            "label": decided[index] if result.skipped and index < len(decided) else label,
            "rejection": result.rejection,
        })  # fmt: skip
    return marks


def face_frame_key(gate_id: int) -> str:
    """The Redis key of gate_id's latest processed frame that showed a face."""
    return f"facegate:gate:{gate_id}:face-frame"


def keep_frame(
    client: redis.Redis,
    gate_id: int,
    seq: int,
    captured_at: float,
    jpeg_b64: str,
    results: Sequence[FaceResult],
    live_view: bool,
    decided: Sequence[str | None] = (),
) -> None:
    """Keep frame seq (its base64 JPEG as received) and its faces as gate_id's latest view for VIEW_TTL_S (when
    live_view), and, when it shows a face, as the gate's latest face frame for FACE_FRAME_TTL_S; one round trip
    (decided: what the faces the worker only tracked were decided to be, see face_marks)."""
    if not live_view and not results:
        return
    faces = face_marks(results, decided)
    text = json.dumps({"seq": seq, "captured_at": captured_at, "faces": faces, "jpeg": jpeg_b64})
    with client.pipeline(transaction=False) as pipe:
        if live_view:
            pipe.set(view_key(gate_id), text, ex=VIEW_TTL_S)
        if results:
            pipe.set(face_frame_key(gate_id), text, ex=FACE_FRAME_TTL_S)
        pipe.execute()


def latest_view(client: redis.Redis, gate_id: int) -> dict | None:
    """gate_id's latest processed frame as keep_frame kept it, or None (no frame in the last few seconds)."""
    text = client.get(view_key(gate_id))
    return None if text is None else json.loads(text)


def latest_face_frame(client: redis.Redis, gate_id: int) -> dict | None:
    """gate_id's latest processed frame that showed a face, as keep_frame kept it, or None."""
    text = client.get(face_frame_key(gate_id))
    return None if text is None else json.loads(text)
