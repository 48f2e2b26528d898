"""Open-set identification: an SVM proposes a person, embedding distance to that person confirms or rejects.

FaceNet decides alone when it is sure: it accepts above the highest leave-one-out impostor score and rejects
below the `unsure_quantile` of them. In between, a second embedder (dlib's ResNet, if configured) must
confirm the same person above its own impostor threshold; without one, FaceNet's threshold at target_far
decides. See calibrate.py for how the impostor scores are made from enrolled images only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.recognition.calibrate import class_centroids, impostor_threshold, leave_one_out_scores
from app.recognition.svm import LinearModel, train_svm

TARGET_FAR = 0.01
UNSURE_QUANTILE = 0.3


@dataclass(frozen=True)
class Decision:
    """One face's verdict: label is None for a stranger; candidate is the SVM's proposal either way."""

    label: str | None
    candidate: str
    score: float
    second_score: float | None
    reason: str


@dataclass(frozen=True)
class Thresholds:
    """Cosine-similarity thresholds: sure (accept), unsure (below: reject), primary and second-opinion."""

    sure: float
    unsure: float
    primary: float
    second: float | None


@dataclass(frozen=True)
class FaceClassifier:
    """An SVM over FaceNet embeddings plus per-person centroids for each embedder and calibrated thresholds."""

    svm: LinearModel
    centroids: np.ndarray
    second_centroids: np.ndarray | None
    thresholds: Thresholds

    @property
    def classes(self) -> np.ndarray:
        """The enrolled labels, in the order of the SVM's classes and the centroids."""
        return self.svm.classes

    def decide(
        self, embeddings: np.ndarray, second_opinion: Callable[[np.ndarray], np.ndarray] | None = None
    ) -> list[Decision]:
        """Decisions for N FaceNet embeddings; second_opinion(indices) embeds the unsure faces on demand."""
        if len(embeddings) == 0:
            return []
        index = self.svm.predict_index(embeddings)
        scores = np.einsum("nd,nd->n", embeddings, self.centroids[index])
        t = self.thresholds
        unsure = np.flatnonzero((scores < t.sure) & (scores >= t.unsure))
        second: dict[int, float] = {}
        if len(unsure) and second_opinion is not None and self.second_centroids is not None:
            vectors = second_opinion(unsure)
            values = np.einsum("nd,nd->n", vectors, self.second_centroids[index[unsure]])
            second = dict(zip(unsure.tolist(), values.tolist(), strict=True))
        decisions = []
        for i, (k, score) in enumerate(zip(index, scores, strict=True)):
            candidate = str(self.classes[k])
            if score >= t.sure:
                accepted, reason = True, "facenet sure"
            elif score < t.unsure:
                accepted, reason = False, "facenet distance too large"
            elif i in second and t.second is not None:
                accepted = second[i] >= t.second
                reason = "confirmed by second embedder" if accepted else "second embedder disagrees"
            else:
                accepted = score >= t.primary
                reason = "facenet threshold" if accepted else "facenet distance too large"
            decisions.append(Decision(candidate if accepted else None, candidate, float(score), second.get(i), reason))
        return decisions


def calibrate(
    embeddings: np.ndarray,
    labels: np.ndarray,
    second: np.ndarray | None = None,
    target_far: float = TARGET_FAR,
    unsure_quantile: float = UNSURE_QUANTILE,
) -> Thresholds:
    """Thresholds from the leave-one-out impostor scores of the enrolled embeddings (see calibrate.py)."""
    classes = np.unique(labels)
    _, impostor = leave_one_out_scores(embeddings, labels, classes)
    second_threshold = None
    if second is not None:
        _, second_impostor = leave_one_out_scores(second, labels, classes)
        second_threshold = impostor_threshold(second_impostor, target_far)
    return Thresholds(
        sure=impostor_threshold(impostor, 0.0),
        unsure=impostor_threshold(impostor, unsure_quantile),
        primary=impostor_threshold(impostor, target_far),
        second=second_threshold,
    )


def train_classifier(
    embeddings: np.ndarray, labels: np.ndarray, second: np.ndarray | None = None, target_far: float = TARGET_FAR
) -> FaceClassifier:
    """Fit the SVM, the centroids and the thresholds from cached enrolled embeddings (labels are opaque)."""
    labels = np.asarray(labels).astype(str)
    if len(np.unique(labels)) < 2:
        raise ValueError("training needs at least two enrolled people (thresholds come from their differences)")
    svm = train_svm(embeddings, labels)
    return FaceClassifier(
        svm=svm,
        centroids=class_centroids(embeddings, labels, svm.classes),
        second_centroids=None if second is None else class_centroids(second, labels, svm.classes),
        thresholds=calibrate(embeddings, labels, second, target_far),
    )


def classifier_to_arrays(model: FaceClassifier) -> tuple[dict[str, np.ndarray], dict]:
    """The classifier as arrays + JSON-able meta, for the model store."""
    arrays = {
        "classes": model.classes.astype(str),
        "coef": model.svm.coef,
        "intercept": model.svm.intercept,
        "centroids": model.centroids,
    }
    if model.second_centroids is not None:
        arrays["second_centroids"] = model.second_centroids
    return arrays, {"thresholds": vars(model.thresholds)}


def classifier_from_arrays(arrays: dict[str, np.ndarray], meta: dict) -> FaceClassifier:
    """Rebuild a classifier written by classifier_to_arrays."""
    svm = LinearModel(arrays["classes"].astype(str), arrays["coef"], arrays["intercept"])
    return FaceClassifier(svm, arrays["centroids"], arrays.get("second_centroids"), Thresholds(**meta["thresholds"]))
