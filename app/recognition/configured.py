"""The recognition core as the configuration sets it up: a Recognizer with the configured backends and limits, and
this process's watcher of the model store (the live classifier, reloaded when a new version is published).

config is any mapping with the app's setting names (DETECTOR, EMBEDDER, SECOND_EMBEDDER, MODEL_DIR, MIN_FACE_PX):
a Flask app's config, or a plain dict; nothing here imports Flask.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

from app.recognition.classify import FaceClassifier, classifier_from_arrays
from app.recognition.cohort import Cohort, cached_cohort
from app.recognition.pipeline import Recognizer
from app.recognition.quality import QualityLimits
from app.recognition.store import ModelWatcher


def recognizer_from_config(config: Mapping) -> Recognizer:
    """A Recognizer with the backends and limits that config (an app's config) names."""
    return Recognizer(
        detector=config["DETECTOR"],
        embedder=config["EMBEDDER"],
        second=config["SECOND_EMBEDDER"],
        model_dir=str(config["MODEL_DIR"]),
        limits=QualityLimits(min_face_px=config["MIN_FACE_PX"]),
    )


@functools.cache
def model_watcher(model_dir: str) -> ModelWatcher:
    """This process's watcher of the model store in model_dir: it reloads when a newer version is published."""
    return ModelWatcher(Path(model_dir), classifier_from_arrays)


def live_classifier(config: Mapping) -> FaceClassifier | None:
    """The newest published classifier in the configured model store, or None before the first training."""
    return model_watcher(str(config["MODEL_DIR"])).current()


def cohort_from_config(config: Mapping) -> Cohort:
    """The background cohort the configuration names (COHORT_FILE), for the configured embedders; read once."""
    return cached_cohort(str(config["COHORT_FILE"]), recognizer_from_config(config).embedding_name)
