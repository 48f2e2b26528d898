"""The shared stores: photos named so that concurrent writers never collide, and forgetting a person leaves no
trace of them in any table, stored model or file."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from app.accounts import create_gate, create_staff
from app.avatars import store_avatar
from app.enrolment.model_store import load_version
from app.enrolment.photos import add_uploaded_photos
from app.enrolment.service import run_capture, run_preprocess, run_train
from app.extensions import db as _db
from app.jobs import create_job
from app.models import AvatarBlob, DecisionFace, FaceImage, Log, ModelChunk, ModelVersion, PhotoBlob, Staff

from .conftest import people_photos

pytestmark = pytest.mark.slow


def test_a_capture_and_an_upload_at_once_lose_no_photo(app, db, faces_dir, photo_video) -> None:
    photos = next(iter(people_photos(faces_dir, 1).values()))
    staff, _ = create_staff("R1", "Race", "Condition")
    video = photo_video(photos[:8], seconds_each=0.5)
    uploads = [(p.name, p.read_bytes()) for p in photos[:12]]
    job = create_job("capture", staff.id)
    start = threading.Barrier(2)
    outcome: dict = {}

    def capture() -> None:
        with app.app_context():
            start.wait()
            outcome["capture"] = run_capture(job.id, str(video)).message

    def upload() -> None:
        with app.app_context():
            person = _db.session.get(Staff, staff.id)
            start.wait()
            for name, data in uploads:  # one request per photo, as a browser sends them while the capture runs
                outcome.setdefault("uploaded", []).extend(add_uploaded_photos(person, [(name, data)]).saved)

    threads = [threading.Thread(target=capture), threading.Thread(target=upload)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    shots = int(re.search(r"after (\d+) shots", outcome["capture"]).group(1))
    db.session.rollback()  # see what the two writers committed
    rows = db.session.execute(sa.select(FaceImage.raw_path, sa.func.length(PhotoBlob.jpeg)).join(PhotoBlob)).all()
    names = [name for name, _ in rows]
    assert shots >= 2 and len(outcome["uploaded"]) == 12, outcome
    # Every shot and every upload is there under a name of its own: none replaced another.
    assert len(names) == len(set(names)) == 12 + shots and set(outcome["uploaded"]) <= set(names)
    assert all(size > 1000 for _, size in rows)


def _vectors_of(staff_pk: int) -> np.ndarray:
    query = sa.select(FaceImage).where(FaceImage.staff_id == staff_pk, FaceImage.embedding.is_not(None))
    rows = _db.session.scalars(query)
    return np.stack([image.embedding_vector() for image in rows])


def _holds(arrays: dict, vectors: np.ndarray) -> bool:
    """Whether any stored array has a row (or a row's leading part) equal to one of vectors' FaceNet parts, or to
    their unit-length mean (a class centroid)."""
    mean = vectors[:, :512].sum(axis=0)
    probes = [v[:512] for v in vectors] + [mean / np.linalg.norm(mean)]
    for array in arrays.values():
        if array.ndim != 2 or array.shape[1] < 512 or not np.issubdtype(array.dtype, np.floating):
            continue
        for probe in probes:
            if np.any(np.all(np.isclose(array[:, :512], probe, atol=1e-6), axis=1)):
                return True
    return False


def test_forgetting_a_person_leaves_no_photo_avatar_row_or_model_that_holds_them(app, db, faces_dir) -> None:
    gate, _ = create_gate("Front", "")
    staff = []
    for i, (name, paths) in enumerate(people_photos(faces_dir, 3).items()):
        person, _ = create_staff(f"G{i}", *name.split("_", 1))
        add_uploaded_photos(person, [(p.name, p.read_bytes()) for p in paths[:4]])
        staff.append(person)
    theirs = sa.select(PhotoBlob.jpeg).join(FaceImage).where(FaceImage.staff_id == staff[0].id)
    photos = list(db.session.scalars(theirs))
    gone = staff[0]
    store_avatar(gone, b"\xff\xd8 an avatar")
    face = DecisionFace(decision_id="d" * 32, gate_id=gate.id, kind="granted", staff_id=gone.id)
    db.session.add_all([Log(staff_id=gone.id, gate_id=gate.id, status="in"), face])
    db.session.commit()
    run_preprocess(create_job("preprocess").id)
    for _ in range(2):
        assert run_train(create_job("train").id).state == "succeeded"
    vectors, pk = _vectors_of(gone.id), gone.id
    assert all(_holds(load_version(v)[0], vectors) for v in db.session.scalars(sa.select(ModelVersion.version)))

    result = app.test_cli_runner().invoke(args=["staff", "delete", "G0", "--yes"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    count = sa.select(sa.func.count())
    for table, column in ((FaceImage, FaceImage.staff_id), (AvatarBlob, AvatarBlob.staff_id), (Log, Log.staff_id),
                          (DecisionFace, DecisionFace.staff_id), (Staff, Staff.id)):  # fmt: skip
        assert db.session.scalar(count.select_from(table).where(column == pk)) == 0, table
    assert db.session.scalar(count.select_from(PhotoBlob)) == 8  # the two others' photos
    versions = db.session.scalars(sa.select(ModelVersion.version)).all()
    assert len(versions) == 1
    arrays, _meta = load_version(versions[0])
    assert "G0" not in arrays["classes"].tolist() and not _holds(arrays, vectors)
    assert db.session.scalar(count.select_from(ModelChunk)) == db.session.scalar(
        sa.select(ModelChunk.seq).order_by(ModelChunk.seq.desc()).limit(1)) + 1  # fmt: skip
    for setting in ("DATA_DIR", "MODEL_DIR", "MEDIA_DIR"):  # no file on this host holds anything of theirs
        for path in Path(app.config[setting]).rglob("*"):
            data = path.read_bytes() if path.is_file() else b""
            assert b"G0" not in data and not any(photo in data for photo in photos), path

    # Forgetting the last people leaves no model at all: nobody is left to train on.
    for person in staff[1:]:
        result = app.test_cli_runner().invoke(args=["staff", "delete", person.staff_id, "--yes"])
        assert result.exit_code == 0, result.output
    assert "nobody is left to train on: all 1 model versions deleted" in result.output
    assert db.session.scalar(count.select_from(ModelVersion)) == 0
    assert db.session.scalar(count.select_from(ModelChunk)) == 0
