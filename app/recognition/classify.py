"""Open-set identification: an SVM proposes a person, embedding distance to that person confirms or rejects.

FaceNet decides alone when it is clear: it accepts above `sure` (its impostor scores' Gumbel fit at SURE_FAR)
and rejects below `unsure` (the `unsure_quantile` of its impostor scores). In between, a second embedder
(dlib's ResNet, if configured) is run on that face, and the two networks' cosines to the candidate, each
turned into a z-score against its own impostor scores, are averaged with a weight; the face is accepted when
the fused score reaches its threshold (the fused impostor scores' Gumbel fit at target_far). Weight and
thresholds come from the enrolled images only (see calibrate.py). Without a second opinion, FaceNet's own
impostor quantile at target_far (`primary`) decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import numpy as np

from app.recognition.calibrate import (
    class_centroids,
    genuine_and_impostor,
    gumbel_threshold,
    impostor_threshold,
    leave_one_out_matrix,
)
from app.recognition.svm import LinearModel, train_svm

TARGET_FAR = 0.01
SURE_FAR = 0.001
UNSURE_QUANTILE = 0.5
FUSION_WEIGHTS = tuple(np.round(np.linspace(0.0, 1.0, 11), 2))
MODEL_FORMAT = 2
# Below this many enrolled people the impostor scores come from too few faces for the calibrated false-accept
# rate to hold (docs/recognition.md, "Small galleries").
CALIBRATION_MIN_PEOPLE = 10


class ModelFormatError(ValueError):
    """A stored model written by another version of this code (retrain to rebuild it from cached embeddings)."""


@dataclass(frozen=True)
class FaceVerdict:
    """The core's verdict on one face: label is None for a stranger; candidate is the SVM's proposal either way."""

    label: str | None
    candidate: str
    score: float
    second_score: float | None
    reason: str


@dataclass(frozen=True)
class Fusion:
    """How a FaceNet cosine and a second-embedder cosine become one score, and the threshold on it."""

    weight: float
    mean: float
    std: float
    second_mean: float
    second_std: float
    threshold: float

    def score(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """The weighted mean of both cosines' z-scores against their leave-one-out impostor scores."""
        return (1 - self.weight) * (first - self.mean) / self.std + self.weight * (
            second - self.second_mean
        ) / self.second_std


@dataclass(frozen=True)
class Thresholds:
    """FaceNet cosines: sure (accept alone), unsure (below: reject alone), primary; and the fused rule, if any."""

    sure: float
    unsure: float
    primary: float
    fusion: Fusion | None


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
    ) -> list[FaceVerdict]:
        """Verdicts for N FaceNet embeddings; second_opinion(indices) embeds the unsure faces on demand."""
        if len(embeddings) == 0:
            return []
        index = self.svm.predict_index(embeddings)
        scores = np.einsum("nd,nd->n", embeddings, self.centroids[index])
        t = self.thresholds
        unsure = np.flatnonzero((scores < t.sure) & (scores >= t.unsure))
        second: dict[int, float] = {}
        fused: dict[int, float] = {}
        if len(unsure) and second_opinion is not None and self.second_centroids is not None and t.fusion:
            values = np.einsum("nd,nd->n", second_opinion(unsure), self.second_centroids[index[unsure]])
            second = dict(zip(unsure.tolist(), values.tolist(), strict=True))
            fused = dict(zip(unsure.tolist(), t.fusion.score(scores[unsure], values).tolist(), strict=True))
        decisions = []
        for i, (k, score) in enumerate(zip(index, scores, strict=True)):
            candidate = str(self.classes[k])
            if score >= t.sure:
                accepted, reason = True, "facenet sure"
            elif score < t.unsure:
                accepted, reason = False, "facenet distance too large"
            elif i in fused:
                accepted = fused[i] >= t.fusion.threshold
                reason = "confirmed by second embedder" if accepted else "second embedder disagrees"
            else:
                accepted = score >= t.primary
                reason = "facenet threshold" if accepted else "facenet distance too large"
            label = candidate if accepted else None
            decisions.append(FaceVerdict(label, candidate, float(score), second.get(i), reason))
        return decisions


def calibrate_fusion(
    first: np.ndarray, second: np.ndarray, labels: np.ndarray, classes: np.ndarray, target_far: float = TARGET_FAR
) -> Fusion:
    """The fused rule from two leave-one-out matrices: the weight that accepts most genuine scores at target_far.

    The threshold for each weight is the fused impostor scores' Gumbel fit at target_far; among equally good
    weights the middle one is taken.
    """
    _, impostor = genuine_and_impostor(first, labels, classes)
    _, second_impostor = genuine_and_impostor(second, labels, classes)
    stats = dict(
        mean=float(impostor.mean()),
        std=max(float(impostor.std()), 1e-6),
        second_mean=float(second_impostor.mean()),
        second_std=max(float(second_impostor.std()), 1e-6),
    )
    candidates = []
    for weight in FUSION_WEIGHTS:
        rule = Fusion(weight=float(weight), threshold=0.0, **stats)
        genuine, fused_impostor = genuine_and_impostor(rule.score(first, second), labels, classes)
        threshold = gumbel_threshold(fused_impostor, target_far)
        accepted = float(np.mean(genuine >= threshold)) if len(genuine) else 0.0
        candidates.append((accepted, replace(rule, threshold=threshold)))
    best = max(accepted for accepted, _ in candidates)
    tied = [rule for accepted, rule in candidates if accepted == best]
    return tied[len(tied) // 2]


def calibrate(
    embeddings: np.ndarray,
    labels: np.ndarray,
    second: np.ndarray | None = None,
    target_far: float = TARGET_FAR,
    unsure_quantile: float = UNSURE_QUANTILE,
) -> Thresholds:
    """Thresholds from the leave-one-out scores of the enrolled embeddings (see calibrate.py)."""
    classes = np.unique(labels)
    matrix = leave_one_out_matrix(embeddings, labels, classes)
    _, impostor = genuine_and_impostor(matrix, labels, classes)
    fusion = None
    if second is not None:
        fusion = calibrate_fusion(matrix, leave_one_out_matrix(second, labels, classes), labels, classes, target_far)
    return Thresholds(
        sure=max(gumbel_threshold(impostor, SURE_FAR), impostor_threshold(impostor, 0.0)),
        unsure=impostor_threshold(impostor, unsure_quantile),
        primary=impostor_threshold(impostor, target_far),
        fusion=fusion,
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
    return arrays, {"format": MODEL_FORMAT, "thresholds": asdict(model.thresholds)}


def classifier_from_arrays(arrays: dict[str, np.ndarray], meta: dict) -> FaceClassifier:
    """Rebuild a classifier written by classifier_to_arrays (ModelFormatError for another version's file)."""
    if meta.get("format") != MODEL_FORMAT:
        raise ModelFormatError(
            f"model file format {meta.get('format', 1)} is not the format {MODEL_FORMAT} this version reads; "
            "run `flask faces train` to rebuild the model from the cached embeddings"
        )
    fields = dict(meta["thresholds"])
    fusion = Fusion(**fields.pop("fusion")) if fields.get("fusion") else None
    svm = LinearModel(arrays["classes"].astype(str), arrays["coef"], arrays["intercept"])
    thresholds = Thresholds(**{**fields, "fusion": fusion})
    return FaceClassifier(svm, arrays["centroids"], arrays.get("second_centroids"), thresholds)
