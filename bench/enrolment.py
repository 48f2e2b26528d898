"""Enrolment benchmark: preprocessing 50 photos of one person, and the training step as the staff grows.

python -m bench.enrolment --faces ../shared/faces [--mysql-url mysql+pymysql://root@127.0.0.1:3306] [--json]

Preprocessing stores 50 camera-like 640x480 frames of one person as a capture does (add_photo: the JPEG into the
database) and runs the real preprocess_staff (detect, align, quality, FaceNet + second embedder, the embedding
committed on the FaceImage row) on a scratch site: a SQLite file, or a fresh database on MariaDB (--mysql-url).
The training step is train_from_vectors on cached embeddings (synthetic ones, 20 per person, for the 100- and
1,000-person timings only: the fit does not depend on what the vectors show) and the shipped cohort, plus
publishing the model in the site's model store (the database).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import sqlalchemy as sa
from flask import Flask

from testkit.scenes import background, scene_frame

SHOTS = 50


def capture_like_frames(photos: list[Path], count: int) -> list[np.ndarray]:
    """count 640x480 BGR frames of one person drifting in front of a corridor, as the capture task saves them."""
    backdrop = background()
    images = [cv2.imread(str(p)) for p in photos]
    return [scene_frame(backdrop, images[i % len(images)], i * 5) for i in range(count)]


@contextmanager
def scratch_site(mysql_url: str | None) -> Iterator[Flask]:
    """A scratch site's app, in its context: a SQLite file, or a fresh database on the MariaDB at mysql_url."""
    from app import create_app
    from app.extensions import db

    with tempfile.TemporaryDirectory() as scratch:
        name = f"facegate_bench_{uuid.uuid4().hex[:12]}"
        server = sa.create_engine(mysql_url, isolation_level="AUTOCOMMIT") if mysql_url else None
        if server is not None:
            with server.connect() as conn:
                conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
        url = f"{mysql_url}/{name}?charset=utf8mb4" if mysql_url else f"sqlite:///{scratch}/bench.db"
        os.environ.update({"FACEGATE_INSTANCE_DIR": scratch, "FACEGATE_DATA_DIR": f"{scratch}/dataset",
                           "DATABASE_URL": url, "SECRET_KEY": "bench"})  # fmt: skip
        flask_app = create_app()
        try:
            with flask_app.app_context():
                db.create_all()
                yield flask_app
                db.session.remove()
                db.engine.dispose()
        finally:
            if server is not None:
                with server.connect() as conn:
                    conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
                server.dispose()


def time_preprocessing(flask_app: Flask, faces_dir: Path, repeats: int) -> dict:
    """Median seconds to store and preprocess 50 photos of one person with the real enrolment code, and the bytes
    the database then holds for that person (photos and embeddings)."""
    from app.accounts import create_staff
    from app.enrolment.photos import add_photo
    from app.enrolment.preprocess import preprocess_staff
    from app.extensions import db
    from app.models import FaceImage, PhotoBlob
    from app.recognition.configured import recognizer_from_config

    person = sorted((faces_dir / "people").iterdir())[0]
    frames = capture_like_frames(sorted(person.glob("*.jpg")), SHOTS)
    jpegs = [cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes() for frame in frames]
    recognizer = recognizer_from_config(flask_app.config)
    recognizer.enrolment_vector(cv2.cvtColor(frames[0], cv2.COLOR_BGR2RGB))  # load the models once
    seconds, storing, accepted, stored = [], [], 0, 0
    for run in range(repeats):
        staff, _ = create_staff(f"B{run}", "Bench", f"Person{run}")
        started = time.perf_counter()
        for jpeg in jpegs:  # as a capture stores its shots
            add_photo(staff, jpeg)
        storing.append(time.perf_counter() - started)
        started = time.perf_counter()
        accepted, _ = preprocess_staff(staff, recognizer)
        seconds.append(time.perf_counter() - started)
        mine = FaceImage.staff_id == staff.id
        photo_bytes = sa.select(sa.func.sum(sa.func.length(PhotoBlob.jpeg))).join(FaceImage).where(mine)
        vector_bytes = sa.select(sa.func.sum(sa.func.length(FaceImage.embedding))).where(mine)
        stored = db.session.scalar(photo_bytes) + db.session.scalar(vector_bytes)
    return {
        "photos": SHOTS,
        "accepted": accepted,
        "store_median_s": round(statistics.median(storing), 2),
        "median_s": round(statistics.median(seconds), 2),
        "runs_s": [round(s, 2) for s in seconds],
        "second_embedder": recognizer.second,
        "stored_bytes_per_person": int(stored),
    }


