"""Offline open-set evaluation on folders of photos: galleries of any size, strangers, the site's own strangers.

A person's folder holds photos directly, or one sub-folder per session (a camera clip, a day): then the first
`enroll` photos of the first session are enrolled and the other sessions are the probes (a person with one session
is probed with its remaining photos). Strangers are every image under the strangers folder. Site strangers (faces a
site's gates have already decided were strangers) join the cohort exactly as the site cohort does at training time;
they are never evaluated. Every image is embedded once; each random gallery is then trained and decided from the
cached vectors, and the first gallery also goes through the whole pipeline image by image to time it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.recognition.classify import FaceClassifier, classifier_from_arrays, classifier_to_arrays
from app.recognition.cohort import SITE_GROUP_PREFIX, Cohort, cohort_images
from app.recognition.embed import split_vector
from app.recognition.images import ImageError, read_image
from app.recognition.pipeline import Recognizer, Timings
from app.recognition.training import train_from_vectors

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
FACE_RULE = "most central face"


def image_files(folder: Path) -> list[Path]:
    """The image files directly inside folder, in sorted order."""
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


@dataclass(frozen=True)
class PersonPhotos:
    """One person's photos: those enrolled and those kept back as probes."""

    name: str
    enrol: list[Path]
    probes: list[Path]


def person_photos(folder: Path, enroll: int) -> PersonPhotos:
    """Split a person's folder: the first `enroll` photos of the first session enrolled, other sessions probed."""
    sessions = sorted(p for p in Path(folder).iterdir() if p.is_dir() and image_files(p))
    if not sessions:
        files = image_files(folder)
        return PersonPhotos(Path(folder).name, files[:enroll], files[enroll:])
    first = image_files(sessions[0])
    later = [path for session in sessions[1:] for path in image_files(session)]
    probes = later if later else first[enroll:]
    return PersonPhotos(Path(folder).name, first[:enroll], probes)


@dataclass
class VectorCache:
    """Enrolment-layout vectors of the most central face of each image (None: no usable face or unreadable)."""

    recognizer: Recognizer
    vectors: dict[Path, np.ndarray | None] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def get(self, path: Path) -> np.ndarray | None:
        """The image's vector, embedding it on first use."""
        if path not in self.vectors:
            try:
                vector, _ = self.recognizer.enrolment_vector(read_image(path))
            except ImageError as exc:
                self.errors.append(f"{path}: {exc}")
                vector = np.zeros(0, np.float32)
            self.vectors[path] = vector if len(vector) else None
        return self.vectors[path]

    def no_face(self) -> int:
        """Readable images without a usable face."""
        return sum(v is None for v in self.vectors.values()) - len(self.errors)


def site_cohort(cache: VectorCache, folder: Path) -> Cohort | None:
    """The faces under folder as site strangers (group: site:<sub-folder>), or None when there are none."""
    pairs = [(path, cache.get(path)) for path in cohort_images(folder)]
    pairs = [(path, vector) for path, vector in pairs if vector is not None]
    if not pairs:
        return None
    groups = [f"{SITE_GROUP_PREFIX}{path.parent.relative_to(folder)}" for path, _ in pairs]
    return Cohort.from_vectors(np.stack([vector for _, vector in pairs]), groups)


def train_gallery(cache: VectorCache, gallery: list[PersonPhotos], cohort: Cohort) -> FaceClassifier:
    """The classifier of these people's enrolled photos, as a worker reads it back from the model store's format."""
    pairs = [(p.name, cache.get(path)) for p in gallery for path in p.enrol]
    pairs = [(name, vector) for name, vector in pairs if vector is not None]
    model = train_from_vectors(np.stack([vector for _, vector in pairs]), np.array([name for name, _ in pairs]), cohort)
    return classifier_from_arrays(*classifier_to_arrays(model))


def cached_labels(cache: VectorCache, model: FaceClassifier, paths: list[Path]) -> list[str | None]:
    """The label the model gives each image's cached vector (None: stranger or no usable face)."""
    found = [(i, cache.get(path)) for i, path in enumerate(paths)]
    found = [(i, vector) for i, vector in found if vector is not None]
    labels: list[str | None] = [None] * len(paths)
    if found:
        first, second = split_vector(np.stack([vector for _, vector in found]))
        verdicts = model.decide(first, None if second is None else (lambda idx: second[idx]))
        for (i, _), verdict in zip(found, verdicts, strict=True):
            labels[i] = verdict.label
    return labels


def timed_pass(recognizer: Recognizer, model: FaceClassifier, paths: list[Path]) -> tuple[list[float], int]:
    """Run the whole pipeline on each image: milliseconds per image, and how many consulted the second embedder."""
    totals, consulted = [], 0
    for path in paths:
        try:
            rgb = read_image(path)
        except ImageError:
            continue
        timings = Timings()
        results = recognizer.identify(rgb, model, central_only=True, timings=timings)
        totals.append(timings.total)
        consulted += bool(results and results[0].verdict and results[0].verdict.second_score is not None)
    return totals, consulted


