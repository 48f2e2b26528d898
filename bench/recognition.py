"""Recognition benchmark: per-stage timings for every backend pair, throughput, memory, evaluate figures.

python -m bench.recognition --faces ../shared/faces
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
from pathlib import Path

import cv2
import numpy as np

from app.recognition.align import align_face
from app.recognition.classify import FaceClassifier
from app.recognition.cohort import SHIPPED_COHORT, Cohort, load_cohort
from app.recognition.detect import DETECTORS
from app.recognition.embed import (
    EMBEDDERS,
    embed_faces,
    get_embedder,
    l2_normalize,
    prewhiten,
    standardize,
)
from app.recognition.evaluate import evaluate, image_files
from app.recognition.images import read_image
from app.recognition.pairs import verify_pairs
from app.recognition.pipeline import Recognizer, Timings
from app.recognition.training import train_from_vectors

FRAME_W, FRAME_H = 640, 480


def compose_frame(photos: list[np.ndarray]) -> np.ndarray:
    """A 640x480 grey frame with one photo in the middle, or up to four photos in a 2x2 grid."""
    frame = np.full((FRAME_H, FRAME_W, 3), 110, np.uint8)
    if len(photos) == 1:
        y, x = (FRAME_H - photos[0].shape[0]) // 2, (FRAME_W - photos[0].shape[1]) // 2
        frame[y : y + photos[0].shape[0], x : x + photos[0].shape[1]] = photos[0]
        return frame
    for i, photo in enumerate(photos[:4]):
        tile = cv2.resize(photo, (220, 220))
        y, x = 20 + (i // 2) * 220, 100 + (i % 2) * 220
        frame[y : y + 220, x : x + 220] = tile
    return frame


def stage_medians(recognizer: Recognizer, model: FaceClassifier, frames: list[np.ndarray]) -> dict:
    """Median milliseconds per stage over the frames (after one warm-up frame)."""
    recognizer.identify(frames[0], model)
    rows, faces = [], 0
    for frame in frames:
        timings = Timings()
        faces += len(recognizer.identify(frame, model, timings=timings))
        rows.append([timings.detect, timings.align, timings.embed, timings.liveness, timings.classify, timings.total])
    medians = np.median(np.array(rows), axis=0)
    stages = ["detect", "align", "embed", "liveness", "classify", "total"]
    return dict(zip(stages, np.round(medians, 1).tolist(), strict=True)) | {
        "faces_per_frame": round(faces / len(frames), 2)
    }


def faces_per_second(recognizer: Recognizer, crops: np.ndarray, batch: int) -> float:
    """Embedding throughput at a given batch size."""
    embedder = get_embedder(recognizer.embedder, recognizer.model_dir)
    embed_faces(embedder, crops[:batch])
    start = time.perf_counter()
    done = 0
    for i in range(0, len(crops) - batch + 1, batch):
        embed_faces(embedder, crops[i : i + batch])
        done += batch
    return round(done / (time.perf_counter() - start), 1)


def peak_memory_mb() -> float:
    """The process's peak resident memory so far, in MiB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def training_seconds(people: int, per_person: int = 20) -> float:
    """Seconds to train the classifier on synthetic clustered embeddings (timing only)."""
    rng = np.random.default_rng(0)

    def cluster(dim: int) -> np.ndarray:
        centres = l2_normalize(rng.normal(size=(people, dim)))
        noise = rng.normal(scale=0.045, size=(people * per_person, dim))
        return l2_normalize(np.repeat(centres, per_person, 0) + noise)

    labels = np.repeat([str(i) for i in range(people)], per_person)
    vectors = np.hstack([cluster(512), cluster(128)])  # FaceNet's part, then the second embedder's
    start = time.perf_counter()
    train_from_vectors(vectors, labels, shipped_cohort())
    return round(time.perf_counter() - start, 2)


def shipped_cohort() -> Cohort:
    """The background cohort the project ships."""
    return load_cohort(SHIPPED_COHORT, Recognizer().embedding_name)[0]


def preprocessing_comparison(recognizer: Recognizer, people_dir: Path, enroll: int) -> dict:
    """Closed-set nearest-centroid top-1 of FaceNet with fixed standardisation versus per-image prewhitening."""
    crops, labels, is_enrolled = [], [], []
    for person in sorted(p for p in people_dir.iterdir() if p.is_dir()):
        for i, path in enumerate(image_files(person)):
            results = recognizer.analyse(read_image(path), central_only=True)
            if results and results[0].embedding is not None:
                crops.append(align_face(read_image(path), results[0].face))
                labels.append(person.name)
                is_enrolled.append(i < enroll)
    crops_a, labels_a, enrolled = np.stack(crops), np.array(labels), np.array(is_enrolled)
    embedder = get_embedder(recognizer.embedder, recognizer.model_dir)
    out = {}
    for name, prepare in (("fixed (x-127.5)/128", standardize), ("prewhiten", prewhiten)):
        vectors = np.concatenate(
            [l2_normalize(embedder.embed_batch(prepare(crops_a[i : i + 16]))) for i in range(0, len(crops_a), 16)]
        )
        classes = np.unique(labels_a)
        centroids = l2_normalize(np.stack([vectors[enrolled & (labels_a == c)].mean(0) for c in classes]))
        guess = classes[(vectors[~enrolled] @ centroids.T).argmax(1)]
        out[name] = round(float(np.mean(guess == labels_a[~enrolled])), 4)
    return out


