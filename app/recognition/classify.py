"""Open-set identification: an SVM proposes a person, cohort-normalised similarity to that person confirms or rejects.

Each network's cosine to the candidate's centroid is S-normalised against the background cohort (calibrate.py: the
shipped cohort plus the strangers the site's gates have seen). The two networks' normalised scores are averaged
with equal weight and the face is accepted when the mean reaches `accept`: the score that only TARGET_FAR of the
cohort's faces reach when each is scored, leave-one-group-out, exactly as a stranger at the door would be (its SVM
candidate among the enrolled people). So the threshold follows the gallery: one person or a thousand, look-alikes
or not. docs/recognition.md has the measurements behind each choice.

The second embedder (dlib) runs only when FaceNet is unsure: FaceNet accepts alone above `sure` (the cohort's FaceNet
score at SURE_FAR, raised to the best score of an enrolled photo against another enrolled person) and rejects
alone below `unsure` (the cohort's UNSURE_QUANTILE, lowered to the worst leave-one-out score of an enrolled photo
against its own person). Without a second opinion FaceNet's own cohort threshold (`primary`) decides.

A face an admin marked "this was not X" is a hard negative for X: it is an extra negative in X's SVM, and X's
faces must score above it (`floors`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

import numpy as np

from app.recognition.calibrate import (
    TOP_N,
    ScoreNorm,
    class_centroids,
    leave_one_out_genuine,
    upper_quantile,
)
from app.recognition.cohort import SITE_GROUP_PREFIX, Cohort
from app.recognition.embed import split_vector
from app.recognition.svm import LinearModel, train_svm

TARGET_FAR = 0.002
SURE_FAR = 0.0005
UNSURE_QUANTILE = 0.8
MODEL_FORMAT = 3

# second_opinion(indices) -> the second embedder's vectors of those faces, or None when it has none for them.
SecondOpinion = Callable[[np.ndarray], np.ndarray | None]


class ModelFormatError(ValueError):
    """A stored model written by another version of this code (retrain to rebuild it from cached embeddings)."""


@dataclass(frozen=True)
class FaceVerdict:
    """The core's verdict on one face: label is None for a stranger; candidate is the SVM's proposal either way.

    score is the normalised score the rule decided on (the fused score when the second embedder was consulted,
    FaceNet's otherwise); second_score is the second embedder's normalised score when it was consulted.
    """

    label: str | None
    candidate: str
    score: float
    second_score: float | None
    reason: str


@dataclass(frozen=True)
class Thresholds:
    """Normalised-score thresholds: accept (fused), primary (FaceNet alone), sure and unsure (the cascade's band)."""

    accept: float
    primary: float
    sure: float
    unsure: float
    cohort_faces: int
    site_faces: int


@dataclass(frozen=True)
class FaceClassifier:
    """The SVM, each network's score normalisation, the thresholds and the per-person floors from hard negatives."""

    svm: LinearModel
    facenet: ScoreNorm
    second: ScoreNorm | None
    thresholds: Thresholds
    floors: np.ndarray
    facenet_floors: np.ndarray

    @property
    def classes(self) -> np.ndarray:
        """The enrolled labels, in the order of the SVM's classes and the centroids."""
        return self.svm.classes

    def decide(self, embeddings: np.ndarray, second_opinion: SecondOpinion | None = None) -> list[FaceVerdict]:
        """Verdicts for N FaceNet embeddings; second_opinion(indices) embeds the unsure faces on demand."""
        if len(embeddings) == 0:
            return []
        t = self.thresholds
        index = self.svm.predict_index(embeddings)
        first = self.facenet.normalise(embeddings, index)
        floored = np.isfinite(self.floors[index])
        cascade = self.second is not None and second_opinion is not None
        fused: dict[int, tuple[float, float]] = {}
        if cascade:
            band = np.flatnonzero((first >= t.unsure) & ((first < t.sure) | floored))
            vectors = second_opinion(band) if len(band) else None
            if vectors is not None:
                second = self.second.normalise(np.asarray(vectors, dtype=np.float32), index[band])
                fused = {int(i): (float(first[i] + s) / 2, float(s)) for i, s in zip(band, second, strict=True)}
            elif len(band):
                cascade = False  # no second opinion for these faces after all: FaceNet's own threshold decides
        return [self._verdict(i, k, float(score), fused.get(i), cascade, bool(floored[i])) for i, (k, score) in
                enumerate(zip(index, first, strict=True))]  # fmt: skip

    def _verdict(
        self, i: int, k: int, first: float, fused: tuple[float, float] | None, cascade: bool, floored: bool
    ) -> FaceVerdict:
        t, candidate = self.thresholds, str(self.classes[k])
        if fused is not None:
            score, second = fused
            accepted = score >= t.accept and score > self.floors[k]
            if accepted:
                reason = "confirmed by second embedder"
            elif score >= t.accept:
                reason = "an admin marked a face this close as not this person"
            else:
                reason = "second embedder disagrees"
            return FaceVerdict(candidate if accepted else None, candidate, score, second, reason)
        if cascade and first >= t.sure and not floored:
            return FaceVerdict(candidate, candidate, first, None, "facenet sure")
        if cascade and first < t.unsure:
            return FaceVerdict(None, candidate, first, None, "facenet score too low")
        accepted = first >= t.primary and first > self.facenet_floors[k]
        reason = "facenet threshold" if accepted else "facenet score too low"
        return FaceVerdict(candidate if accepted else None, candidate, first, None, reason)


def _single_class_model(classes: np.ndarray, dim: int) -> LinearModel:
    """The 'SVM' of a gallery of one: every face's candidate is that person."""
    return LinearModel(classes, np.zeros((1, dim), np.float32), np.zeros(1, np.float32))


def _other_candidates(svm: LinearModel, embeddings: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Each enrolled face's SVM candidate among the people it is not."""
    values = svm.decision(embeddings)
    values[np.arange(len(embeddings)), own] = -np.inf
    return values.argmax(axis=1)


def _cascade_band(
    facenet: ScoreNorm, svm: LinearModel, cohort_scores: np.ndarray, embeddings: np.ndarray, labels: np.ndarray
) -> tuple[float, float]:
    """(sure, unsure): FaceNet-alone limits from the cohort, widened by what the enrolled photos show."""
    classes = svm.classes
    own = np.searchsorted(classes, labels)
    sure = upper_quantile(cohort_scores, SURE_FAR)
    unsure = float(np.quantile(cohort_scores, UNSURE_QUANTILE))
    if len(classes) >= 2:
        others = _other_candidates(svm, embeddings, own)
        sure = max(sure, float(facenet.normalise(embeddings, others).max()))
    genuine_raw = leave_one_out_genuine(embeddings, labels, classes)
    usable = ~np.isnan(genuine_raw)
    if usable.any():
        genuine = facenet.normalise_cosines(genuine_raw[usable], embeddings[usable], own[usable])
        unsure = min(unsure, float(genuine.min()))
    return sure, unsure


def _floors(
    model: FaceClassifier, hard_negatives: Mapping[str, np.ndarray], classes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per class: the best fused and FaceNet score of the faces an admin marked as not that person (-inf: none)."""
    floors = np.full(len(classes), -np.inf, np.float32)
    facenet_floors = np.full(len(classes), -np.inf, np.float32)
    for label, vectors in hard_negatives.items():
        k = int(np.searchsorted(classes, label))
        if k >= len(classes) or classes[k] != label or len(vectors) == 0:
            continue
        first_vectors, second_vectors = split_vector(np.asarray(vectors, dtype=np.float32))
        index = np.full(len(first_vectors), k)
        first = model.facenet.normalise(first_vectors, index)
        facenet_floors[k] = first.max()
        if model.second is not None and second_vectors is not None:
            floors[k] = ((first + model.second.normalise(second_vectors, index)) / 2).max()
        else:
            floors[k] = first.max()
    return floors, facenet_floors


def train_classifier(
    embeddings: np.ndarray,
    labels: np.ndarray,
    cohort: Cohort,
    second: np.ndarray | None = None,
    hard_negatives: Mapping[str, np.ndarray] | None = None,
    top_n: int = TOP_N,
) -> FaceClassifier:
    """Fit the SVM, the cohort normalisation and the thresholds from enrolled embeddings (labels are opaque).

    cohort: faces of people who are not enrolled (the shipped cohort joined with the site's strangers).
    hard_negatives: per label, enrolment-layout vectors of faces an admin marked as not that person.
    """
    labels = np.asarray(labels).astype(str)
    classes = np.unique(labels)
    if len(classes) == 0:
        raise ValueError("training needs at least one enrolled person")
    if len(cohort) < 2:
        raise ValueError("training needs a background cohort of at least two faces")
    hard_negatives = {k: np.asarray(v, np.float32) for k, v in (hard_negatives or {}).items() if len(v)}
    negatives = {k: split_vector(v)[0] for k, v in hard_negatives.items()}
    svm = (
        train_svm(embeddings, labels, negatives=negatives)
        if len(classes) >= 2
        else _single_class_model(classes, embeddings.shape[1])
    )
    if second is None or cohort.second is None:
        second, cohort = None, cohort.without_second()
    facenet = ScoreNorm.fit(class_centroids(embeddings, labels, classes), cohort.facenet, cohort.groups, top_n)
    second_norm = (
        None
        if second is None
        else ScoreNorm.fit(class_centroids(second, labels, classes), cohort.second, cohort.groups, top_n)
    )
    candidates = svm.predict_index(cohort.facenet)
    first = facenet.normalise(cohort.facenet, candidates, cohort.groups)
    primary = upper_quantile(first, TARGET_FAR)
    accept, sure, unsure = primary, np.inf, -np.inf
    if second_norm is not None:
        fused = (first + second_norm.normalise(cohort.second, candidates, cohort.groups)) / 2
        accept = upper_quantile(fused, TARGET_FAR)
        sure, unsure = _cascade_band(facenet, svm, first, embeddings, labels)
    site_faces = int(np.char.startswith(cohort.groups, SITE_GROUP_PREFIX).sum())
    thresholds = Thresholds(accept, primary, float(sure), float(unsure), len(cohort) - site_faces, site_faces)
    no_floor = np.full(len(classes), -np.inf, np.float32)
    model = FaceClassifier(svm, facenet, second_norm, thresholds, no_floor, no_floor)
    if hard_negatives:
        floors, facenet_floors = _floors(model, hard_negatives, classes)
        model = FaceClassifier(svm, facenet, second_norm, thresholds, floors, facenet_floors)
    return model



def classifier_to_arrays(model: FaceClassifier) -> tuple[dict[str, np.ndarray], dict]:
    """The classifier as arrays + JSON-able meta, for the model store."""
    arrays = {
        "classes": model.classes.astype(str),
        "coef": model.svm.coef,
        "intercept": model.svm.intercept,
        "centroids": model.facenet.centroids,
        "cohort": model.facenet.cohort,
        "cohort_groups": model.facenet.cohort_groups.astype(str),
        "floors": model.floors,
        "facenet_floors": model.facenet_floors,
    }
    if model.second is not None:
        arrays["second_centroids"] = model.second.centroids
        arrays["second_cohort"] = model.second.cohort
    meta = {"format": MODEL_FORMAT, "top_n": model.facenet.top_n, "thresholds": asdict(model.thresholds)}
    return arrays, meta


def classifier_from_arrays(arrays: dict[str, np.ndarray], meta: dict) -> FaceClassifier:
    """Rebuild a classifier written by classifier_to_arrays (ModelFormatError for another version's file)."""
    if meta.get("format") != MODEL_FORMAT:
        raise ModelFormatError(
            f"model file format {meta.get('format', 1)} is not the format {MODEL_FORMAT} this version reads; "
            "run `flask faces train` to rebuild the model from the cached embeddings"
        )
    top_n = int(meta["top_n"])
    groups = arrays["cohort_groups"].astype(str)
    facenet = ScoreNorm.fit(arrays["centroids"], arrays["cohort"], groups, top_n)
    second = None
    if "second_centroids" in arrays:
        second = ScoreNorm.fit(arrays["second_centroids"], arrays["second_cohort"], groups, top_n)
    svm = LinearModel(arrays["classes"].astype(str), arrays["coef"], arrays["intercept"])
    thresholds = Thresholds(**meta["thresholds"])
    return FaceClassifier(svm, facenet, second, thresholds, arrays["floors"], arrays["facenet_floors"])
