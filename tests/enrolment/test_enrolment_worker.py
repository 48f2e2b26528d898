"""A real worker runs capture -> preprocess -> train; the new model then recognises the person."""

from __future__ import annotations

import json
import time

import pytest

from app.accounts import create_staff
from app.enrolment.photos import import_photo_folder
from app.enrolment.service import enqueue_job
from app.extensions import db as _db
from app.models import FaceImage, Job

from .conftest import people_photos

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def few_shots(monkeypatch) -> None:
    """The worker takes 8 shots, one every 3 frames (instead of 50 every 5), to keep the test short."""
    monkeypatch.setenv("FACEGATE_CAPTURE_SHOTS", "8")
    monkeypatch.setenv("FACEGATE_CAPTURE_EVERY_N_FRAMES", "3")


def wait_for(job_id: int, timeout: float = 180.0) -> Job:
    """The job once the worker has finished it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _db.session.rollback()  # a new transaction, so the worker's commits are visible
        job = _db.session.get(Job, job_id)
        if job.finished:
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s: {job.state} {job.message}")


def test_capture_preprocess_train_on_a_worker_then_identify(app, db, few_shots, worker, faces_dir, photo_video,
                                                             tmp_path) -> None:
    (name_a, photos_a), (name_b, photos_b) = people_photos(faces_dir, 2).items()
    person_a, _ = create_staff("W1", *name_a.split("_", 1))
    person_b, _ = create_staff("W2", *name_b.split("_", 1))
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    for photo in photos_b[:10]:
        (uploads / photo.name).write_bytes(photo.read_bytes())
    import_photo_folder(person_b, uploads)

    video = photo_video(photos_a[:8], seconds_each=0.6)
    capture = wait_for(enqueue_job("capture", person_a.id, source=str(video)).id)
    assert capture.state == "succeeded", capture.message
    assert capture.message.startswith("took 8 shots")
    assert _db.session.query(FaceImage).filter_by(staff_id=person_a.id).count() == 8

    preprocess = wait_for(enqueue_job("preprocess").id)
    assert preprocess.state == "succeeded", preprocess.message
    train = wait_for(enqueue_job("train").id)
    assert train.state == "succeeded", train.message
    assert "2 people" in train.message

    runner = app.test_cli_runner()
    known = json.loads(runner.invoke(args=["faces", "identify", str(photos_a[-1]), "--json"]).output)
    assert [(face["staff_id"], face["name"]) for face in known["faces"]] == [("W1", person_a.full_name)]
    stranger_photo = sorted((faces_dir / "strangers").glob("*/*.jpg"))[0]
    unknown = json.loads(runner.invoke(args=["faces", "identify", str(stranger_photo), "--json"]).output)
    assert unknown["faces"] and all(face["stranger"] for face in unknown["faces"])