def main() -> None:
    """Run the benchmark and print a table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, required=True, help="the shared faces folder (people/, strangers/)")
    parser.add_argument("--enroll", type=int, default=10)
    parser.add_argument("--frames", type=int, default=6, help="frames timed per backend pair and layout")
    parser.add_argument("--model-dir", default="instance/models", help="where the Keras weights are cached")
    parser.add_argument(
        "--other-pairs-people",
        type=int,
        default=8,
        help="people evaluated for the non-default pairs (the default pair uses all)",
    )
    parser.add_argument(
        "--preprocessing",
        action="store_true",
        help="also compare fixed standardisation with prewhitening (re-embeds every photo)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    people_dir, strangers_dir = args.faces / "people", args.faces / "strangers"
    people = sorted(p for p in people_dir.iterdir() if p.is_dir())
    photos = [read_image(image_files(p)[0]) for p in people[: args.frames * 4]]
    singles = [compose_frame([photo]) for photo in photos[: args.frames]]
    quads = [compose_frame(photos[i * 4 : i * 4 + 4]) for i in range(args.frames)]
    report: dict = {
        "machine": f"{platform.processor() or platform.machine()}, {cv2.getNumberOfCPUs()} CPUs",
        "date": time.strftime("%Y-%m-%d"),
        "pairs": [],
    }
    for detector in DETECTORS:
        for embedder in EMBEDDERS:
            recognizer = Recognizer(detector=detector, embedder=embedder, model_dir=args.model_dir)
            default = detector == "opencv" and embedder == "onnxruntime"
            evaluation = evaluate(
                recognizer, people_dir, strangers_dir, args.enroll, shipped_cohort(),
                limit_people=None if default else args.other_pairs_people,
            )  # fmt: skip
            model = train_classifier_from_people(recognizer, people[:8])
            crops = np.stack(crops_of(recognizer, photos) * 2)
            row = {
                "detector": detector,
                "embedder": embedder,
                "one_face": stage_medians(recognizer, model, singles),
                "four_faces": stage_medians(recognizer, model, quads),
                "faces_per_s_batch1": faces_per_second(recognizer, crops, 1),
                "faces_per_s_batch16": faces_per_second(recognizer, crops, 16),
                "peak_memory_mb": peak_memory_mb(),
                "evaluate": {k: v for k, v in evaluation.items() if k not in ("errors", "thresholds")},
            }
            report["pairs"].append(row)
            print_row(row)
    default = Recognizer(model_dir=args.model_dir)
    report["verify_pairs"] = verify_pairs(default, args.faces / "lfw_pairs" / "pairs_subset.tsv", args.faces)
    report["train_seconds"] = {"100 people x 20": training_seconds(100), "1000 people x 20": training_seconds(1000)}
    if args.preprocessing:
        report["preprocessing_top1"] = preprocessing_comparison(default, people_dir, args.enroll)
    print(json.dumps({k: v for k, v in report.items() if k != "pairs"}, indent=2))
    if args.json:
        print(json.dumps(report))


def crops_of(recognizer: Recognizer, photos: list[np.ndarray]) -> list[np.ndarray]:
    """Aligned crops of the most central face of each photo."""
    crops = []
    for photo in photos:
        results = recognizer.analyse(photo, central_only=True)
        if results:
            crops.append(align_face(photo, results[0].face))
    return crops


def train_classifier_from_people(recognizer: Recognizer, people: list[Path]) -> FaceClassifier:
    """A small classifier (first three photos of each person) to time the classify stage with."""
    vectors, labels = [], []
    for person in people:
        for path in image_files(person)[:3]:
            vector, _ = recognizer.enrolment_vector(read_image(path))
            if len(vector):
                vectors.append(vector)
                labels.append(person.name)
    return train_from_vectors(np.stack(vectors), np.array(labels), shipped_cohort())


HEADER = (
    f"{'detector':10s} {'embedder':10s} {'frame':6s} {'detect':>7s} {'align':>6s} {'embed':>6s} {'live':>5s} "
    f"{'classify':>8s} {'total':>6s}  {'f/s b1':>6s} {'f/s b16':>7s} {'peak MiB':>8s}  top1   FAR    ms/img"
)


def print_row(row: dict) -> None:
    """One backend pair as two table lines (one face, four faces)."""
    if print_row.first:
        print(HEADER)
        print_row.first = False
    ev = row["evaluate"]
    for layout in ("one_face", "four_faces"):
        t = row[layout]
        print(
            f"{row['detector']:10s} {row['embedder']:10s} {layout[:4]:6s} {t['detect']:7.1f} {t['align']:6.1f} "
            f"{t['embed']:6.1f} {t['liveness']:5.1f} {t['classify']:8.1f} {t['total']:6.1f}  "
            f"{row['faces_per_s_batch1']:6.1f} "
            f"{row['faces_per_s_batch16']:7.1f} {row['peak_memory_mb']:8.0f}  {ev['top1_accuracy']:.3f}  "
            f"{ev['stranger_false_accept_rate']:.3f}  {ev['ms_per_image']}  ({ev['identities']} people)",
            flush=True,
        )


print_row.first = True

if __name__ == "__main__":
    main()
