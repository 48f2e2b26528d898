"""Training: the one way cached enrolment vectors become an open-set classifier, and the way it is stored.

Every caller trains through train_from_vectors: the enrolment service (app/enrolment/training.py, which the worker
and `flask faces train` run), `flask faces evaluate` (evaluate.py), the tests and the benchmarks. A vector is what
preprocessing caches per photo: FaceNet's 512 numbers, followed by the second embedder's when one is configured.
classifier_bytes turns a classifier into the bytes a model version is stored as (the enrolment service publishes
them; every worker switches to the new version by itself).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from app.recognition.classify import FaceClassifier, classifier_to_arrays, train_classifier
from app.recognition.cohort import Cohort
from app.recognition.embed import split_vector
from app.recognition.store import encode_model


def train_from_vectors(
    vectors: np.ndarray, labels: np.ndarray, cohort: Cohort, hard_negatives: Mapping[str, np.ndarray] | None = None
) -> FaceClassifier:
    """The open-set classifier for N cached enrolment vectors (N x 512, or N x (512 + the second embedder's size))
    and their N labels (staff IDs), its stranger thresholds calibrated on cohort (the shipped background cohort,
    joined with the strangers the site's gates saw); hard_negatives: per staff ID, vectors of faces an admin marked
    as not that person. ValueError when nobody is enrolled."""
    primary, second = split_vector(np.asarray(vectors))
    return train_classifier(primary, np.asarray(labels), cohort, second, hard_negatives)


def classifier_bytes(model: FaceClassifier, meta: Mapping | None = None) -> bytes:
    """model as the bytes of one stored model version, with meta added to what the file records."""
    arrays, own_meta = classifier_to_arrays(model)
    return encode_model(arrays, {**own_meta, **(meta or {})})

