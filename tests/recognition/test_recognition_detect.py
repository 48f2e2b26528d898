"""Both MTCNN backends find the same face; alignment levels the eyes; the quality gate gives reasons."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.recognition.align import FACE_SIZE, align_face, alignment_matrix, eye_angle
from app.recognition.detect import DETECTORS, get_detector, most_central_face
from app.recognition.quality import QualityLimits, quality_problem


def _iou(a: tuple, b: tuple) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    return w * h / (aw * ah + bw * bh - w * h)


@pytest.mark.slow
@pytest.mark.parametrize("backend", DETECTORS)
def test_backend_finds_the_face_with_landmarks(backend: str, portrait: np.ndarray) -> None:
    faces = get_detector(backend, 40).detect(portrait)
    assert len(faces) == 1
    face = faces[0]
    assert face.confidence > 0.95 and min(face.box[2:]) > 60
    left_eye, right_eye, nose = face.landmarks[:3]
    assert left_eye[0] < nose[0] < right_eye[0]


@pytest.mark.slow
def test_backends_agree_on_the_box(portrait: np.ndarray) -> None:
    opencv, tensorflow = (get_detector(name, 40).detect(portrait)[0] for name in DETECTORS)
    assert _iou(opencv.box, tensorflow.box) > 0.8


@pytest.mark.slow
def test_no_face_in_a_blank_image() -> None:
    assert get_detector("opencv", 40).detect(np.full((240, 320, 3), 128, np.uint8)) == []


@pytest.mark.slow
def test_alignment_levels_the_eyes_of_a_rolled_face(portrait: np.ndarray) -> None:
    rotation = cv2.getRotationMatrix2D((125, 125), 25, 1.0)
    rolled = cv2.warpAffine(portrait, rotation, (250, 250))
    face = get_detector("opencv", 40).detect(rolled)[0]
    assert abs(eye_angle(face)) > 15
    eyes = np.hstack([face.landmarks[:2], np.ones((2, 1))]) @ alignment_matrix(face).T
    assert abs(eyes[0, 1] - eyes[1, 1]) < 2.0
    assert align_face(rolled, face).shape == (FACE_SIZE, FACE_SIZE, 3)


def test_most_central_face_is_the_one_nearest_the_middle(portrait: np.ndarray) -> None:
    from app.recognition.detect import Face

    def face_at(x: float, y: float) -> Face:
        return Face((x, y, 40, 40), np.zeros((5, 2), np.float32), 0.99)

    faces = [face_at(0, 0), face_at(130, 110), face_at(200, 200)]
    assert most_central_face(faces, 300, 260) is faces[1]
    assert most_central_face([], 300, 260) is None


@pytest.mark.slow
def test_quality_gate_rejects_small_blurred_and_dark_faces(portrait: np.ndarray) -> None:
    face = get_detector("opencv", 40).detect(portrait)[0]
    crop = align_face(portrait, face)
    assert quality_problem(face, crop, QualityLimits()) is None
    assert "too small" in quality_problem(face, crop, QualityLimits(min_face_px=400))
    assert "too blurred" in quality_problem(face, cv2.GaussianBlur(crop, (0, 0), 6), QualityLimits())
    assert "too dark" in quality_problem(face, (crop * 0.1).astype(np.uint8), QualityLimits())
