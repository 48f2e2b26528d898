"""Fixtures of tests/live: generated test videos (cv2.VideoWriter), the Redis client the gates use, and a model the
product trained (through the enrolment service)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.accounts import create_gate, create_staff
from app.enrolment.model_store import model_chunks, publish_model
from app.recognition.configured import recognizer_from_config
from app.redis_client import get_redis
from testkit.scenes import one_face
from testkit.site import enrol_and_train, pick_people


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
def gates(db, redis_client) -> dict[str, tuple[int, str]]:
    """Two gates, Front and Back: {"front": (id, token), "back": (id, token)}."""
    front, front_token = create_gate("Front", "0")
    back, back_token = create_gate("Back", "1")
    return {"front": (front.id, front_token), "back": (back.id, back_token)}


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
    """A model trained on two people (its stored bytes, which publish() puts in the model store again after the
    tables were emptied); the held-out photos of each."""

    data: bytes
    embedder: str
    held_out: dict[str, list[Path]]

    def publish(self) -> int:
        """Publish the model as the newest version of the shared model store (in an app context); its version."""
        return publish_model(self.data, kind="full", embedder=self.embedder).version


@pytest.fixture(scope="session")
def trained_model(app, faces_dir: Path, empty_tables) -> TrainedModel:
    """A model the product trained: the two people with the most photos, staff IDs their folder names, get their
    first 8 photos stored, preprocessed and trained through the enrolment service. Their rows (and the model's) are
    deleted again (each test creates the staff it needs and publishes the model's bytes).

    The held-out photos are those that show one face as a gate's camera sees them (a second face in the
    background would rightly make a decision of its own).
    """
    recognizer = recognizer_from_config(app.config)
    enrolled, held_out = pick_people(faces_dir, count=2, enroll=8)
    with app.app_context():
        try:
            for name in enrolled:
                first, _, last = name.partition("_")
                create_staff(name, first, last or first)
            data = b"".join(model_chunks(enrol_and_train(enrolled)))
        finally:
            empty_tables()
    single = {name: [photo for photo in photos if one_face(recognizer, photo)] for name, photos in held_out.items()}
    return TrainedModel(data, recognizer.embedding_name, single)
