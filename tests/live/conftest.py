"""Fixtures of tests/live: generated test videos (cv2.VideoWriter) and the Redis client the gates use."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.redis_client import get_redis


def _write_video(path: Path, frames: Iterable[np.ndarray], fps: float) -> Path:
    """Write BGR frames (all the same size) to an MJPG .avi file at fps; return path."""
    writer = None
    for frame in frames:
        if writer is None:
            height, width = frame.shape[:2]
            writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
        writer.write(frame)
    if writer is None:
        raise ValueError("no frames to write")
    writer.release()
    return path


def _plain_video(path: Path, seconds: float, fps: float = 20.0, size: tuple[int, int] = (640, 480)) -> Path:
    """A video of moving grey gradients, seconds long."""
    width, height = size
    count = int(seconds * fps)
    base = np.tile(np.linspace(40, 200, width, dtype=np.uint8), (height, 1))
    return _write_video(path, (np.dstack([np.roll(base, 7 * i, axis=1)] * 3) for i in range(count)), fps)


@pytest.fixture()
def rds(app, redis_client):
    """The gates' Redis client (str replies) on the tests' Redis database, emptied first."""
    return get_redis(app.config["REDIS_URL"])


@pytest.fixture()
def write_video():
    """write_video(path, frames, fps): BGR frames to an MJPG .avi file."""
    return _write_video


@pytest.fixture()
def plain_video():
    """plain_video(path, seconds, fps=20, size=(640, 480)): a video of moving grey gradients."""
    return _plain_video


@dataclass(frozen=True)
class TrainedModel:
    """A model store holding one model trained on two people; the held-out photos of each."""

    model_dir: Path
    held_out: dict[str, list[Path]]


@pytest.fixture(scope="session")
def trained_model(app, faces_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    """Train, through the recognition core, on the first 8 photos of the two people with the most photos.

    The held-out photos are those that show one face as a gate's camera sees them (a second face in the
    background would rightly make a decision of its own).
    """
    from app.recognition.configured import recognizer_from_config
    from bench.e2e import enroll_people, one_face, pick_people

    recognizer = recognizer_from_config(app.config)
    enrolled, held_out = pick_people(faces_dir, count=2, enroll=8)
    model_dir = tmp_path_factory.mktemp("models")
    enroll_people(recognizer, enrolled, model_dir)
    single = {name: [photo for photo in photos if one_face(recognizer, photo)] for name, photos in held_out.items()}
    return TrainedModel(model_dir, single)
