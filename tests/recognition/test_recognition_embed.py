"""FaceNet on ONNX Runtime, OpenCV DNN and Keras gives the same embeddings; batching changes nothing."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from app.recognition.align import align_face
from app.recognition.detect import get_detector
from app.recognition.embed import embed_faces, get_embedder, prewhiten, standardize
from app.recognition.images import read_image
from app.recognition.keras_weights import WEIGHTS_FILENAME
from app.recognition.pipeline import Recognizer


@pytest.fixture(scope="module")
def crops(faces_dir: Path) -> np.ndarray:
    """Aligned 160x160 faces of four different people."""
    names = ["Alvaro_Uribe", "Halle_Berry", "Jacques_Chirac", "Anna_Kournikova"]
    out = []
    for name in names:
        rgb = read_image(faces_dir / "people" / name / f"{name}_0002.jpg")
        out.append(align_face(rgb, get_detector("opencv", 40).detect(rgb)[0]))
    return np.stack(out)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["onnxruntime", "opencv"])
def test_batch_equals_one_by_one(crops: np.ndarray, backend: str) -> None:
    embedder = get_embedder(backend)
    batch = embed_faces(embedder, crops)
    single = np.concatenate([embed_faces(embedder, crops[i : i + 1]) for i in range(len(crops))])
    assert batch.shape == (4, 512)
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(batch, single, atol=1e-5)


@pytest.mark.slow
def test_keras_and_opencv_agree_to_1e_5(crops: np.ndarray, keras_model_dir: Path) -> None:
    keras = embed_faces(get_embedder("tensorflow", str(keras_model_dir)), crops)
    opencv = embed_faces(get_embedder("opencv"), crops)
    assert (keras_model_dir / WEIGHTS_FILENAME).is_file()
    assert np.abs(keras - opencv).max() < 1e-5


@pytest.mark.slow
def test_onnxruntime_and_opencv_agree_to_1e_5(crops: np.ndarray) -> None:
    onnxruntime, opencv = (embed_faces(get_embedder(name), crops) for name in ("onnxruntime", "opencv"))
    assert np.abs(onnxruntime - opencv).max() < 1e-5


@pytest.mark.slow
def test_same_person_is_closer_than_different_people(faces_dir: Path, crops: np.ndarray) -> None:
    rgb = read_image(faces_dir / "people" / "Alvaro_Uribe" / "Alvaro_Uribe_0003.jpg")
    again = embed_faces(get_embedder(), align_face(rgb, get_detector("opencv", 40).detect(rgb)[0])[None])
    similarity = embed_faces(get_embedder(), crops) @ again[0]
    assert similarity.argmax() == 0 and similarity[0] > 0.5


def test_standardisation_is_fixed_and_prewhitening_is_per_image() -> None:
    faces = np.stack([np.zeros((160, 160, 3), np.uint8), np.full((160, 160, 3), 255, np.uint8)])
    np.testing.assert_allclose(standardize(faces)[0], -127.5 / 128)
    np.testing.assert_allclose(standardize(faces)[1], 127.5 / 128)
    np.testing.assert_allclose(prewhiten(faces), 0.0)


def test_a_recognizer_runs_opencv_on_one_thread() -> None:
    # Workers run one per core: a second OpenCV thread per process would only wait for a busy core.
    Recognizer()
    assert cv2.getNumThreads() == 1
