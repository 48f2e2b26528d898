"""Enrolment jobs in-process: capture (cancel, camera failure), preprocess with reasons, incremental training
(the same model as training afresh), forgetting a person."""

from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import sqlalchemy as sa

from app.accounts import create_staff
from app.enrolment.model_store import load_classifier, newest_version
from app.enrolment.photos import add_photo, import_photo_folder, photo_jpeg
from app.enrolment.service import run_capture, run_preprocess, run_train
from app.jobs import create_job, request_cancel
from app.models import FaceImage, Job, ModelChunk, ModelVersion, PhotoBlob
from app.recognition.classify import classifier_to_arrays
from testkit.processes import ManagedProcess, free_port, python_module
from testkit.scenes import background

from .conftest import people_photos

pytestmark = pytest.mark.slow


def test_cancelling_a_capture_keeps_the_shots_taken(app, db, faces_dir, photo_video) -> None:
    photos = people_photos(faces_dir, 1)
    staff, _ = create_staff("C1", "Cap", "Ture")
    video = photo_video(next(iter(photos.values()))[:6])
    job = create_job("capture", staff.id)

    def cancel_after_two(current: Job) -> None:
        if current.progress >= 4:  # 2 of 50 shots
            request_cancel(current.id)

    finished = run_capture(job.id, str(video), observe=cancel_after_two)
    images = db.session.scalars(sa.select(FaceImage).where(FaceImage.staff_id == staff.id)).all()
    assert len(images) in (2, 3)  # the shot in hand when the cancel is seen is kept too
    assert (finished.state, finished.message) == ("cancelled", f"cancelled after {len(images)} of 50 shots")
    assert all(photo_jpeg(image)[:2] == b"\xff\xd8" for image in images)  # JPEGs, in the shared database


def test_a_missing_camera_fails_the_job_with_a_clear_message(app, db, tmp_path) -> None:
    staff, _ = create_staff("C2", "No", "Camera")
    job = create_job("capture", staff.id)
    finished = run_capture(job.id, str(tmp_path / "gone.avi"))
    assert finished.state == "failed" and "no such video file" in finished.message


def test_a_camera_that_disappears_ends_the_job_keeping_its_shots(app, db, faces_dir, photo_video, tmp_path) -> None:
    photos = next(iter(people_photos(faces_dir, 1).values()))
    video = photo_video(photos[:10], seconds_each=1.0)
    port = free_port()
    args = python_module("gate_client.stream", "--source", str(video), "--host", "127.0.0.1", "--port", str(port),
                         "--fps", "10", "--loop", "--allow-anonymous")  # fmt: skip
    streamer = ManagedProcess("streamer", args, dict(os.environ), tmp_path / "stream.log")
    staff, _ = create_staff("C3", "Gone", "Camera")
    job = create_job("capture", staff.id)

    def stop_streamer_after_a_shot(current: Job) -> None:
        if current.progress > 0:
            streamer.kill()

    streamer.start()
    try:
        time.sleep(3)  # the streamer opens its video
        finished = run_capture(job.id, f"http://127.0.0.1:{port}/stream.mjpg", observe=stop_streamer_after_a_shot)
    finally:
        streamer.kill()
    assert finished.state == "failed", finished.message
    assert "stopped giving frames" in finished.message and "were kept" in finished.message
    kept = db.session.scalar(sa.select(sa.func.count()).select_from(FaceImage).where(FaceImage.staff_id == staff.id))
    assert kept >= 1


def _enrol_photos(person, photos: list[Path], folder: Path) -> None:
    folder.mkdir()
    for photo in photos:
        (folder / photo.name).write_bytes(photo.read_bytes())
    import_photo_folder(person, folder)


