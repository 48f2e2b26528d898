"""Enrolment benchmark: preprocessing 50 photos of one person, and the training step as the staff grows.

python -m bench.enrolment --faces ../shared/faces [--json]

Preprocessing runs the real preprocess_staff (detect, align, quality, FaceNet + second embedder, crop written,
FaceImage row committed) on a scratch SQLite instance, over 50 camera-like 640x480 frames of one person.
The training step is train_from_vectors on cached embeddings (synthetic ones, 20 per person, for the 100- and
1,000-person timings only: the fit does not depend on what the vectors show), plus writing the model file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from testkit.scenes import background, scene_frame

SHOTS = 50


def capture_like_frames(photos: list[Path], count: int) -> list[np.ndarray]:
    """count 640x480 BGR frames of one person drifting in front of a corridor, as the capture task saves them."""
    backdrop = background()
    images = [cv2.imread(str(p)) for p in photos]
    return [scene_frame(backdrop, images[i % len(images)], i * 5) for i in range(count)]


def time_preprocessing(faces_dir: Path, repeats: int) -> dict:
    """Median seconds to preprocess 50 photos of one person with the real enrolment code."""
    from app import create_app
    from app.accounts import create_staff
    from app.enrolment.photos import data_root, record_raw_photos
    from app.enrolment.preprocess import preprocess_staff
    from app.extensions import db
    from app.recognition.configured import recognizer_from_config

    person = sorted((faces_dir / "people").iterdir())[0]
    frames = capture_like_frames(sorted(person.glob("*.jpg")), SHOTS)
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.update(
            {
                "FACEGATE_INSTANCE_DIR": scratch,
                "FACEGATE_DATA_DIR": f"{scratch}/dataset",
                "DATABASE_URL": f"sqlite:///{scratch}/bench.db",
                "SECRET_KEY": "bench",
            }
        )
        flask_app = create_app()
        with flask_app.app_context():
            db.create_all()
            recognizer = recognizer_from_config(flask_app.config)
            recognizer.enrolment_vector(cv2.cvtColor(frames[0], cv2.COLOR_BGR2RGB))  # load the models once
            seconds, accepted = [], 0
            for run in range(repeats):
                staff, _ = create_staff(f"B{run}", "Bench", f"Person{run}")
                folder = data_root() / "raw" / staff.folder
                folder.mkdir(parents=True)
                paths = []
                for i, frame in enumerate(frames):
                    cv2.imwrite(str(folder / f"{i + 1:04d}.jpg"), frame)
                    paths.append(folder / f"{i + 1:04d}.jpg")
                record_raw_photos(staff, paths)
                started = time.perf_counter()
                accepted, _ = preprocess_staff(staff, data_root(), recognizer)
                seconds.append(time.perf_counter() - started)
    return {
        "photos": SHOTS,
        "accepted": accepted,
        "median_s": round(statistics.median(seconds), 2),
        "runs_s": [round(s, 2) for s in seconds],
        "second_embedder": recognizer.second,
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
    """Median seconds of the training step when one person (20 photos) joins `people` enrolled people."""
    from app.recognition.training import publish_classifier, train_from_vectors

    parts, labels = synthetic_embeddings(people + 1, 20, (512, 128))
    vectors = np.hstack(parts)  # FaceNet's part, then the second embedder's, as preprocessing caches them
    seconds = []
    with tempfile.TemporaryDirectory() as model_dir:
        for _ in range(repeats):
            started = time.perf_counter()
            publish_classifier(Path(model_dir), train_from_vectors(vectors, labels))
            seconds.append(time.perf_counter() - started)
    return {
        "people": people,
        "images": len(labels),
        "median_s": round(statistics.median(seconds), 2),
        "runs_s": [round(s, 2) for s in seconds],
    }


def main(argv: list[str] | None = None) -> int:
    """Run the enrolment benchmark and print a table (or one JSON object)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, default=Path("../shared/faces"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "preprocess_50": time_preprocessing(args.faces, args.repeats),
        "train_add_one": [time_training(n, args.repeats) for n in (100, 1000)],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    pre = result["preprocess_50"]
    print(f"enrolment benchmark on {result['machine']} (medians of {args.repeats} runs)")
    print(f"{'step':52s} {'median s':>9s}  runs")
    print(
        f"{'preprocess 50 photos of one person (' + str(pre['accepted']) + ' accepted)':52s} "
        f"{pre['median_s']:9.2f}  {pre['runs_s']}"
    )
    for row in result["train_add_one"]:
        label = f"train: add 1 person (20 photos) to {row['people']} people"
        print(f"{label:52s} {row['median_s']:9.2f}  {row['runs_s']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
