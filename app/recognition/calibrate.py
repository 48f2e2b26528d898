"""Score normalisation against a background cohort (adaptive S-norm), the open-set rule's common scale.

A raw cosine between a face and a person's centroid means different things for different people and cameras: a
person who resembles many faces, or a camera that makes everyone look alike, gives strangers high cosines too. The
cohort (faces of people who will never be enrolled) measures that. Each cosine is normalised twice and averaged:

- Z-norm, against the *person*: (s - mean) / std of the person's centroid's cosines to the cohort faces;
- T-norm, against the *face*: (s - mean) / std of the face's own cosines to the cohort faces;

using, for each mean and standard deviation, only the `top_n` most similar cohort faces (adaptive: the faces that
matter are the look-alikes, and a cohort from another camera world is outweighed by any in-domain faces it holds).
A face that belongs to the cohort itself is normalised without its own group (leave-one-group-out), so cohort faces
can be scored exactly as a stranger at the door would be.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TOP_N = 200


def class_centroids(embeddings: np.ndarray, labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Unit-length mean embedding of each class, in the order of classes."""
    sums = np.stack([embeddings[labels == c].sum(axis=0) for c in classes])
    return (sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-10)).astype(np.float32)


def leave_one_out_genuine(embeddings: np.ndarray, labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Each enrolled image's cosine to its own class centroid computed without it (NaN for a class of one image)."""
    index = np.searchsorted(classes, labels)
    sums = np.stack([embeddings[labels == c].sum(axis=0) for c in classes])
    own = sums[index] - embeddings
    genuine = np.einsum("nd,nd->n", embeddings, own) / np.maximum(np.linalg.norm(own, axis=1), 1e-10)
    single = np.bincount(index, minlength=len(classes))[index] == 1
    return np.where(single, np.nan, genuine)


def top_n_stats(scores: np.ndarray, top_n: int, excluded: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each row's top_n highest scores (excluded entries left out)."""
    if excluded is not None:
        scores = np.where(excluded, -np.inf, scores)
    n = max(1, min(top_n, scores.shape[1] - (0 if excluded is None else int(excluded.sum(axis=1).max()))))
    top = -np.partition(-scores, n - 1, axis=1)[:, :n]
    return top.mean(axis=1), np.maximum(top.std(axis=1), 1e-6)


@dataclass(frozen=True)
class ScoreNorm:
    """One network's adaptive S-norm: the gallery centroids, the cohort faces and each centroid's cohort statistics."""

    centroids: np.ndarray
    cohort: np.ndarray
    cohort_groups: np.ndarray
    z_mean: np.ndarray
    z_std: np.ndarray
    top_n: int = TOP_N

    @classmethod
    def fit(cls, centroids: np.ndarray, cohort: np.ndarray, cohort_groups: np.ndarray, top_n: int = TOP_N) -> ScoreNorm:
        """The normalisation of cosines to these centroids against this cohort."""
        cohort = np.ascontiguousarray(cohort, dtype=np.float32)  # a strided view makes every product 100x slower
        z_mean, z_std = top_n_stats(centroids @ cohort.T, top_n)
        return cls(centroids, cohort, np.asarray(cohort_groups).astype(str), z_mean, z_std, top_n)

    def cosines(self, embeddings: np.ndarray, index: np.ndarray) -> np.ndarray:
        """Each embedding's cosine to the centroid of its class index."""
        return np.einsum("nd,nd->n", embeddings, self.centroids[index])

    def normalise(self, embeddings: np.ndarray, index: np.ndarray, own_groups: np.ndarray | None = None) -> np.ndarray:
        """S-normalised cosines of embeddings to the centroids of index; a face whose group is in own_groups is
        normalised without the cohort faces of that group."""
        return self.normalise_cosines(self.cosines(embeddings, index), embeddings, index, own_groups)

    def normalise_cosines(
        self, raw: np.ndarray, embeddings: np.ndarray, index: np.ndarray, own_groups: np.ndarray | None = None
    ) -> np.ndarray:
        """S-normalise given cosines raw of embeddings to (some version of) the centroids of index."""
        excluded = None if own_groups is None else self.cohort_groups[None, :] == np.asarray(own_groups)[:, None]
        t_mean, t_std = top_n_stats(embeddings @ self.cohort.T, self.top_n, excluded)
        return ((raw - self.z_mean[index]) / self.z_std[index] + (raw - t_mean) / t_std) / 2


def upper_quantile(scores: np.ndarray, far: float) -> float:
    """The smallest score that at most a fraction far of scores reach (empirical, never interpolated)."""
    if len(scores) == 0:
        raise ValueError("calibration needs cohort faces")
    return float(np.quantile(scores, 1.0 - far, method="higher"))
