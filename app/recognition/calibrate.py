"""Open-set thresholds chosen from enrolled embeddings only, by leave-one-out.

Genuine scores: each enrolled image against its own person's centroid computed without that image.
Impostor scores: each enrolled image against every *other* person's centroid, keeping the highest, which
is what a stranger looks like to the gallery (leave-one-identity-out). A threshold is a quantile of the
impostor scores: the score that at most a given fraction of them reach. No probe or stranger is looked at.
"""

from __future__ import annotations

import numpy as np


def class_centroids(embeddings: np.ndarray, labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Unit-length mean embedding of each class, in the order of classes."""
    sums = np.stack([embeddings[labels == c].sum(axis=0) for c in classes])
    return (sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-10)).astype(np.float32)


def leave_one_out_scores(
    embeddings: np.ndarray, labels: np.ndarray, classes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per enrolled image: cosine to its own centroid without itself (genuine), and the best other centroid."""
    index = np.searchsorted(classes, labels)
    sums = np.stack([embeddings[labels == c].sum(axis=0) for c in classes])
    own = sums[index] - embeddings
    has_others = np.bincount(index, minlength=len(classes))[index] > 1
    genuine = np.einsum("nd,nd->n", embeddings, own) / np.maximum(np.linalg.norm(own, axis=1), 1e-10)
    genuine = genuine[has_others]
    if len(classes) < 2:
        return genuine, np.zeros(0, dtype=np.float32)
    centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-10)
    scores = embeddings @ centroids.T
    scores[np.arange(len(embeddings)), index] = -np.inf
    return genuine, scores.max(axis=1)


def impostor_threshold(impostor: np.ndarray, target_far: float) -> float:
    """The smallest score that at most target_far of the leave-one-out impostor scores reach."""
    if len(impostor) == 0:
        raise ValueError("calibration needs at least two enrolled people")
    return float(np.quantile(impostor, 1.0 - target_far, method="higher"))