def synthetic_embeddings(people: int, per_person: int, dims: tuple[int, ...], seed: int = 0) -> tuple:
    """Unit-length clustered vectors per embedder part (e.g. 512 FaceNet + 128 dlib) and their labels."""
    rng = np.random.default_rng(seed)
    parts = []
    for dim in dims:
        centres = rng.standard_normal((people, dim))
        vectors = np.repeat(centres, per_person, axis=0) + 0.6 * rng.standard_normal((people * per_person, dim))
        parts.append((vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32))
    labels = np.repeat([f"S{i:05d}" for i in range(people)], per_person)
    return parts, labels


def time_training(people: int, repeats: int) -> dict:
    """Median seconds of the training step when one person (20 photos) joins `people` enrolled people: the fit on
    the shipped cohort, and publishing the model in the site's model store; the model's size."""
    from app.enrolment.model_store import publish_model
    from app.recognition.cohort import SHIPPED_COHORT, load_cohort
    from app.recognition.training import classifier_bytes, train_from_vectors

    parts, labels = synthetic_embeddings(people + 1, 20, (512, 128))
    vectors = np.hstack(parts)  # FaceNet's part, then the second embedder's, as preprocessing caches them
    cohort = load_cohort(SHIPPED_COHORT, "facenet-20180408+dlib-resnet-v1")[0]
    seconds, size = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        size = publish_model(classifier_bytes(train_from_vectors(vectors, labels, cohort)), kind="full",
                             embedder="bench").size  # fmt: skip
        seconds.append(time.perf_counter() - started)
    return {
        "people": people,
        "images": len(labels),
        "median_s": round(statistics.median(seconds), 2),
        "runs_s": [round(s, 2) for s in seconds],
        "model_bytes": size,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the enrolment benchmark and print a table (or one JSON object)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, default=Path("../shared/faces"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--people", default="100,1000", help="staff sizes to time the training step at")
    parser.add_argument("--mysql-url", help="a MariaDB server (mysql+pymysql://user@host:port) to make a scratch "
                        "database on, instead of a SQLite file")  # fmt: skip
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with scratch_site(args.mysql_url) as flask_app:
        result = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "database": "MariaDB" if args.mysql_url else "SQLite",
            "preprocess_50": time_preprocessing(flask_app, args.faces, args.repeats),
            "train_add_one": [time_training(int(n), args.repeats) for n in args.people.split(",")],
        }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    pre = result["preprocess_50"]
    print(f"enrolment benchmark on {result['machine']}, {result['database']} (medians of {args.repeats} runs)")
    print(f"{'step':52s} {'median s':>9s}  runs")
    print(
        f"{'preprocess 50 photos of one person (' + str(pre['accepted']) + ' accepted)':52s} "
        f"{pre['median_s']:9.2f}  {pre['runs_s']}"
    )
    for row in result["train_add_one"]:
        label = f"train: add 1 person (20 photos) to {row['people']} people"
        print(f"{label:52s} {row['median_s']:9.2f}  {row['runs_s']}  ({row['model_bytes'] / 1e6:.1f} MB model)")
    print(f"{'store the 50 photos (as a capture does)':52s} {pre['store_median_s']:9.2f}")
    print(f"stored in the database per enrolled person (50 photos + embeddings): "
          f"{pre['stored_bytes_per_person'] / 1e6:.2f} MB")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
