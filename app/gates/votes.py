"""Turn the recognition core's per-face verdicts into votes for a gate's window, and pool a track's embeddings."""

from __future__ import annotations

import numpy as np

from app.gates.decide import FaceVote, PooledClassifier
from app.recognition.classify import FaceClassifier
from app.recognition.pipeline import FaceResult


def frame_votes(results: list[FaceResult]) -> list[FaceVote]:
    """One vote per identified face (staff label or stranger); faces the quality gate rejected do not vote."""
    return [FaceVote(r.face.box, r.verdict.label, r.embedding) for r in results if r.verdict is not None]


def pooled_classifier(model: FaceClassifier) -> PooledClassifier:
    """Classify a track's mean FaceNet embedding with the model's open-set rule (FaceNet thresholds alone)."""

    def classify(mean: np.ndarray) -> str | None:
        return model.decide(np.asarray(mean, dtype=np.float32)[None, :])[0].label

    return classify
