"""Offline presentation-attack evaluation of the liveness score (ISO/IEC 30107-3 terms) on a folder of frames.

The folder holds live/ and at least one attack kind (print/, replay/); images are found recursively. The first
folder under each kind is the subject, the folder an image sits in is its clip (a camera clip when its frames are
consecutive: file names are sorted by the numbers in them). Each frame's score is that of its largest face that
passes the quality gate (the person presenting; others are in the background); a frame without one is counted as
no_face. BPCER: live frames rejected; APCER: attack frames accepted. The pooled decision takes the mean score of K
consecutive frames of a clip, as a gate's track does (app/gates/liveness.py).
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.recognition.images import ImageError, read_image
from app.recognition.pipeline import Recognizer, Timings

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
LIVE = "live"
ATTACK_KINDS = ("print", "replay")


@dataclass(frozen=True)
class FrameScore:
    """One frame: its kind (live, print, replay), subject, clip, and the liveness of its presenting face."""

    kind: str
    subject: str
    clip: str
    path: str
    score: float | None


def natural_key(path: Path) -> list:
    """Sort key that orders name_2 before name_10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path))]


def labelled_images(folder: Path) -> list[tuple[str, str, str, Path]]:
    """(kind, subject, clip, path) of every image under folder/live and folder/<attack kind>, in clip order."""
    found = []
    for kind in (LIVE, *ATTACK_KINDS):
        root = Path(folder) / kind
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*"), key=natural_key):
            if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
                relative = path.relative_to(root)
                subject = relative.parts[0] if len(relative.parts) > 1 else ""
                found.append((kind, subject, f"{kind}/{relative.parent}", path))
    return found


def score_folder(
    recognizer: Recognizer, folder: Path, progress: Callable[[int, int], None] | None = None
) -> tuple[list[FrameScore], list[str], tuple[float, float]]:
    """Every frame's score, the errors (unreadable files) and the mean milliseconds of liveness per scored face:
    wall clock, and this thread's CPU time (what the face costs, whatever else the machine is doing)."""
    images = labelled_images(folder)
    if not any(kind == LIVE for kind, *_ in images) or not any(kind != LIVE for kind, *_ in images):
        raise ValueError(f"{folder} needs images under live/ and under print/ or replay/")
    frames, errors, liveness_ms, cpu_ms, faces = [], [], 0.0, 0.0, 0
    for done, (kind, subject, clip, path) in enumerate(images, 1):
        try:
            rgb = read_image(path)
        except ImageError as exc:
            errors.append(f"{path}: {exc}")
            continue
        timings = Timings()
        results, _crops = recognizer.check_faces(rgb, timings=timings)
        cpu_start = time.thread_time()
        recognizer.score_liveness(rgb, results, timings)
        cpu_ms += (time.thread_time() - cpu_start) * 1000
        scored = [r for r in results if r.liveness is not None]
        liveness_ms, faces = liveness_ms + timings.liveness, faces + len(scored)
        presenting = max(scored, key=lambda r: r.face.box[2] * r.face.box[3], default=None)
        frames.append(FrameScore(kind, subject, clip, str(path), None if presenting is None else presenting.liveness))
        if progress:
            progress(done, len(images))
    return frames, errors, (liveness_ms / max(faces, 1), cpu_ms / max(faces, 1))


def threshold_at_bpcer(live_scores: np.ndarray, target: float) -> float:
    """The highest threshold (accept score >= threshold) that rejects at most `target` of these live scores."""
    ordered = np.sort(np.asarray(live_scores, dtype=np.float64))
    if len(ordered) == 0:
        raise ValueError("no live scores to choose a threshold on")
    return float(ordered[min(int(np.floor(target * len(ordered))), len(ordered) - 1)])


def pooled_samples(frames: list[FrameScore], k: int) -> list[FrameScore]:
    """One sample per K consecutive scored frames of a clip (sliding by one frame): their mean score."""
    clips: dict[str, list[FrameScore]] = defaultdict(list)
    for frame in frames:
        if frame.score is not None:
            clips[frame.clip].append(frame)
    pooled = []
    for clip_frames in clips.values():
        for start in range(len(clip_frames) - k + 1):
            window = clip_frames[start : start + k]
            mean = float(np.mean([f.score for f in window]))
            pooled.append(FrameScore(window[0].kind, window[0].subject, window[0].clip, window[-1].path, mean))
    return pooled


