"""Training: the one way cached enrolment vectors become an open-set classifier, and the way it is stored.

Every caller trains through train_from_vectors: the enrolment service (app/enrolment/training.py, which the worker
and `flask faces train` run), `flask faces evaluate` (evaluate.py), the tests and the benchmarks. A vector is what
preprocessing caches per photo: FaceNet's 512 numbers, followed by the second embedder's when one is configured.
publish_classifier writes a classifier as a new version of a model store (every worker switches to it by itself);
load_classifier reads one back.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from app.recognition.classify import FaceClassifier, classifier_from_arrays, classifier_to_arrays, train_classifier
from app.recognition.cohort import Cohort
from app.recognition.embed import split_vector
from app.recognition.store import load_model, save_model


def train_from_vectors(
    vectors: np.ndarray, labels: np.ndarray, cohort: Cohort, hard_negatives: Mapping[str, np.ndarray] | None = None
) -> FaceClassifier:
    """The open-set classifier for N cached enrolment vectors (N x 512, or N x (512 + the second embedder's size))
    and their N labels (staff IDs), its stranger thresholds calibrated on cohort (the shipped background cohort,
    joined with the strangers the site's gates saw); hard_negatives: per staff ID, vectors of faces an admin marked
    as not that person. ValueError when nobody is enrolled."""
    primary, second = split_vector(np.asarray(vectors))
    return train_classifier(primary, np.asarray(labels), cohort, second, hard_negatives)


def publish_classifier(
    model_dir: Path, model: FaceClassifier, meta: Mapping | None = None, version: int | None = None
) -> int:
    """Store model in model_dir as the next version (or `version`), with meta added to what the file records, and
    make it the live one (LATEST); the version."""
    arrays, own_meta = classifier_to_arrays(model)
    return save_model(Path(model_dir), arrays, {**own_meta, **(meta or {})}, version)


def load_classifier(model_dir: Path, version: int) -> FaceClassifier:
    """The classifier stored as `version` in model_dir (ModelFormatError for another version's file format)."""
    return classifier_from_arrays(*load_model(Path(model_dir), version))
