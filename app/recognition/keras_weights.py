"""Map the frozen FaceNet graph's constants into keras-facenet's InceptionResNetV1, cached as .weights.h5."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np

from app.recognition.embed import MODEL_NAME, graph_path

WEIGHTS_FILENAME = f"{MODEL_NAME}.weights.h5"
_REPEAT = re.compile(r"Repeat_[0-9_]*b")
_LAST_BLOCK8 = re.compile(r"Block8_[A-Za-z]")


def keras_layer_name(tf_scope: str) -> str:
    """keras-facenet's layer name for a TensorFlow scope (the same translation keras-facenet uses)."""
    name = tf_scope.replace("/", "_").replace("InceptionResnetV1_", "")
    name = _REPEAT.sub("B", name)
    if _LAST_BLOCK8.match(name):
        name = name.replace("Block8", "Block8_6")
    return name


def graph_constants() -> dict[str, np.ndarray]:
    """Every constant tensor in the frozen graph, by node name."""
    import tensorflow as tf
    from tensorflow.core.framework import graph_pb2

    graph = graph_pb2.GraphDef()
    graph.ParseFromString(graph_path().read_bytes())
    return {n.name: tf.make_ndarray(n.attr["value"].tensor) for n in graph.node if n.op == "Const"}


def layer_weights(constants: dict[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    """The weight list for every Keras layer, keyed by layer name, built from the graph's constants."""
    weights: dict[str, list[np.ndarray]] = {}
    for node, value in constants.items():
        scope, _, leaf = node.rpartition("/")
        if leaf == "weights":
            weights.setdefault(keras_layer_name(scope), []).insert(0, value)
        elif leaf == "biases":
            weights.setdefault(keras_layer_name(scope), []).append(value)
        elif leaf == "Conv2D_bn_offset":
            # Batch norm was folded into the kernel; the offset remains: beta = offset, mean 0, var 1 - eps.
            eps = 0.001
            zeros = np.zeros_like(value)
            weights[keras_layer_name(scope) + "_BatchNorm"] = [value, zeros, np.full_like(value, 1 - eps)]
    prefix = "InceptionResnetV1/Bottleneck/BatchNorm/"
    weights["Bottleneck_BatchNorm"] = [constants[prefix + k] for k in ("beta", "moving_mean", "moving_variance")]
    return weights


def build_keras_facenet(weights_file: Path | None = None):
    """keras-facenet's InceptionResNetV1 (512-d), with weights loaded from weights_file if given."""
    from keras_facenet.inception_resnet_v1 import InceptionResNetV1

    model = InceptionResNetV1(classes=512)
    if weights_file is not None:
        model.load_weights(str(weights_file))
    return model


def convert_graph_weights(target: Path) -> None:
    """Map every weighted layer from the frozen graph into Keras and save them atomically to target."""
    model = build_keras_facenet()
    mapped = layer_weights(graph_constants())
    for layer in model.layers:
        if not layer.weights:
            continue
        if layer.name not in mapped:
            raise KeyError(f"no weights in the FaceNet graph for Keras layer {layer.name}")
        layer.set_weights(mapped[layer.name])
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".weights.h5")
    os.close(fd)
    try:
        model.save_weights(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_keras_facenet(model_dir: Path):
    """The Keras FaceNet with weights from model_dir, converting them from the graph on first use."""
    target = Path(model_dir) / WEIGHTS_FILENAME
    if not target.exists():
        convert_graph_weights(target)
    return build_keras_facenet(target)
