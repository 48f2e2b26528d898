"""A linear one-vs-rest SVM over embeddings, kept as plain arrays so models store without pickle."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.svm import LinearSVC


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
        if len(self.classes) == 1:
            return np.zeros(len(embeddings), dtype=np.int64)
        return self.decision(embeddings).argmax(axis=1)


def train_svm(embeddings: np.ndarray, labels: np.ndarray, c: float = 10.0) -> LinearModel:
    """Fit a one-vs-rest linear SVM (liblinear, deterministic) on embeddings labelled with opaque strings."""
    classes = np.unique(labels)
    if len(classes) == 1:
        return LinearModel(classes, np.zeros((1, embeddings.shape[1]), np.float32), np.zeros(1, np.float32))
    svm = LinearSVC(C=c, dual=True, max_iter=5000, random_state=0).fit(embeddings, labels)
    coef, intercept = svm.coef_.astype(np.float32), svm.intercept_.astype(np.float32)
    if len(classes) == 2:
        # Binary problems come back as one hyperplane; spell out both sides.
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    return LinearModel(classes, coef, intercept)
