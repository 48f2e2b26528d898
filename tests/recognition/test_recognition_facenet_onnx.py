"""The FaceNet GraphDef reader and its ONNX rewrite (their output is checked against OpenCV DNN's in
test_recognition_embed.py)."""

from __future__ import annotations

import numpy as np
import pytest

from app.recognition.embed import graph_path
from app.recognition.facenet_onnx import Node, facenet_onnx, fields, read_graph, topological


@pytest.fixture(scope="module")
def graph() -> bytes:
    return graph_path().read_bytes()


def test_reads_every_node_of_the_shipped_graph(graph: bytes) -> None:
    nodes = read_graph(graph)
    ops = [node.op for node in nodes]
    assert len(nodes) == 793 and ops.count("Conv2D") == 132 and ops.count("Placeholder") == 1
    first = next(node for node in nodes if node.name == "InceptionResnetV1/Conv2d_1a_3x3/weights")
    assert first.tensor().shape == (3, 3, 3, 32) and first.tensor().dtype == np.float32
    conv = next(node for node in nodes if node.name == "InceptionResnetV1/Conv2d_1a_3x3/Conv2D")
    assert conv.inputs == ["input", "InceptionResnetV1/Conv2d_1a_3x3/weights"]
    assert conv.ints("strides") == [1, 2, 2, 1] and conv.text("padding") == "VALID"


def test_topological_order_puts_inputs_first() -> None:
    nodes = [Node("c", "Add", ["a", "b"]), Node("b", "Relu", ["a"]), Node("a", "Placeholder", [])]
    assert [node.name for node in topological(nodes)] == ["a", "b", "c"]


def test_protobuf_fields_decode_varints_strings_and_floats() -> None:
    # field 1 varint 300, field 2 bytes "hi", field 3 float 1.5
    message = bytes([0x08, 0xAC, 0x02, 0x12, 0x02]) + b"hi" + bytes([0x1D]) + np.float32(1.5).tobytes()
    assert fields(message) == {1: [300], 2: [b"hi"], 3: [1.5]}


def test_an_operation_it_does_not_know_is_refused(graph: bytes) -> None:
    # One more node: name "x", op "Elu", input "input".
    foreign = graph + bytes([0x0A, 0x0F, 0x0A, 0x01]) + b"x" + bytes([0x12, 0x03]) + b"Elu" + bytes([0x1A, 0x05])
    with pytest.raises(ValueError, match="does not know: Elu"):
        facenet_onnx(foreign + b"input")
