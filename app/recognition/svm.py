"""A linear one-vs-rest SVM over embeddings, kept as plain arrays so models store without pickle.

Each person's hyperplane is trained against the images of the `neighbours` people whose centroids are
nearest to theirs (all others when there are fewer): a face is only confused with look-alikes, and the
cost then grows linearly with the staff instead of quadratically (1,000 people train in seconds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sklearn.svm import LinearSVC

from app.recognition.calibrate import class_centroids

NEIGHBOURS = 50


@dataclass(frozen=True)
class LinearModel:
    """Per-class weights and biases; a face's candidate is the class with the highest decision value."""

    classes: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray

    def decision(self, embeddings: np.ndarray) -> np.ndarray:
        """N x P decision values."""
        return embeddings @ self.coef.T + self.intercept

    def predict_index(self, embeddings: np.ndarray) -> np.ndarray:
        """Index into classes of each embedding's best class."""
        return self.decision(embeddings).argmax(axis=1)


def train_svm(
    embeddings: np.ndarray,
    labels: np.ndarray,
    c: float = 10.0,
    neighbours: int = NEIGHBOURS,
    negatives: Mapping[str, np.ndarray] | None = None,
) -> LinearModel:
    """Fit one linear SVM (liblinear, deterministic) per class against its nearest classes' images.

    negatives: per label, extra faces that must fall on the wrong side of that label's hyperplane (hard negatives).
    """
    classes = np.unique(labels)
    if len(classes) < 2:
        raise ValueError("an SVM needs at least two classes")
    index = np.searchsorted(classes, labels)
    centroids = class_centroids(embeddings, labels, classes)
    similarity = centroids @ centroids.T
    np.fill_diagonal(similarity, -np.inf)
    coef = np.zeros((len(classes), embeddings.shape[1]), np.float32)
    intercept = np.zeros(len(classes), np.float32)
    for k in range(len(classes)):
        rivals = np.argsort(-similarity[k], kind="stable")[: min(neighbours, len(classes) - 1)]
        rows = np.flatnonzero(np.isin(index, np.append(rivals, k)))
        x, y = embeddings[rows], index[rows] == k
        extra = (negatives or {}).get(str(classes[k]))
        if extra is not None and len(extra):
            x, y = np.vstack([x, extra]), np.concatenate([y, np.zeros(len(extra), bool)])
        svm = LinearSVC(C=c, dual=True, max_iter=5000, random_state=0).fit(x, y)
        coef[k], intercept[k] = svm.coef_[0], svm.intercept_[0]
    return LinearModel(classes, coef, intercept)
