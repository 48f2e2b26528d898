"""Scenes a gate's camera shows: face photos pasted on a fixed corridor, one walk past the gate at a time.

A Pass is the ground truth of one walk (who, which photo, when). write_scene renders passes into a video file (the
camera source of a gate in tests, benchmarks and the demo); testkit.cameras serves the same scene live.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.recognition.pipeline import Recognizer

FRAME_SIZE = (640, 480)
PHOTO_SIZE = 220


@dataclass(frozen=True)
class Pass:
    """One walk past the gate: who (staff ID, or None for a stranger), which photo, when it shows in the video."""

    staff_id: str | None
    photo: Path
    start_s: float
    end_s: float


def background(size: tuple[int, int] = FRAME_SIZE, seed: int = 0) -> np.ndarray:
    """A fixed BGR 'corridor': a vertical gradient with mild texture, no faces."""
    width, height = size
    rng = np.random.default_rng(seed)
    ramp = np.linspace(70, 170, height, dtype=np.float32)[:, None, None]
    colour = np.array([1.0, 0.95, 0.85], dtype=np.float32)
    noise = rng.normal(0, 6, size=(height, width, 1)).astype(np.float32)
    return np.clip(ramp * colour + noise, 0, 255).astype(np.uint8)


def paste_walker(frame: np.ndarray, photo_bgr: np.ndarray, index: int, centre_x: int | None = None) -> None:
    """Paste photo_bgr into frame (in place), centred at centre_x (default: the middle) and drifting a few pixels
    per frame like a walker."""
    face = cv2.resize(photo_bgr, (PHOTO_SIZE, PHOTO_SIZE), interpolation=cv2.INTER_LINEAR)
    height, width = frame.shape[:2]
    centre_x = width // 2 if centre_x is None else centre_x
    x = centre_x - PHOTO_SIZE // 2 + int(12 * np.sin(index / 6))
    y = (height - PHOTO_SIZE) // 2 + int(6 * np.cos(index / 9))
    frame[y : y + PHOTO_SIZE, x : x + PHOTO_SIZE] = face


def scene_frame(backdrop: np.ndarray, photo_bgr: np.ndarray | None, index: int) -> np.ndarray:
    """backdrop with photo_bgr (if any) pasted near the centre, drifting a few pixels per frame like a walker."""
    frame = backdrop.copy()
    if photo_bgr is not None:
        paste_walker(frame, photo_bgr, index)
    return frame


def showing(passes: list[Pass], t: float) -> Pass | None:
    """The pass in view t seconds into the scene, or None between passes."""
    return next((walk for walk in passes if walk.start_s <= t < walk.end_s), None)


# Scene frames checked for what a photo shows: the photo drifts a little from frame to frame.
DRIFT_FRAMES = (0, 15, 30)


def one_face(recognizer: Recognizer, photo: Path) -> bool:
    """Whether the photo, as the gate's camera shows it at each of DRIFT_FRAMES, holds exactly one face good enough
    to vote (a second person in the photo would rightly be decided on their own)."""
    bgr = cv2.imread(str(photo))
    for index in DRIFT_FRAMES:
        faces = recognizer.analyse(cv2.cvtColor(scene_frame(background(), bgr, index), cv2.COLOR_BGR2RGB))
        if len(faces) != 1 or faces[0].rejection is not None:
            return False
    return True


def write_scene(path: Path, passes: list[Pass], total_s: float, fps: float) -> Path:
    """Write the video: background throughout, each pass's photo on screen from its start_s to end_s."""
    backdrop = background()
    photos = {p.photo: cv2.imread(str(p.photo)) for p in passes}
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, FRAME_SIZE)
    for index in range(int(total_s * fps)):
        walk = showing(passes, index / fps)
        writer.write(scene_frame(backdrop, photos[walk.photo] if walk else None, index))
    writer.release()
    return path


def plan_passes(
    people: dict[str, list[Path]], strangers: list[Path], count: int, show_s: float, gap_s: float, every: int = 4
) -> list[Pass]:
    """count passes, gap_s of nobody before each: every `every`-th a stranger, the others cycling through the people
    who have photos left."""
    passes, t, names = [], gap_s, sorted(name for name, photos in people.items() if photos)
    for i in range(count):
        if i % every == every - 1:
            staff_id, photo = None, strangers[(i // every) % len(strangers)]
        else:
            staff_id = names[i % len(names)]
            photo = people[staff_id][(i // len(names)) % len(people[staff_id])]
        passes.append(Pass(staff_id, photo, t, t + show_s))
        t += show_s + gap_s
    return passes