def _draw_galleries(people: list[PersonPhotos], size: int | None, draws: int, seed: int) -> list[list[PersonPhotos]]:
    if size is None:
        return [people]
    if not 1 <= size <= len(people):
        raise ValueError(f"--people must be between 1 and {len(people)} (the people with usable photos)")
    rng = np.random.default_rng(seed)
    return [[people[i] for i in sorted(rng.choice(len(people), size=size, replace=False))] for _ in range(draws)]


def evaluate(
    recognizer: Recognizer,
    people_dir: Path,
    strangers_dir: Path | None,
    enroll: int,
    cohort: Cohort,
    people: int | None = None,
    draws: int = 1,
    seed: int = 0,
    site_strangers_dir: Path | None = None,
    limit_people: int | None = None,
    cache: VectorCache | None = None,
    timed: bool = True,
) -> dict:
    """Enrol galleries of `people` random people (everyone when None) `draws` times; identify probes and strangers.

    cache: embeddings already computed (several evaluations of the same photos); timed: also run the first
    gallery's probes and strangers through the whole pipeline to time it (ms_per_image).
    """
    cache = cache or VectorCache(recognizer)
    folders = sorted(p for p in Path(people_dir).iterdir() if p.is_dir())[:limit_people]
    everyone = [person_photos(folder, enroll) for folder in folders]
    usable = [p for p in everyone if [path for path in p.enrol if cache.get(path) is not None]]
    strangers = cohort_images(strangers_dir) if strangers_dir else []
    site = site_cohort(cache, site_strangers_dir) if site_strangers_dir else None
    full_cohort = cohort if site is None else cohort.join(site)
    rows, train_seconds, timing, first_model = [], [], ([], 0), None
    for index, gallery in enumerate(_draw_galleries(usable, people, draws, seed)):
        started = time.perf_counter()
        model = train_gallery(cache, gallery, full_cohort)
        train_seconds.append(time.perf_counter() - started)
        probes = [(path, p.name) for p in gallery for path in p.probes]
        probe_labels = cached_labels(cache, model, [path for path, _ in probes])
        stranger_labels = cached_labels(cache, model, strangers)
        if index == 0:
            first_model = model
            if timed:
                timing = timed_pass(recognizer, model, [path for path, _ in probes] + strangers)
        rows.append(
            {
                "probes": len(probes),
                "correct": sum(label == truth for label, (_, truth) in zip(probe_labels, probes, strict=True)),
                "rejected": sum(label is None for label in probe_labels),
                "strangers": len(strangers),
                "accepted": sum(label is not None for label in stranger_labels),
            }
        )
    return _summary(rows, cache, first_model, timing, train_seconds, recognizer) | {
        "identities": len(usable) if people is None else people,
        "people_in_folder": len(everyone),
        "draws": len(rows),
        "seed": seed,
        "enrolled_images": sum(cache.get(path) is not None for p in usable for path in p.enrol),
        "probe_images": rows[0]["probes"],
        "stranger_images": len(strangers),
        "site_stranger_faces": 0 if site is None else len(site),
        "cohort_faces": len(cohort),
    }


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _summary(
    rows: list[dict],
    cache: VectorCache,
    model: FaceClassifier,
    timing: tuple[list[float], int],
    train_seconds: list[float],
    recognizer: Recognizer,
) -> dict:
    top1 = [r["correct"] / r["probes"] for r in rows if r["probes"]]
    far = [r["accepted"] / r["strangers"] for r in rows if r["strangers"]]
    total = {key: sum(r[key] for r in rows) for key in rows[0]}
    totals, consulted = timing
    return {
        "no_face": cache.no_face(),
        "errors": cache.errors,
        "top1_accuracy": _rate(total["correct"], total["probes"]),
        "false_reject_rate": _rate(total["rejected"], total["probes"]),
        "stranger_false_accept_rate": _rate(total["accepted"], total["strangers"]),
        "top1_mean": round(float(np.mean(top1)), 4) if top1 else None,
        "top1_worst": round(float(np.min(top1)), 4) if top1 else None,
        "far_mean": round(float(np.mean(far)), 4) if far else None,
        "far_worst": round(float(np.max(far)), 4) if far else None,
        "train_seconds": round(float(np.median(train_seconds)), 3),
        "ms_per_image": round(float(np.median(totals)), 1) if totals else None,
        "ms_per_image_p90": round(float(np.percentile(totals, 90)), 1) if totals else None,
        "second_opinion_rate": round(consulted / max(len(totals), 1), 3),
        "detector": recognizer.detector,
        "embedder": recognizer.embedder,
        "second_embedder": recognizer.second,
        "thresholds": classifier_to_arrays(model)[1]["thresholds"],
        "face_rule": FACE_RULE,
    }
