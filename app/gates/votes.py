"""Turn the recognition core's per-face results into votes for a gate's window, and pool a track's embeddings."""

from __future__ import annotations

import numpy as np

from app.gates.decide import FaceVote, PooledClassifier
from app.recognition.classify import FaceClassifier
from app.recognition.pipeline import FaceResult


def frame_votes(results: list[FaceResult]) -> list[FaceVote]:
    """One vote per identified face (staff label or stranger) with its embeddings and liveness score; a face skipped
    as part of a decided track only keeps that track alive; faces the quality gate rejected do not vote."""
    return [
        FaceVote(r.face.box, r.verdict.label, r.embedding, r.second_embedding, r.liveness)
        if r.verdict is not None
        else FaceVote(r.face.box, None, voting=False)
        for r in results
        if r.verdict is not None or r.skipped
    ]


def pooled_classifier(model: FaceClassifier) -> PooledClassifier:
    """Classify a track's mean embeddings with the model's open-set rule: the fused rule when the track has second
    embedder vectors, FaceNet's own threshold otherwise."""

    def classify(mean: np.ndarray, second_mean: np.ndarray | None) -> str | None:
        opinion = None if second_mean is None else (lambda _indices: np.asarray(second_mean, np.float32)[None, :])
        return model.decide(np.asarray(mean, dtype=np.float32)[None, :], opinion)[0].label

    return classify
