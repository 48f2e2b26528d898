"""Face liveness (presentation-attack detection): how likely a detected face is a live person and not a printed photo.

Two MiniFASNet networks from MiniVision's Silent-Face-Anti-Spoofing (Apache-2.0), shipped as ONNX files in
data/antispoof/ and run by OpenCV DNN. Each sees the face box scaled about its centre (2.7 and 4.0 times: the face
and its surroundings, where a photo's border, hands and print texture show), 80x80, BGR, raw 0-255 floats; class 1 of
its softmax is "live". The score is the mean of the two live probabilities, as the original code fuses them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ANTISPOOF_DIR = Path(__file__).with_name("data") / "antispoof"
INPUT_SIZE = 80
LIVE_CLASS = 1


@dataclass(frozen=True)
class AntiSpoofNet:
    """One shipped network: its ONNX file name and the factor its crop scales the face box by."""

    file: str
    scale: float


NETWORKS = (AntiSpoofNet("MiniFASNetV2.onnx", 2.7), AntiSpoofNet("MiniFASNetV1SE.onnx", 4.0))


Box = tuple[float, float, float, float]


def crop_box(width: int, height: int, box: Box, scale: float) -> tuple[int, int, int, int]:
    """The crop (left, top, right, bottom, inclusive) of box scaled about its centre by scale, shifted to fit the
    frame; scale is capped so the crop fits at all (the original repository's _get_new_box)."""
    x, y, w, h = box
    w, h = max(w, 1.0), max(h, 1.0)
    scale = min((height - 1) / h, (width - 1) / w, scale)
    new_w, new_h = w * scale, h * scale
    cx, cy = x + w / 2, y + h / 2
    left, top, right, bottom = cx - new_w / 2, cy - new_h / 2, cx + new_w / 2, cy + new_h / 2
    if left < 0:
        right -= left
        left = 0
    if top < 0:
        bottom -= top
        top = 0
    if right > width - 1:
        left -= right - width + 1
        right = width - 1
    if bottom > height - 1:
        top -= bottom - height + 1
        bottom = height - 1
    return int(left), int(top), int(right), int(bottom)


def network_input(rgb: np.ndarray, box: Box, scale: float) -> np.ndarray:
    """The 1 x 3 x 80 x 80 float32 BGR input of one face for a network of this crop scale."""
    height, width = rgb.shape[:2]
    left, top, right, bottom = crop_box(width, height, box, scale)
    patch = cv2.resize(rgb[top : bottom + 1, left : right + 1], (INPUT_SIZE, INPUT_SIZE))
    return np.ascontiguousarray(patch[:, :, ::-1].transpose(2, 0, 1)[None], dtype=np.float32)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


class LivenessModel:
    """Both networks loaded in OpenCV DNN; scores faces of an RGB frame."""

    def __init__(self, directory: Path = ANTISPOOF_DIR) -> None:
        self._nets = [(cv2.dnn.readNetFromONNX(str(directory / net.file)), net.scale) for net in NETWORKS]

    def logits(self, rgb: np.ndarray, box: Box) -> list[np.ndarray]:
        """Each network's three raw logits for the face in box (for checking against another runtime)."""
        outputs = []
        for net, scale in self._nets:
            net.setInput(network_input(rgb, box, scale))
            outputs.append(np.array(net.forward(), dtype=np.float32).reshape(-1))
        return outputs

    def scores(self, rgb: np.ndarray, boxes: list[Box]) -> np.ndarray:
        """The live probability (0-1, mean of both networks) of each face box in an H x W x 3 uint8 RGB frame."""
        return np.array(
            [float(np.mean([softmax(out)[LIVE_CLASS] for out in self.logits(rgb, box)])) for box in boxes],
            dtype=np.float32,
        )


@functools.cache
def get_liveness_model() -> LivenessModel:
    """The shipped liveness networks, loaded once per process."""
    return LivenessModel()
