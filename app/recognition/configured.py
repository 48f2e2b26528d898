"""The recognition core as the configuration sets it up: a Recognizer with the configured backends and limits, and
the configured background cohort. (The live classifier comes from the shared model store:
app/enrolment/model_store.py.)

config is any mapping with the app's setting names (DETECTOR, EMBEDDER, SECOND_EMBEDDER, MODEL_DIR, MIN_FACE_PX):
a Flask app's config, or a plain dict; nothing here imports Flask.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.recognition.cohort import Cohort, cached_cohort
from app.recognition.pipeline import Recognizer
from app.recognition.quality import QualityLimits


def recognizer_from_config(config: Mapping) -> Recognizer:
    """A Recognizer with the backends and limits that config (an app's config) names."""
    return Recognizer(
        detector=config["DETECTOR"],
        embedder=config["EMBEDDER"],
        second=config["SECOND_EMBEDDER"],
        model_dir=str(config["MODEL_DIR"]),
        limits=QualityLimits(min_face_px=config["MIN_FACE_PX"]),
    )


def cohort_from_config(config: Mapping) -> Cohort:
    """The background cohort the configuration names (COHORT_FILE), for the configured embedders; read once."""
    return cached_cohort(str(config["COHORT_FILE"]), recognizer_from_config(config).embedding_name)
