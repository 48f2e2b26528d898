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
from app.enrolment.photos import import_photo_folder, record_raw_photos
from app.enrolment.service import run_capture, run_preprocess, run_train
from app.jobs import create_job, request_cancel
from app.models import FaceImage, Job, ModelVersion
from app.recognition.classify import classifier_to_arrays
from app.recognition.store import latest_version
from app.recognition.training import load_classifier
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
    assert all((Path(app.config["DATA_DIR"]) / image.raw_path).is_file() for image in images)


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
                         "--fps", "10", "--loop")  # fmt: skip
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
    # An empty file and a photo of an empty corridor, planted directly in the raw folder.
    raw = Path(app.config["DATA_DIR"]) / "raw" / staff[0].folder
    (raw / "9998.jpg").write_bytes(b"")
    cv2.imwrite(str(raw / "9999.jpg"), background())
    record_raw_photos(staff[0], [raw / "9998.jpg", raw / "9999.jpg"])

    job = run_preprocess(create_job("preprocess").id)
    assert job.state == "succeeded", job.message
    assert job.message == "15 photos accepted, 2 rejected"
    reasons = db.session.scalars(
        sa.select(FaceImage.rejection_reason).where(FaceImage.rejection_reason.is_not(None)).order_by(FaceImage.id)
    )
    assert list(reasons) == ["empty file (0 bytes)", "no face"]
    processed = list((Path(app.config["DATA_DIR"]) / "processed" / staff[0].folder).glob("*.jpg"))
    assert len(processed) == 5

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
    model_dir = Path(app.config["MODEL_DIR"])
    incremental, afresh = load_classifier(model_dir, v2.version), load_classifier(model_dir, v3.version)
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
    model_dir = Path(app.config["MODEL_DIR"])
    assert list(load_classifier(model_dir, latest_version(model_dir)).classes) == ["Solo"]


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
    model_dir, data_dir = Path(app.config["MODEL_DIR"]), Path(app.config["DATA_DIR"])
    assert len(list(model_dir.glob("model-*.npz"))) >= 2
    gone = staff[0]
    folder = gone.folder

    result = app.test_cli_runner().invoke(args=["staff", "delete", "F0", "--yes"])
    assert result.exit_code == 0, result.output
    assert not (data_dir / "raw" / folder).exists() and not (data_dir / "processed" / folder).exists()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FaceImage)) == 6
    models = list(model_dir.glob("model-*.npz"))
    assert len(models) == 1  # older versions, which knew the person, are gone
    live = load_classifier(model_dir, latest_version(model_dir))
    assert sorted(live.classes) == ["F1", "F2"]
