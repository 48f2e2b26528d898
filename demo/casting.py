"""Choosing the photos the demo's cameras show: held-out photos that the trained model gets right in a scene frame.

The demo is meant to show the system working, so a photo the model would get wrong (a stranger who looks like
someone enrolled, say) is passed over; `python -m bench.e2e` measures how often that happens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import cv2

from app.recognition.classify import FaceClassifier
from app.recognition.pipeline import Recognizer
from demo.faces import DemoFaces, Person
from testkit.scenes import DRIFT_FRAMES, background, scene_frame

STRANGER = "stranger"


@dataclass(frozen=True)
class Cast:
    """Per staff ID, the photos shown to the gates (one per gate); and one stranger photo per gate."""

    people: dict[str, list[Path]]
    strangers: list[Path]
    passed_over: int  # photos skipped because the model got them wrong


def outcome(recognizer: Recognizer, model: FaceClassifier, photo: Path) -> str | None:
    """What the model makes of photo pasted into scene frames at a few positions: a staff ID or STRANGER when every
    frame shows exactly one face and agrees; None otherwise (e.g. a second face in the background)."""
    bgr, verdicts = cv2.imread(str(photo)), set()
    for index in DRIFT_FRAMES:
        frame = scene_frame(background(), bgr, index)
        results = recognizer.identify(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), model)
        if len(results) != 1 or results[0].verdict is None:
            return None
        verdicts.add(results[0].verdict.label or STRANGER)
    return verdicts.pop() if len(verdicts) == 1 else None


def _pick(candidates: list[Path], wanted: str, count: int, judge) -> tuple[list[Path], int]:
    chosen, skipped = [], 0
    for photo in candidates:
        if len(chosen) == count:
            break
        if judge(photo) == wanted:
            chosen.append(photo)
        else:
            skipped += 1
    if len(chosen) < count:  # not enough right ones: show the first photos anyway
        chosen += [photo for photo in candidates if photo not in chosen][: count - len(chosen)]
    return chosen, skipped


def cast_photos(
    recognizer: Recognizer, model: FaceClassifier, people: Mapping[str, Person], faces: DemoFaces, count: int
) -> Cast:
    """For each staff ID `count` held-out photos recognised as them, and `count` stranger photos (from different
    strangers where possible) recognised as strangers."""

    def judge(photo: Path) -> str | None:
        return outcome(recognizer, model, photo)

    skipped = 0
    shown = {}
    for staff_id, person in people.items():
        shown[staff_id], missed = _pick(person.camera_photos, staff_id, count, judge)
        skipped += missed
    # Each stranger's photos in turn: the first photo of every stranger, then the second of every stranger, ...
    longest = max(len(s.photos) for s in faces.strangers)
    candidates = [s.photos[i] for i in range(longest) for s in faces.strangers if i < len(s.photos)]
    strangers, missed = _pick(candidates, STRANGER, count, judge)
    return Cast(shown, strangers, skipped + missed)
