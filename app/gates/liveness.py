"""Liveness pooled over a gate track's frames, and what a gate does with a track that is not live.

Each face a track votes with carries its liveness score (the recognition core's live probability). A track is live
once the mean score of LIVENESS_FRAMES consecutive scored faces reaches LIVENESS_THRESHOLD; it is a spoof when
STRANGER_VOTES of its faces were scored and it never was (a member of staff is not turned away for a few unsure
frames, as with identity). Until then a person's decision waits. Each gate's `liveness` setting then says what a
spoof does: `enforce` refuses it (a `spoof` event), `warn` lets the decision stand and logs it, `off` ignores it.
"""

from __future__ import annotations

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