def error_rates(samples: list[FrameScore], threshold: float) -> dict:
    """BPCER, APCER (overall and per attack kind), the curve's APCER at BPCER 1% and 5%, the worst subject's APCER."""
    live = np.array([s.score for s in samples if s.kind == LIVE and s.score is not None])
    attacks = [s for s in samples if s.kind != LIVE and s.score is not None]
    attack_scores = np.array([s.score for s in attacks])

    def apcer(scores: np.ndarray, at: float) -> float | None:
        return None if len(scores) == 0 else round(float(np.mean(scores >= at)), 5)

    by_subject: dict[str, list[float]] = defaultdict(list)
    for sample in attacks:
        by_subject[sample.subject].append(sample.score)
    worst = max(by_subject.items(), key=lambda item: np.mean(np.array(item[1]) >= threshold), default=None)
    return {
        "live": int(len(live)),
        "attacks": int(len(attack_scores)),
        "bpcer": None if len(live) == 0 else round(float(np.mean(live < threshold)), 5),
        "apcer": apcer(attack_scores, threshold),
        "apcer_by_kind": {
            kind: apcer(np.array([s.score for s in attacks if s.kind == kind]), threshold)
            for kind in sorted({s.kind for s in attacks})
        },
        "apcer_at_bpcer_1pct": None if len(live) == 0 else apcer(attack_scores, threshold_at_bpcer(live, 0.01)),
        "apcer_at_bpcer_5pct": None if len(live) == 0 else apcer(attack_scores, threshold_at_bpcer(live, 0.05)),
        "worst_subject_apcer": None if worst is None else apcer(np.array(worst[1]), threshold),
        "worst_subject": None if worst is None else worst[0],
        "live_score_min": None if len(live) == 0 else round(float(live.min()), 5),
        "attack_score_max": None if len(attack_scores) == 0 else round(float(attack_scores.max()), 5),
    }


def subject_halves(frames: list[FrameScore]) -> tuple[set[str], set[str]]:
    """The subjects split in two halves (alternately, in sorted order), to choose on one and measure on the other."""
    subjects = sorted({f.subject for f in frames})
    return set(subjects[0::2]), set(subjects[1::2])


def held_out(frames: list[FrameScore], k: int, target_bpcer: float) -> list[dict]:
    """For each half of the subjects: a threshold chosen on its live frames only (at target_bpcer), measured on the
    other half's live and attack frames, per frame and pooled."""
    halves = subject_halves(frames)
    out = []
    for chosen_on, measured_on in (halves, halves[::-1]):
        live = np.array([f.score for f in frames if f.kind == LIVE and f.subject in chosen_on and f.score is not None])
        if len(live) == 0 or not measured_on:
            continue
        threshold = threshold_at_bpcer(live, target_bpcer)
        probe = [f for f in frames if f.subject in measured_on]
        out.append(
            {
                "chosen_on": sorted(chosen_on),
                "measured_on": sorted(measured_on),
                "threshold": round(threshold, 5),
                "frames": error_rates(probe, threshold),
                "pooled": error_rates(pooled_samples(probe, k), threshold),
            }
        )
    return out


def evaluate_liveness(
    frames: list[FrameScore], threshold: float, k: int, target_bpcer: float, ms_per_face: tuple[float, float]
) -> dict:
    """The report: per frame and pooled over K frames at the shipped threshold, and the held-out check of choosing
    a threshold on live frames only."""
    frame_rates = error_rates(frames, threshold)
    kinds = sorted({f.kind for f in frames if f.kind != LIVE})
    return {
        "threshold": threshold,
        "k": k,
        "live_frames": sum(f.kind == LIVE for f in frames),
        "attack_frames": sum(f.kind != LIVE for f in frames),
        "attack_kinds": kinds,
        "no_face": sum(f.score is None for f in frames),
        "bpcer": frame_rates["bpcer"],
        "apcer": frame_rates["apcer"],
        "apcer_at_bpcer_1pct": frame_rates["apcer_at_bpcer_1pct"],
        "apcer_at_bpcer_5pct": frame_rates["apcer_at_bpcer_5pct"],
        "worst_subject_apcer": frame_rates["worst_subject_apcer"],
        "ms_per_face": round(ms_per_face[0], 2),
        "cpu_ms_per_face": round(ms_per_face[1], 2),
        "frames": frame_rates,
        "pooled": error_rates(pooled_samples(frames, k), threshold),
        "target_bpcer": target_bpcer,
        "held_out": held_out(frames, k, target_bpcer),
        "not_tested": [kind for kind in ATTACK_KINDS if kind not in kinds],
    }
