"""Open-set thresholds chosen from enrolled embeddings only, by leave-one-out.

Genuine scores: each enrolled image against its own person's centroid computed without that image.
Impostor scores: each enrolled image against every *other* person's centroid, keeping the highest, which
is what a stranger looks like to the gallery (leave-one-identity-out). No probe or stranger is looked at.

A threshold at a target false-accept rate is read off the impostor scores either empirically (a quantile) or
from a Gumbel (extreme-value) fit, the distribution of a maximum over many classes: with a few hundred
enrolled images the empirical 99th percentile rests on the three or four highest scores, the fit on all.
"""

from __future__ import annotations

import numpy as np

EULER_GAMMA = 0.5772156649


def class_centroids(embeddings: np.ndarray, labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Unit-length mean embedding of each class, in the order of classes."""
    sums = np.stack([embeddings[labels == c].sum(axis=0) for c in classes])
    return (sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-10)).astype(np.float32)


def leave_one_out_matrix(embeddings: np.ndarray, labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """N x C cosines of each enrolled image to every centroid, its own class's computed without the image.

    The own-class entry is NaN for a person with a single image (there is nothing left to compare with).
    """
    index = np.searchsorted(classes, labels)
    sums = np.stack([embeddings[labels == c].sum(axis=0) for c in classes])
    centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-10)
    scores = embeddings @ centroids.T
    own = sums[index] - embeddings
    genuine = np.einsum("nd,nd->n", embeddings, own) / np.maximum(np.linalg.norm(own, axis=1), 1e-10)
    single = np.bincount(index, minlength=len(classes))[index] == 1
    scores[np.arange(len(embeddings)), index] = np.where(single, np.nan, genuine)
    return scores


def genuine_and_impostor(matrix: np.ndarray, labels: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """From a leave-one-out matrix: the genuine scores (where defined) and each image's best other-class score."""
    rows = np.arange(len(matrix))
    index = np.searchsorted(classes, labels)
    genuine = matrix[rows, index]
    others = matrix.copy()
    others[rows, index] = -np.inf
    impostor = others.max(axis=1) if len(classes) > 1 else np.zeros(0, dtype=matrix.dtype)
    return genuine[~np.isnan(genuine)], impostor


def leave_one_out_scores(
    embeddings: np.ndarray, labels: np.ndarray, classes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per enrolled image: cosine to its own centroid without itself (genuine), and the best other centroid."""
    return genuine_and_impostor(leave_one_out_matrix(embeddings, labels, classes), labels, classes)


def impostor_threshold(impostor: np.ndarray, target_far: float) -> float:
    """The smallest score that at most target_far of the leave-one-out impostor scores reach."""
    if len(impostor) == 0:
        raise ValueError("calibration needs at least two enrolled people")
    return float(np.quantile(impostor, 1.0 - target_far, method="higher"))


def gumbel_threshold(impostor: np.ndarray, target_far: float) -> float:
    """The score a Gumbel fit (method of moments) of the impostor maxima exceeds with probability target_far."""
    if len(impostor) == 0:
        raise ValueError("calibration needs at least two enrolled people")
    scale = float(np.std(impostor)) * np.sqrt(6.0) / np.pi
    location = float(np.mean(impostor)) - EULER_GAMMA * scale
    return float(location - scale * np.log(-np.log1p(-target_far)))
