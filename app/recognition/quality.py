"""Face quality gate: reject a face that is too small, too blurred or too dark, with the reason."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from app.recognition.detect import Face


@dataclass(frozen=True)
class QualityLimits:
    """Minimum face box side in pixels, minimum Laplacian variance (sharpness) and mean brightness of the crop."""

    min_face_px: int = 40
    min_sharpness: float = 15.0
    min_brightness: float = 35.0


def quality_problem(face: Face, aligned: np.ndarray, limits: QualityLimits) -> str | None:
    """Why this face should not be used (a short reason), or None if it is good enough."""
    side = min(face.box[2], face.box[3])
    if side < limits.min_face_px:
        return f"face too small ({side:.0f} px < {limits.min_face_px} px)"
    grey = cv2.cvtColor(aligned, cv2.COLOR_RGB2GRAY)
    brightness = float(grey.mean())
    if brightness < limits.min_brightness:
        return f"face too dark (mean brightness {brightness:.0f} < {limits.min_brightness:.0f})"
    sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    if sharpness < limits.min_sharpness:
        return f"face too blurred (sharpness {sharpness:.0f} < {limits.min_sharpness:.0f})"
    return None