def test_preprocess_keeps_reasons_and_training_is_incremental(app, db, faces_dir, tmp_path) -> None:
    people = list(people_photos(faces_dir, 4).items())
    staff = []
    for i, (name, photos) in enumerate(people[:3]):
        person, _ = create_staff(f"P{i}", *name.split("_", 1))
        _enrol_photos(person, photos[:5], tmp_path / name)
        staff.append(person)
    # An empty file and a photo of an empty corridor, stored directly.
    add_photo(staff[0], b"")
    add_photo(staff[0], cv2.imencode(".jpg", background())[1].tobytes())

    job = run_preprocess(create_job("preprocess").id)
    assert job.state == "succeeded", job.message
    assert job.message == "15 photos accepted, 2 rejected"
    reasons = db.session.scalars(
        sa.select(FaceImage.rejection_reason).where(FaceImage.rejection_reason.is_not(None)).order_by(FaceImage.id)
    )
    assert list(reasons) == ["empty file (0 bytes)", "no face"]
    # Nothing but the embedding is kept: no crop, and no photo on this host's disk.
    data_dir = Path(app.config["DATA_DIR"])
    assert not (data_dir / "raw").exists() and not (data_dir / "processed").exists()

    first = run_train(create_job("train").id)
    assert first.state == "succeeded", first.message
    # Three people are enough: the stranger thresholds come from the background cohort, whatever the gallery's size.
    assert "stranger thresholds from 994 cohort faces and 0 strangers seen at the gates" in first.message
    v1 = db.session.scalar(sa.select(ModelVersion).order_by(ModelVersion.version.desc()))
    assert (v1.kind, v1.people_count, v1.image_count) == ("incremental", 3, 15)
    assert v1.metrics["embedded_images"] == 0  # preprocessing already cached every embedding

    name, photos = people[3]
    newcomer, _ = create_staff("P9", *name.split("_", 1))
    _enrol_photos(newcomer, photos[:4], tmp_path / name)
    run_preprocess(create_job("preprocess", newcomer.id).id)
    run_train(create_job("train").id)
    v2 = db.session.scalar(sa.select(ModelVersion).order_by(ModelVersion.version.desc()))
    assert (v2.version, v2.people_count, v2.image_count) == (v1.version + 1, 4, 19)
    assert v2.metrics["embedded_images"] == 0

    full = run_train(create_job("train").id, full=True)
    assert full.state == "succeeded"
    v3 = db.session.scalar(sa.select(ModelVersion).order_by(ModelVersion.version.desc()))
    assert v3.kind == "full" and v3.metrics["embedded_images"] == 19
    # Training from the cached embeddings gives the very model that embedding every photo afresh gives.
    incremental, afresh = load_classifier(v2.version), load_classifier(v3.version)
    for a, b in zip(*(classifier_to_arrays(m)[0].values() for m in (incremental, afresh)), strict=True):
        np.testing.assert_array_equal(a, b)
    assert incremental.thresholds == afresh.thresholds


def test_a_site_of_one_person_trains_and_one_without_photos_says_why(app, db, faces_dir, tmp_path) -> None:
    nobody = run_train(create_job("train").id)
    assert nobody.state == "failed" and "usable photos of at least one person" in nobody.message
    person, _ = create_staff("Solo", "Only", "One")
    _enrol_photos(person, next(iter(people_photos(faces_dir, 1).values()))[:3], tmp_path / "solo")
    run_preprocess(create_job("preprocess", person.id).id)
    job = run_train(create_job("train").id)
    assert job.state == "succeeded" and ": 1 people, 3 photos" in job.message
    assert list(load_classifier(newest_version()).classes) == ["Solo"]


def test_deleting_a_person_forgets_photos_embeddings_and_old_models(app, db, faces_dir, tmp_path) -> None:
    people = list(people_photos(faces_dir, 3).items())
    staff = []
    for i, (name, photos) in enumerate(people):
        person, _ = create_staff(f"F{i}", *name.split("_", 1))
        _enrol_photos(person, photos[:3], tmp_path / name)
        staff.append(person)
    run_preprocess(create_job("preprocess").id)
    run_train(create_job("train").id)
    run_train(create_job("train").id)
    count = sa.select(sa.func.count())
    assert db.session.scalar(count.select_from(ModelVersion)) >= 2

    result = app.test_cli_runner().invoke(args=["staff", "delete", "F0", "--yes"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(count.select_from(FaceImage)) == 6
    assert db.session.scalar(count.select_from(PhotoBlob)) == 6
    # Older versions, which knew the person, are gone with their bytes.
    (only,) = db.session.scalars(sa.select(ModelVersion)).all()
    assert db.session.scalar(count.select_from(ModelChunk).where(ModelChunk.model_version_id != only.id)) == 0
    assert sorted(load_classifier(only.version).classes) == ["F1", "F2"]
