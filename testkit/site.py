"""A scratch site for a test or benchmark run: its own database and folders, people chosen from a faces folder and
enrolled through the product's enrolment service, and workers warmed up before the clock starts."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import cv2
import redis
import sqlalchemy as sa

from app.enrolment.model_store import newest_version
from app.enrolment.photos import add_photo
from app.enrolment.service import run_preprocess, run_train
from app.extensions import db
from app.gates.decide import pending_key
from app.gates.in_flight import in_flight_key, take_slot
from app.jobs import create_job
from app.models import Staff
from camera_ingest.reader import FrameSender, encode_jpeg
from testkit.scenes import background, scene_frame


def scratch_environment(mysql_url: str, redis_url: str, root: Path) -> dict[str, str]:
    """Environment variables for a scratch database (created here) on mysql_url, redis_url and folders under root."""
    name = f"facegate_bench_{uuid.uuid4().hex[:10]}"
    server = sa.create_engine(mysql_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    server.dispose()
    return {
        "DATABASE_URL": f"{mysql_url}/{name}?charset=utf8mb4",
        "REDIS_URL": redis_url,
        "SECRET_KEY": uuid.uuid4().hex,
        "FACEGATE_INSTANCE_DIR": str(root / "instance"),
        "FACEGATE_DATA_DIR": str(root / "dataset"),
        "FACEGATE_MEDIA_DIR": str(root / "media"),
        "FACEGATE_MODEL_DIR": str(root / "models"),
        "FACEGATE_BENCH_DATABASE": name,
    }


def drop_scratch(mysql_url: str, env: dict[str, str]) -> None:
    """Drop the scratch database scratch_environment created."""
    server = sa.create_engine(mysql_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{env['FACEGATE_BENCH_DATABASE']}`"))
    server.dispose()


@contextmanager
def scratch_site(mysql_url: str, redis_url: str, extra: Mapping[str, str] | None = None) -> Iterator[tuple[dict, Path]]:
    """A whole scratch site for one benchmark run: the Redis database flushed, a temporary folder, a scratch database,
    this process's environment pointed at them (with the extra settings); the full environment for child processes
    and the folder. Afterwards the database is dropped and the Redis database flushed again."""
    redis.Redis.from_url(redis_url).flushdb()
    with tempfile.TemporaryDirectory(prefix="facegate-bench-") as tmp:
        root = Path(tmp)
        env = scratch_environment(mysql_url, redis_url, root) | dict(extra or {})
        os.environ.update(env)
        try:
            yield {**os.environ, **env}, root
        finally:
            drop_scratch(mysql_url, env)
            redis.Redis.from_url(redis_url).flushdb()


def pick_people(faces_dir: Path, count: int, enroll: int) -> tuple[dict[str, list[Path]], dict[str, list[Path]]]:
    """The count people with the most photos: {name: first `enroll` photos}, {name: the held-out rest}."""
    folders = sorted((faces_dir / "people").iterdir(), key=lambda d: (-len(list(d.glob("*.jpg"))), d.name))
    enrolled, held_out = {}, {}
    for folder in folders[:count]:
        photos = sorted(folder.glob("*.jpg"))
        enrolled[folder.name], held_out[folder.name] = photos[:enroll], photos[enroll:]
    return enrolled, held_out


def enrol_and_train(photos: Mapping[str, Sequence[Path]]) -> int:
    """In an app context, through the product's enrolment service: each staff member's (by staff ID) photos become
    their raw photos, every new photo is preprocessed, and a model is trained and published in the shared model store;
    its version. RuntimeError when a job fails.

    The photo files are stored as they are, the way a capture stores its shots, so that every run enrols exactly the
    same pixels (an upload would re-encode them, which moves the embeddings a little).
    """
    for staff_id, paths in photos.items():
        staff = db.session.scalar(sa.select(Staff).where(Staff.staff_id == staff_id))
        for path in paths:
            add_photo(staff, path.read_bytes())
    for kind, run in (("preprocess", run_preprocess), ("train", run_train)):
        job = run(create_job(kind).id)
        if job.state != "succeeded":
            raise RuntimeError(f"{kind} failed: {job.message}")
    return newest_version()


def wait_gate_idle(client: redis.Redis, gate_id: int, timeout: float) -> bool:
    """Wait until no frame of gate_id is in flight and none of its decisions is pending; whether that happened in
    time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.zcard(in_flight_key(gate_id)) == 0 and client.hlen(pending_key(gate_id)) == 0:
            return True
        time.sleep(0.1)
    return False


def warm_up(client: redis.Redis, send: FrameSender, gate_id: int, processes: int, photo: Path) -> None:
    """Send a few frames showing photo, an hour in the past, so every worker process has loaded every model (the
    embedders load at the first face) before the clock starts."""
    jpeg = encode_jpeg(scene_frame(background(), cv2.imread(str(photo)), 0), 85)
    for _ in range(4 * processes):
        seq = take_slot(client, gate_id, 1000)
        send(gate_id, seq, time.time() - 3600, jpeg)
    if not wait_gate_idle(client, gate_id, 300):
        raise RuntimeError("the workers did not process the warm-up frames")
