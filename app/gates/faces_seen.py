"""What a gate's camera showed lately, as the workers saw it: camera_ingest paces its frames by it.

Per gate, one Redis hash holds the capture time of the newest processed frame that showed any face (`faces_at`)
and of the newest that showed a face still to be identified, i.e. one not skipped as continuing a decided track
(`undecided_at`). Workers take a gate's frames concurrently and finish them out of order, so the times only ever
move forward. Both are capture times from camera_ingest's own clock, so the reader compares them with its frames'
capture times without any clock skew between hosts.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

# A gate nobody has been seen at for this long has no such times (the reader then treats it as empty).
FACES_SEEN_TTL_S = 60

# Atomic: raise each given time (an empty argument leaves it alone), never lower it; refresh the expiry.
_RAISE_TIMES = """
for i, field in ipairs({'faces_at', 'undecided_at'}) do
  local value = tonumber(ARGV[i])
  if value then
    local current = tonumber(redis.call('HGET', KEYS[1], field))
    if not current or current < value then redis.call('HSET', KEYS[1], field, ARGV[i]) end
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
"""


@dataclass(frozen=True)
class FacesSeen:
    """The capture times (unix seconds) of a gate's newest processed frame with any face and with a face still to be
    identified; None when there was none lately."""

    faces_at: float | None = None
    undecided_at: float | None = None


def faces_seen_key(gate_id: int) -> str:
    """The Redis hash of the faces gate_id's workers saw lately (not the live camera view, app/gates/camera_view.py)."""
    return f"facegate:gate:{gate_id}:faces_seen"


def record_faces(client: redis.Redis, gate_id: int, captured_at: float, faces: int, undecided: int) -> None:
    """Note that gate_id's frame captured at captured_at showed `faces` faces, `undecided` of them still to be
    identified (one round trip, none for a frame without faces)."""
    if faces <= 0:
        return
    undecided_at = repr(captured_at) if undecided > 0 else ""
    client.eval(_RAISE_TIMES, 1, faces_seen_key(gate_id), repr(captured_at), undecided_at, FACES_SEEN_TTL_S)


def read_faces_seen(client: redis.Redis, gate_id: int) -> FacesSeen:
    """What gate_id's workers saw lately (one round trip)."""
    faces_at, undecided_at = client.hmget(faces_seen_key(gate_id), ["faces_at", "undecided_at"])
    return FacesSeen(
        None if faces_at is None else float(faces_at), None if undecided_at is None else float(undecided_at)
    )
