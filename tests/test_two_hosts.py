"""Two hosts, one truth: host A (web app, train worker, event file writer) and host B (preprocess and recognize
worker) each have their own data, model, media and instance folders and share only MariaDB and Redis. A person is
uploaded on A, preprocessed on B, trained on A, recognised at a camera on B and forgotten on A; then neither host's
disk nor the database holds anything of them."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import cv2
import pytest
import requests
import sqlalchemy as sa

from app.accounts import create_admin, create_gate, create_staff
from app.enrolment.forgetting import FORGET_KEY
from app.enrolment.model_store import load_version
from app.enrolment.service import enqueue_job
from app.extensions import db as _db
from app.gates.in_flight import take_slot
from app.gates.stream import read_gate_events
from app.models import AvatarBlob, DecisionFace, FaceImage, Job, Log, ModelVersion, PhotoBlob
from app.recognition.configured import recognizer_from_config
from app.redis_client import get_redis
from camera_ingest.reader import encode_jpeg
from camera_ingest.sender import celery_sender
from testkit.processes import REPO_ROOT, ManagedProcess, celery_worker, python_module, wait_until, web_app
from testkit.scenes import background, one_face, scene_frame
from testkit.site import pick_people

pytestmark = pytest.mark.slow

GONE = "FORGETME7"  # a staff ID no photo's bytes will contain by chance
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def host_env(test_env: dict, root: Path) -> dict[str, str]:
    """One simulated host: the shared database, Redis and key, and folders of its own."""
    folders = {"FACEGATE_INSTANCE_DIR": "instance", "FACEGATE_DATA_DIR": "dataset", "FACEGATE_MODEL_DIR": "models",
               "FACEGATE_MEDIA_DIR": "media"}  # fmt: skip
    return {**os.environ, **test_env, **{name: str(root / folder) for name, folder in folders.items()}}


def wait_job(job_id: int, timeout: float = 300) -> Job:
    """The job once it finished (succeeded, failed or cancelled)."""

    def finished() -> bool:
        _db.session.rollback()
        return _db.session.get(Job, job_id).state in ("succeeded", "failed", "cancelled")

    assert wait_until(finished, timeout, every=0.5) is not None, f"job {job_id} did not finish"
    return _db.session.get(Job, job_id)


def upload_over_http(url: str, password: str, staff_pk: int, photos: list[Path]) -> str:
    """Sign in as the admin and upload photos on the enrolment page; the page's text."""
    session = requests.Session()
    token = CSRF.search(session.get(f"{url}/login").text).group(1)
    session.post(f"{url}/login", data={"username": "admin", "password": password, "csrf_token": token})
    token = CSRF.search(session.get(f"{url}/admin/enrolment/{staff_pk}").text).group(1)
    files = [("photos", (p.name, p.read_bytes(), "image/jpeg")) for p in photos]
    return session.post(f"{url}/admin/enrolment/{staff_pk}/upload", data={"csrf_token": token}, files=files).text


def files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def test_upload_on_a_preprocess_on_b_train_on_a_recognise_on_b_forget_on_a(
    app, db, test_env, redis_client, faces_dir, tmp_path
) -> None:
    env_a, env_b = host_env(test_env, tmp_path / "host-a"), host_env(test_env, tmp_path / "host-b")
    enrolled, held_out = pick_people(faces_dir, count=2, enroll=6)
    (gone_name, gone_photos), (kept_name, kept_photos) = enrolled.items()
    gate, _token = create_gate("Front", "")
    create_admin("admin", "two-hosts-password")
    gone, _ = create_staff(GONE, "Forget", "Me", gate_names=["Front"])
    kept, _ = create_staff("KEPT1", *kept_name.split("_", 1), gate_names=["Front"])
    gone_pk = gone.id
    logs = tmp_path / "logs"
    processes = [
        web_app(env_a, logs / "a-web.log"),
        celery_worker(env_a, logs / "a-worker.log", queues="train", node="a@%h", name="worker-a"),
        ManagedProcess("events-a", python_module("flask", "--app", "wsgi", "events", "follow"), env_a,
                       logs / "a-events.log"),  # fmt: skip
        celery_worker(env_b, logs / "b-worker.log", queues="preprocess,recognize", node="b@%h", name="worker-b"),
    ]
    for process in processes:
        process.start(timeout=120)
    web = processes[0]
    try:
        # Upload on A (the web app), for both people.
        for person, photos in ((gone, gone_photos), (kept, kept_photos)):
            page = upload_over_http(web.url, "two-hosts-password", person.id, photos)
            assert f"{len(photos)} photos added" in page
        # Preprocess on B (only B takes the preprocess queue), train on A (only A takes the train queue).
        for person in (gone, kept):
            job = wait_job(enqueue_job("preprocess", person.id).id)
            assert job.state == "succeeded" and "rejected" in job.message, job.message
        job = wait_job(enqueue_job("train").id)
        assert job.state == "succeeded", job.message
        version = _db.session.scalar(sa.select(ModelVersion.version).order_by(ModelVersion.version.desc()))
        assert f"model version {version}: 2 people" in job.message

        # A camera frame recognised on B: the worker there reads the model from the database, not from a disk.
        recognizer = recognizer_from_config(app.config)
        photo = next(p for p in held_out[gone_name] if one_face(recognizer, p))
        send = celery_sender(test_env["REDIS_URL"])
        rds = get_redis(test_env["REDIS_URL"])
        t0 = time.time()
        for index in range(12):
            frame = encode_jpeg(scene_frame(background(), cv2.imread(str(photo)), index), 85)
            send(gate.id, take_slot(rds, gate.id, 100), t0 + index * 0.1, frame)

        def granted() -> list[str]:
            return [e["staff_id"] for e in read_gate_events(rds, gate.id, "0")[0] if e["type"] == "granted"]

        assert wait_until(granted, timeout=180, every=1) is not None, processes[3].log_tail(30)
        assert granted() == [GONE]
        assert wait_until(lambda: any(GONE.encode() in p.read_bytes() for p in files_under(tmp_path / "host-a")),
                          timeout=30) is not None  # the event file writer on A wrote the event  # fmt: skip

        # Forget on A: the CLI there deletes the person and retrains without them.
        done = subprocess.run(python_module("flask", "--app", "wsgi", "staff", "delete", GONE, "--yes"), cwd=REPO_ROOT,
                              env=env_a, capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert wait_until(lambda: rds.scard(FORGET_KEY) == 0, timeout=30) is not None  # the writer scrubbed
    finally:
        for process in processes[::-1]:
            process.stop()

    # No trace on either host's disk: B wrote nothing at all, A only event lines about others.
    assert files_under(tmp_path / "host-b") == []
    for path in files_under(tmp_path / "host-a"):
        data = path.read_bytes()
        assert GONE.encode() not in data and b"Forget Me" not in data, path
    # ... nor in the database: rows, photos, avatar, log, decision faces, and every stored model.
    db.session.rollback()
    count = sa.select(sa.func.count())
    for table, column in ((FaceImage, FaceImage.staff_id), (AvatarBlob, AvatarBlob.staff_id), (Log, Log.staff_id),
                          (DecisionFace, DecisionFace.staff_id)):  # fmt: skip
        assert db.session.scalar(count.select_from(table).where(column == gone_pk)) == 0, table
    assert db.session.scalar(count.select_from(PhotoBlob)) == len(kept_photos)
    versions = db.session.scalars(sa.select(ModelVersion.version)).all()
    assert len(versions) == 1 and versions[0] > version
    assert load_version(versions[0])[0]["classes"].tolist() == ["KEPT1"]
