"""Align a detected face: rotate so the eyes are level, crop with a margin proportional to the box, resize."""

from __future__ import annotations

import math

import cv2
import numpy as np

from app.recognition.detect import Face

FACE_SIZE = 160
# Margin on each side, as a fraction of the box width/height (about 16 px a side at 160 px).
DEFAULT_MARGIN = 0.125


def eye_angle(face: Face) -> float:
    """The roll of the face in degrees: the angle of the line from the left eye to the right eye."""
    (lx, ly), (rx, ry) = face.landmarks[0], face.landmarks[1]
    return math.degrees(math.atan2(ry - ly, rx - lx))


def alignment_matrix(face: Face, size: int = FACE_SIZE, margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """The 2x3 affine map from image to a size x size crop: eyes level, box plus margin filling the crop."""
    x, y, w, h = face.box
    cx, cy = x + w / 2, y + h / 2
    crop_w, crop_h = w * (1 + 2 * margin), h * (1 + 2 * margin)
    theta = math.radians(eye_angle(face))
    cos, sin = math.cos(theta), math.sin(theta)
    sx, sy = size / crop_w, size / crop_h
    # dst = S @ R(-theta) @ (p - c) + size/2
    linear = np.array([[sx * cos, sx * sin], [-sy * sin, sy * cos]])
    offset = np.array([size / 2, size / 2]) - linear @ np.array([cx, cy])
    return np.hstack([linear, offset[:, None]]).astype(np.float64)


def align_face(rgb: np.ndarray, face: Face, size: int = FACE_SIZE, margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """The face as a size x size x 3 uint8 crop, eyes level, ready for the embedder."""
    matrix = alignment_matrix(face, size, margin)
    return cv2.warpAffine(rgb, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
