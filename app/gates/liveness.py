"""Liveness pooled over a gate track's frames, and what a gate does with a track that is not live.

Each face a track votes with carries its liveness score (the recognition core's live probability). A track is live
once the mean score of LIVENESS_FRAMES consecutive scored faces reaches LIVENESS_THRESHOLD; it is a spoof when
STRANGER_VOTES of its faces were scored and it never was (a member of staff is not turned away for a few unsure
frames, as with identity). Until then a person's decision waits. A track that ends first (a hand-held photo moved
so much that its track broke up) is a spoof when it named a person in MIN_VOTES frames, LIVENESS_FRAMES of its faces
were scored and it never was live. Each gate's `liveness` setting then says what a spoof does: `enforce` refuses it
(a `spoof` event), `warn` lets the decision stand and logs it, `off` ignores it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

LIVE, SPOOF = "live", "spoof"


@dataclass(frozen=True)
class LivenessRules:
    """The pooled liveness rule: the threshold on the mean score of `frames` consecutive scored faces, and how many
    scored faces a track that never reached it needs before it is decided a spoof."""

    threshold: float = 0.1
    frames: int = 5
    spoof_frames: int = 10

    def __post_init__(self) -> None:
        if not 1 <= self.frames <= self.spoof_frames:
            raise ValueError("need 1 <= LIVENESS_FRAMES <= STRANGER_VOTES")

    @classmethod
    def from_config(cls, config: Mapping) -> LivenessRules:
        """The rule from the app's configuration (LIVENESS_THRESHOLD, LIVENESS_FRAMES, STRANGER_VOTES)."""
        return cls(config["LIVENESS_THRESHOLD"], config["LIVENESS_FRAMES"], config["STRANGER_VOTES"])


def record_score(track: dict, score: float | None, rules: LivenessRules) -> None:
    """Add one face's liveness score to the track (in place): its latest `frames` scores, how many were scored,
    and whether their mean ever reached the threshold."""
    if score is None:
        track["live_unscored"] = track.get("live_unscored", 0) + 1
        return
    recent = (track.get("live_recent") or [])[-(rules.frames - 1) :] if rules.frames > 1 else []
    recent.append(round(float(score), 5))
    track["live_recent"], track["live_n"] = recent, track.get("live_n", 0) + 1
    if len(recent) == rules.frames and sum(recent) / rules.frames >= rules.threshold:
        track["live_ok"] = True


def track_liveness(track: dict, rules: LivenessRules) -> tuple[bool, str | None]:
    """Whether the track's liveness is settled, and as what: "live", "spoof", or None when none of its faces was
    scored (a recognizer without liveness: the decision goes ahead unchecked)."""
    if track.get("live_ok"):
        return True, LIVE
    scored = track.get("live_n", 0)
    if scored >= rules.spoof_frames:
        return True, SPOOF
    return scored == 0 and track.get("live_unscored", 0) > 0, None


def ended_spoof(state: dict, track: dict, min_votes: int, rules: LivenessRules | None, cooldown_s: float) -> str | None:
    """The person an undecided track that has just ended named in `min_votes` of its frames, when at least
    `rules.frames` of its faces were scored and it was never live (a photo moved about so much that its track broke
    up before it had `spoof_frames` faces), unless a spoof of them was decided at the gate within the cooldown (then
    remembered in the gate's state); else None."""
    if rules is None or track.get("live_ok") or track.get("live_n", 0) < rules.frames:
        return None
    named = Counter(identity for _seq, identity in track["votes"] if identity is not None).most_common(1)
    if not named or named[0][1] < min_votes:
        return None
    last = state["cooldown"].get(f"spoof:{named[0][0]}")
    if last is not None and track["last_t"] - last < cooldown_s:
        return None
    state["cooldown"][f"spoof:{named[0][0]}"] = track["last_t"]
    return named[0][0]


def pooled_score(track: dict) -> float | None:
    """The mean of the track's latest scores (for the log), or None when none was scored."""
    recent = track.get("live_recent") or []
    return round(sum(recent) / len(recent), 4) if recent else None


def refuses(mode: str, liveness: str | None) -> bool:
    """Whether a gate with this liveness mode turns the decision into a spoof."""
    return mode == "enforce" and liveness == SPOOF


def warns(mode: str, liveness: str | None) -> bool:
    """Whether a gate with this liveness mode lets a spoof decision stand but logs it."""
    return mode == "warn" and liveness == SPOOF
