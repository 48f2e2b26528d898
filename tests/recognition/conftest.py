"""Fixtures for the recognition tests: real LFW photos (never copied into the repo), no database."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from app.recognition.images import read_image
from app.recognition.pipeline import Recognizer

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    """The shared face photos: $FACEGATE_FACES_DIR, else ../shared/faces beside the repository."""
    folder = Path(os.environ.get("FACEGATE_FACES_DIR") or REPO_ROOT.parent / "shared" / "faces")
    if not (folder / "people").is_dir() or not (folder / "strangers").is_dir():
        pytest.fail(f"face photos not found at {folder}: set FACEGATE_FACES_DIR to the shared/faces folder")
    return folder


@pytest.fixture(scope="session")
def portrait(faces_dir: Path) -> np.ndarray:
    """One real 250x250 RGB photo with one clear face."""
    return read_image(faces_dir / "people" / "Alvaro_Uribe" / "Alvaro_Uribe_0001.jpg")


@pytest.fixture(scope="session")
def keras_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model store folder for the Keras FaceNet weights converted during this test session."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def shipped_cohort():
    """The background cohort the project ships (FaceNet + dlib embeddings of 1,000 LFW faces)."""
    from app.recognition.cohort import SHIPPED_COHORT, load_cohort

    return load_cohort(SHIPPED_COHORT, Recognizer().embedding_name)[0]


@pytest.fixture(scope="session")
def antispoof_dir() -> Path:
    """The shared anti-spoofing folder (sample images): $FACEGATE_ANTISPOOF_DIR, else ../shared/antispoof."""
    folder = Path(os.environ.get("FACEGATE_ANTISPOOF_DIR") or REPO_ROOT.parent / "shared" / "antispoof")
    if not (folder / "minivision").is_dir():
        pytest.fail(f"anti-spoofing samples not found at {folder}: set FACEGATE_ANTISPOOF_DIR")
    return folder
