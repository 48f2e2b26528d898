"""The per-gate sliding window: per-face tracks vote frame by frame; MIN_VOTES agreeing frames make one decision.

A gate's whole window state is one JSON value in Redis, updated under WATCH, so any worker can take any frame and
two workers racing on the same gate never both decide. A decision is stored as *pending* in the same transaction;
deliver.py turns pending decisions into log rows and events (idempotently), so a worker dying in between loses nothing.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
import redis

from app.gates.liveness import LIVE, SPOOF, LivenessRules, ended_spoof, pooled_score, record_score, track_liveness

# A face belongs to an existing track when its box overlaps the track's last box at least this much.
MIN_TRACK_IOU = 0.2
# The window state of a gate nobody passed for a day is dropped.
STATE_TTL_S = 24 * 3600

# A new stranger track whose mean FaceNet embedding is this close to a stranger announced at the gate within the
# cooldown is the same person again (a track lost and found), not a new stranger.
SAME_STRANGER_COSINE = 0.7

# Classifies a track's mean embeddings (FaceNet, second embedder or None) with the open-set rule: identity or None.
PooledClassifier = Callable[[np.ndarray, np.ndarray | None], str | None]


@dataclass(frozen=True)
class FaceVote:
    """One face's vote in a frame: its box (x, y, w, h), the identity given (None: stranger), its embeddings
    (FaceNet; the second embedder's when it was consulted) and its liveness score (None: not scored). A face of a
    track already decided is not identified (voting False): it only keeps its track alive, so that it neither
    decides again nor starts a new track."""

    box: tuple[float, float, float, float]
    identity: str | None
    embedding: np.ndarray | None = None
    second: np.ndarray | None = None
    liveness: float | None = None
    voting: bool = True


@dataclass(frozen=True)
class FrameResult:
    """The recognition result of one camera frame: gate, sequence number, capture time (unix seconds), faces."""

    gate_id: int
    seq: int
    captured_at: float
    faces: list[FaceVote] = field(default_factory=list)


@dataclass(frozen=True)
class DecisionRules:
    """The decision settings: window length, votes needed for a person and for a stranger, debounce per person,
    the gap that ends a track, and the pooled liveness rule (None: a person is decided without it)."""

    window_frames: int = 50
    min_votes: int = 5
    stranger_votes: int = 10
    cooldown_s: float = 30.0
    track_gap_s: float = 2.0
    liveness: LivenessRules | None = None

    def __post_init__(self) -> None:
        if self.window_frames < 1 or not 1 <= self.min_votes <= self.window_frames:
            raise ValueError("need WINDOW_FRAMES >= 1 and 1 <= MIN_VOTES <= WINDOW_FRAMES")
        if not self.min_votes <= self.stranger_votes <= self.window_frames:
            raise ValueError("need MIN_VOTES <= STRANGER_VOTES <= WINDOW_FRAMES")

    @classmethod
    def from_config(cls, config: Mapping) -> DecisionRules:
        """The rules from the app's configuration (WINDOW_FRAMES, MIN_VOTES, STRANGER_VOTES, COOLDOWN_S, ...)."""
        return cls(
            config["WINDOW_FRAMES"], config["MIN_VOTES"], config["STRANGER_VOTES"], config["COOLDOWN_S"],
            config["TRACK_GAP_S"], LivenessRules.from_config(config),
        )  # fmt: skip


@dataclass(frozen=True)
class GateDecision:
    """One decision at a gate: a person (identity) or a stranger (identity None), and the frame that decided it;
    for a person, whether the track was live ("live", "spoof"; None: not checked) and its pooled score."""

    id: str
    gate_id: int
    identity: str | None
    seq: int
    captured_at: float
    # The deciding face's box in frame seq, and the track's mean embedding (enrolment layout, base64 float32).
    box: tuple[float, float, float, float] | None = None
    embedding: str | None = None
    liveness: str | None = None
    liveness_score: float | None = None

    def pooled_vector(self) -> np.ndarray | None:
        """The track's mean embedding (FaceNet, then the second embedder's when the track had any), or None."""
        return None if self.embedding is None else _decode_vector(self.embedding)

    def to_json(self) -> str:
        """The decision as JSON, for the pending hash."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | bytes) -> GateDecision:
        """The decision stored by to_json."""
        return cls(**json.loads(text))


def window_key(gate_id: int) -> str:
    """The Redis key of gate_id's window state."""
    return f"facegate:gate:{gate_id}:window"


def pending_key(gate_id: int) -> str:
    """The Redis hash of gate_id's decisions not yet delivered (decision id -> GateDecision JSON)."""
    return f"facegate:gate:{gate_id}:pending"


def empty_state() -> dict:
    """The window state of a gate that has seen no frame."""
    return {"seqs": [], "tracks": [], "next_track": 1, "latest_t": 0.0, "cooldown": {}, "strangers": []}


def box_iou(a: tuple | list, b: tuple | list) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def _encode_vector(vector: np.ndarray) -> str:
    return base64.b64encode(np.asarray(vector, dtype=np.float32).tobytes()).decode()


def _decode_vector(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=np.float32)


def match_tracks(tracks: list[dict], faces: list[FaceVote], captured_at: float, gap_s: float) -> list[dict | None]:
    """For each face, the live track it continues (greedy by overlap, each track at most once), or None."""
    live = [t for t in tracks if abs(captured_at - t["last_t"]) <= gap_s]
    pairs = sorted(
        ((box_iou(face.box, track["box"]), i, j) for i, face in enumerate(faces) for j, track in enumerate(live)),
        reverse=True,
    )
    matched: list[dict | None] = [None] * len(faces)
    used: set[int] = set()
    for iou, i, j in pairs:
        if iou < MIN_TRACK_IOU:
            break
        if matched[i] is None and j not in used:
            matched[i] = live[j]
            used.add(j)
    return matched


def _mean(track: dict, prefix: str) -> np.ndarray | None:
    if not track.get(f"{prefix}_n"):
        return None
    mean = _decode_vector(track[f"{prefix}_sum"]) / track[f"{prefix}_n"]
    return mean / max(float(np.linalg.norm(mean)), 1e-10)


def _track_verdict(
    track: dict, window_start: int, rules: DecisionRules, pooled: PooledClassifier | None
) -> tuple[bool, str | None]:
    """Whether the track is decided now, and as whom (None: stranger).

    A person is decided when MIN_VOTES of its frames in the window name them and the track's mean embeddings name
    them too. A stranger needs more: STRANGER_VOTES frames, and the mean embeddings naming nobody (without pooling:
    STRANGER_VOTES frames saying stranger). Errors follow the person, not the frame, so while frames and mean
    disagree the track waits for more frames: a member of staff is not turned away for a few unsure frames, and a
    stranger whom some frames mistake for staff is not let in.
    """
    votes = Counter(identity for seq, identity in track["votes"] if seq >= window_start)
    people = [i for i, count in votes.items() if i is not None and count >= rules.min_votes]
    seen = sum(votes.values())
    if not people and seen < rules.stranger_votes:
        return False, None
    mean = _mean(track, "emb")
    if pooled is None or mean is None:
        if people:
            latest = track["votes"][-1][1]
            return True, latest if latest in people else people[0]
        return (True, None) if votes[None] >= rules.stranger_votes else (False, None)
    named = pooled(mean, _mean(track, "sec"))
    if named is not None and named in people:
        return True, named
    return (True, None) if named is None and seen >= rules.stranger_votes else (False, None)


def _new_track(state: dict, face: FaceVote, frame: FrameResult) -> dict:
    track = {
        "id": state["next_track"],
        "box": list(face.box),
        "last_t": frame.captured_at,
        "last_seq": frame.seq,
        "votes": [],
        "emb_n": 0,
        "emb_sum": None,
        "sec_n": 0,
        "sec_sum": None,
        "decided": False,
    }
    state["next_track"] += 1
    state["tracks"].append(track)
    return track


def _accumulate(track: dict, prefix: str, vector: np.ndarray | None) -> None:
    if vector is None:
        return
    total = np.asarray(vector, dtype=np.float32)
    if track.get(f"{prefix}_sum") is not None:
        total = total + _decode_vector(track[f"{prefix}_sum"])
    track[f"{prefix}_sum"], track[f"{prefix}_n"] = _encode_vector(total), track.get(f"{prefix}_n", 0) + 1


def _add_vote(track: dict, face: FaceVote, frame: FrameResult, window_start: int, rules: DecisionRules) -> None:
    """Record face's vote (embeddings, liveness) on track; drop votes that left the window."""
    if frame.captured_at >= track["last_t"]:
        track["box"], track["last_t"] = list(face.box), frame.captured_at
    track["last_seq"] = max(track["last_seq"], frame.seq)
    if not face.voting:
        return
    kept = [v for v in track["votes"] if v[0] >= window_start]
    track["votes"] = sorted(kept + [[frame.seq, face.identity]], key=lambda vote: vote[0])
    _accumulate(track, "emb", face.embedding)
    _accumulate(track, "sec", face.second)
    if rules.liveness is not None:
        record_score(track, face.liveness, rules.liveness)


def _pooled_vector(track: dict) -> np.ndarray | None:
    """The track's mean embeddings in enrolment layout (FaceNet, then the second embedder's when it has any)."""
    first, second = _mean(track, "emb"), _mean(track, "sec")
    if first is None:
        return None
    return first if second is None else np.concatenate([first, second])


def _seen_stranger(state: dict, track: dict, now: float, cooldown_s: float) -> bool:
    """Whether this stranger track is a stranger announced within the cooldown (their track lost and found);
    otherwise remember it."""
    mean = _mean(track, "emb")
    recent = [(t, v) for t, v in state.setdefault("strangers", []) if now - t < cooldown_s]
    state["strangers"] = recent
    if mean is None:
        return False
    if any(float(mean @ _decode_vector(v)) >= SAME_STRANGER_COSINE for _t, v in recent):
        return True
    recent.append((now, _encode_vector(mean)))
    return False


def _ended_as_stranger(track: dict, rules: DecisionRules, pooled: PooledClassifier | None) -> bool:
    """Whether an undecided track that has just ended was a stranger passing by: at least MIN_VOTES of its frames
    said stranger, more than named any one person, and its mean embeddings name nobody."""
    votes = Counter(identity for _seq, identity in track["votes"])
    strangers = votes.pop(None, 0)
    if strangers < rules.min_votes or any(count >= strangers for count in votes.values()):
        return False
    mean = _mean(track, "emb")
    return pooled is None or mean is None or pooled(mean, _mean(track, "sec")) is None


def _stranger_decision(
    state: dict, track: dict, gate_id: int, seq: int, captured_at: float, box, cooldown_s: float
) -> GateDecision | None:
    """The decision that track was a stranger, unless the same face was announced within the cooldown."""
    if _seen_stranger(state, track, captured_at, cooldown_s):
        return None
    vector = _pooled_vector(track)
    return GateDecision(
        uuid.uuid4().hex, gate_id, None, seq, captured_at, box, None if vector is None else _encode_vector(vector)
    )


def apply_frame(
    state: dict, frame: FrameResult, rules: DecisionRules, pooled: PooledClassifier | None = None
) -> list[GateDecision]:
    """Add frame to a gate's window state (in place) and return the decisions it completes (usually none).

    A frame already applied, or older than the window, changes nothing, so retried and late frames never decide twice.
    """
    seqs: list[int] = state["seqs"]
    if frame.seq in seqs or (seqs and frame.seq <= seqs[-1] - rules.window_frames):
        return []
    seqs.append(frame.seq)
    seqs.sort()
    del seqs[: -rules.window_frames]
    window_start = seqs[-1] - rules.window_frames + 1
    state["latest_t"] = max(state["latest_t"], frame.captured_at)
    live, decisions = [], []
    for t in state["tracks"]:
        if state["latest_t"] - t["last_t"] <= rules.track_gap_s and t["last_seq"] >= window_start:
            live.append(t)
        elif not t["decided"] and _ended_as_stranger(t, rules, pooled):
            # A stranger who passed too quickly for STRANGER_VOTES frames is announced when their track ends: the
            # decision names the track's last frame and box (its snapshot comes from that frame, if still kept).
            ended = _stranger_decision(state, t, frame.gate_id, t["last_seq"], t["last_t"], tuple(t["box"]),
                                       rules.cooldown_s)  # fmt: skip
            decisions += [ended] if ended else []
        elif not t["decided"] and (who := ended_spoof(state, t, rules.min_votes, rules.liveness, rules.cooldown_s)):
            vector = _pooled_vector(t)  # a photo's track that broke up before it was decided (app/gates/liveness.py)
            decisions.append(GateDecision(uuid.uuid4().hex, frame.gate_id, who, t["last_seq"], t["last_t"], None,
                                          None if vector is None else _encode_vector(vector), SPOOF, pooled_score(t)))
    state["tracks"] = live
    faces = sorted(frame.faces, key=lambda f: f.box[2] * f.box[3], reverse=True)
    matches = match_tracks(state["tracks"], faces, frame.captured_at, rules.track_gap_s)
    for face, match in zip(faces, matches, strict=True):
        track = match or _new_track(state, face, frame)
        _add_vote(track, face, frame, window_start, rules)
        if track["decided"] or not face.voting:
            continue
        decided, identity = _track_verdict(track, window_start, rules, pooled)
        checked = identity is not None and rules.liveness is not None
        settled, live = track_liveness(track, rules.liveness) if checked else (True, None)
        if not decided or not settled:
            continue
        track["decided"], track["identity"] = True, identity
        box = tuple(face.box)
        if identity is None:
            stranger = _stranger_decision(state, track, frame.gate_id, frame.seq, frame.captured_at, box,
                                          rules.cooldown_s)  # fmt: skip
            decisions += [stranger] if stranger else []
            continue
        # A spoof has its own cooldown: a photo of someone shown at the door does not hold back their real grant.
        debounce = identity if live in (None, LIVE) else f"spoof:{identity}"
        last = state["cooldown"].get(debounce)
        if last is not None and frame.captured_at - last < rules.cooldown_s:
            continue
        state["cooldown"][debounce] = frame.captured_at
        vector = _pooled_vector(track)
        decisions.append(
            GateDecision(
                uuid.uuid4().hex, frame.gate_id, identity, frame.seq, frame.captured_at, box,
                None if vector is None else _encode_vector(vector), live, pooled_score(track),
            )
        )  # fmt: skip
    horizon = state["latest_t"] - rules.cooldown_s
    state["cooldown"] = {k: t for k, t in state["cooldown"].items() if t > horizon}
    return decisions


def decide_frame(
    client: redis.Redis, frame: FrameResult, rules: DecisionRules, pooled: PooledClassifier | None = None
) -> list[GateDecision]:
    """Apply frame to its gate's window in Redis atomically (WATCH/MULTI); store and return the new decisions."""
    key = window_key(frame.gate_id)
    with client.pipeline() as pipe:
        while True:
            try:
                pipe.watch(key)
                raw = pipe.get(key)
                state = json.loads(raw) if raw else empty_state()
                seen_before = frame.seq in state["seqs"]
                decisions = apply_frame(state, frame, rules, pooled)
                if seen_before:
                    pipe.unwatch()
                    return []
                pipe.multi()
                pipe.set(key, json.dumps(state), ex=STATE_TTL_S)
                for decision in decisions:
                    pipe.hset(pending_key(frame.gate_id), decision.id, decision.to_json())
                pipe.execute()
                return decisions
            except redis.WatchError:
                continue


def pending_decisions(client: redis.Redis, gate_id: int) -> list[GateDecision]:
    """The decisions of gate_id not yet delivered, oldest frame first."""
    stored = client.hgetall(pending_key(gate_id))
    return sorted((GateDecision.from_json(text) for text in stored.values()), key=lambda d: (d.captured_at, d.seq))


def forget_pending(client: redis.Redis, decision: GateDecision) -> None:
    """Drop a delivered decision from its gate's pending hash."""
    client.hdel(pending_key(decision.gate_id), decision.id)
