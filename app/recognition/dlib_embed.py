"""dlib's face-recognition ResNet (128-d, weights from the face_recognition_models wheel): the second opinion."""

from __future__ import annotations

import functools
import logging

import numpy as np

from app.recognition.detect import Face
from app.recognition.embed import l2_normalize
from app.recognition.threads import limit_blas_threads

logger = logging.getLogger(__name__)

NAME = "dlib-resnet-v1"
CHIP_SIZE = 150
CHIP_PADDING = 0.25


class DlibEmbedder:
    """dlib's 5-point shape predictor (seeded with the MTCNN box) + get_face_chip + its ResNet descriptor."""

    name = NAME

    def __init__(self) -> None:
        import dlib
        import face_recognition_models as models

        self._dlib = dlib
        self._shape = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
        self._net = dlib.face_recognition_model_v1(models.face_recognition_model_location())
        limit_blas_threads()  # dlib's OpenBLAS is loaded only now
        if not getattr(dlib, "DLIB_USE_BLAS", False):
            logger.info("dlib was built without BLAS (the prebuilt wheel): its descriptors are the same, about 5x "
                        "slower to compute; docs/capacity.md says how to build it against OpenBLAS")  # fmt: skip

    def embed(self, rgb: np.ndarray, faces: list[Face]) -> np.ndarray:
        """Unit-length 128-d descriptors for the given faces of an RGB image."""
        if not faces:
            return np.zeros((0, 128), dtype=np.float32)
        chips = []
        for face in faces:
            x, y, w, h = face.box
            rect = self._dlib.rectangle(int(x), int(y), int(x + w), int(y + h))
            shape = self._shape(rgb, rect)
            chips.append(self._dlib.get_face_chip(rgb, shape, size=CHIP_SIZE, padding=CHIP_PADDING))
        return l2_normalize(np.array(self._net.compute_face_descriptor(chips), dtype=np.float32))


@functools.cache
def get_dlib_embedder() -> DlibEmbedder:
    """The dlib embedder, built once per process."""
    return DlibEmbedder()
