"""Incremental enrolment: embed only images without a cached vector, then train from the whole cache."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from app.recognition.classify import FaceClassifier, train_classifier
from app.recognition.pipeline import Recognizer, split_vector


def update_cache(
    recognizer: Recognizer,
    cache: dict[str, np.ndarray],
    images: Mapping[str, Callable[[], np.ndarray]],
    recompute: bool = False,
) -> list[str]:
    """Add the enrolment vector of every image key not yet in cache (all of them if recompute); returns those keys.

    images maps an opaque image key to a function loading its RGB pixels, so cached images are never read.
    An image without a usable face is cached as an empty vector, so it is not retried on every training.
    """
    computed = []
    for key, load in images.items():
        if recompute or key not in cache:
            cache[key], _ = recognizer.enrolment_vector(load())
            computed.append(key)
    return computed


def train_from_cache(cache: Mapping[str, np.ndarray], label_of: Mapping[str, str]) -> FaceClassifier:
    """Train the open-set classifier from cached enrolment vectors; label_of maps image key to staff label."""
    keys = sorted(k for k, v in cache.items() if len(v) and k in label_of)
    primary, second = split_vector(np.stack([cache[k] for k in keys]))
    return train_classifier(primary, np.array([label_of[k] for k in keys]), second)
