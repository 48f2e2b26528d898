"""Faces a worker need not identify: those that continue a track the gate has already decided.

A person who lingers at a door is decided once; their later frames change nothing but keep their track alive (so
they are neither decided again nor mistaken for the next person). The worker reads the gate's window (one GET, no
lock) and matches the new frame's faces to its live tracks as decide_frame will; a face matched to a decided track
is detected and tracked, not aligned, embedded or classified. If another worker's frame changes the window in
between, decide_frame's own matching still places the face; one that lands on an undecided track does not vote once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import redis

from app.gates.decide import FaceVote, match_tracks, window_key

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Decided:
    """A face's decided track: whether there is one, and who it was decided to be (None: a stranger)."""

    decided: bool
    identity: str | None = None


def decided_faces(
    client: redis.Redis, gate_id: int, boxes: list[Box], captured_at: float, gap_s: float
) -> list[Decided]:
    """For each face box of a frame of gate_id captured at captured_at, whether it continues a decided track."""
    raw = client.get(window_key(gate_id)) if boxes else None
    if not raw:
        return [Decided(False)] * len(boxes)
    # decide_frame matches the largest faces first.
    order = sorted(range(len(boxes)), key=lambda i: boxes[i][2] * boxes[i][3], reverse=True)
    matches = match_tracks(json.loads(raw)["tracks"], [FaceVote(boxes[i], None) for i in order], captured_at, gap_s)
    decided = [Decided(False)] * len(boxes)
    for index, track in zip(order, matches, strict=True):
        if track is not None and track["decided"]:
            decided[index] = Decided(True, track.get("identity"))
    return decided
