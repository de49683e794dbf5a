"""Read the inputs and outputs of an ONNX graph without the ``onnx`` package.

The app ships without ``onnx`` (it is only in the ``[export]`` extra) and
without loading a model into ONNX Runtime until it is needed, yet a bundle
must be validated when it is opened.  An ``.onnx`` file is a protobuf
``ModelProto``; this module walks its wire format just far enough to read the
graph's declared inputs and outputs (name, element type, shape), skipping the
weights without copying them (the file is memory-mapped).

Only the few fields needed are decoded:

- ModelProto.graph = 7
- GraphProto.initializer = 5, input = 11, output = 12
- TensorProto.name = 8 (initializer names, to drop them from old-style inputs)
- ValueInfoProto.name = 1, type = 2
- TypeProto.tensor_type = 1;  Tensor.elem_type = 1, shape = 2
- TensorShapeProto.dim = 1;  Dimension.dim_value = 1, dim_param = 2

The same pass lists every external-data ``location`` the model names (files
ONNX Runtime would read next to the graph), wherever a tensor can sit: graph
initializers and sparse initializers, tensor attributes of nodes (``Constant``),
subgraphs of control-flow nodes, functions and training graphs:

- ModelProto.graph = 7, training_info = 20, functions = 25
- TrainingInfoProto.initialization = 1, algorithm = 2
- FunctionProto.node = 7
- GraphProto.node = 1, initializer = 5, sparse_initializer = 15
- NodeProto.attribute = 5
- AttributeProto.t = 5, g = 6, tensors = 10, graphs = 11, sparse_tensor = 22, sparse_tensors = 23
- SparseTensorProto.values = 1, indices = 2
- TensorProto.external_data = 13;  StringStringEntryProto.key = 1, value = 2

Nested messages are walked with an explicit stack, so no nesting depth can
exhaust Python's recursion limit, and a node is decoded only when its bytes
hold the word ``location`` at all.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# ONNX TensorProto.DataType -> numpy dtype (the ones a CLIP graph can declare).
ONNX_DTYPES: dict[int, np.dtype] = {
    1: np.dtype(np.float32),
    2: np.dtype(np.uint8),
    3: np.dtype(np.int8),
    5: np.dtype(np.int16),
    6: np.dtype(np.int32),
    7: np.dtype(np.int64),
    10: np.dtype(np.float16),
    11: np.dtype(np.float64),
}

# ONNX Runtime's type strings for the same types (NodeArg.type).
ORT_DTYPES: dict[str, np.dtype] = {
    "tensor(float)": np.dtype(np.float32),
    "tensor(float16)": np.dtype(np.float16),
    "tensor(double)": np.dtype(np.float64),
    "tensor(int32)": np.dtype(np.int32),
    "tensor(int64)": np.dtype(np.int64),
    "tensor(uint8)": np.dtype(np.uint8),
    "tensor(int8)": np.dtype(np.int8),
    "tensor(int16)": np.dtype(np.int16),
}

Dim = int | str | None  # a fixed size, a symbolic name, or unknown


class OnnxFormatError(ValueError):
    """The file is not a readable ONNX model."""


@dataclass(frozen=True)
class TensorSpec:
    """One declared graph input or output."""

    name: str
    dtype: np.dtype | None  # None: an element type this reader does not map
    shape: tuple[Dim, ...] | None  # None: no shape declared

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)


@dataclass(frozen=True)
class GraphSignature:
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    #: every external-data location the model names (a tensor may name several; all are kept)
    external_data: tuple[str, ...] = ()


class _Reader:
    """Minimal protobuf wire-format reader over a buffer slice."""

    def __init__(self, buf: mmap.mmap | bytes | memoryview, start: int = 0, end: int | None = None):
        self.buf = buf
        self.pos = start
        self.end = len(buf) if end is None else end

    def varint(self) -> int:
        result = 0
        shift = 0
        while True:
            if self.pos >= self.end:
                raise OnnxFormatError("truncated varint")
            byte = self.buf[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7
            if shift > 70:
                raise OnnxFormatError("malformed varint")

    def fields(self) -> Iterator[tuple[int, int, int, int]]:
        """Yield (field number, wire type, value or start, end) for each field.

        For length-delimited fields (wire type 2) the value is the start offset
        of the payload and ``end`` its end; for varints the value is the integer.
        """
        while self.pos < self.end:
            key = self.varint()
            field, wire = key >> 3, key & 7
            if wire == 0:
                yield field, wire, self.varint(), 0
            elif wire == 1:
                self.pos += 8
                yield field, wire, 0, 0
            elif wire == 2:
                length = self.varint()
                start = self.pos
                self.pos += length
                if self.pos > self.end:
                    raise OnnxFormatError("truncated field")
                yield field, wire, start, self.pos
            elif wire == 5:
                self.pos += 4
                yield field, wire, 0, 0
            else:
                raise OnnxFormatError(f"unsupported protobuf wire type {wire}")
        if self.pos != self.end:
            raise OnnxFormatError("truncated message")

    def sub(self, start: int, end: int) -> _Reader:
        return _Reader(self.buf, start, end)

    def text(self, start: int, end: int) -> str:
        return bytes(self.buf[start:end]).decode("utf-8", errors="replace")


def _parse_dim(r: _Reader) -> Dim:
    dim: Dim = None
    for field, wire, value, end in r.fields():
        if field == 1 and wire == 0:
            dim = value
        elif field == 2 and wire == 2:
            dim = r.text(value, end)
    return dim


def _parse_value_info(r: _Reader) -> TensorSpec:
    name = ""
    dtype: np.dtype | None = None
    shape: tuple[Dim, ...] | None = None
    for field, wire, value, end in r.fields():
        if field == 1 and wire == 2:
            name = r.text(value, end)
        elif field == 2 and wire == 2:  # TypeProto
            for tf, tw, tv, te in r.sub(value, end).fields():
                if tf == 1 and tw == 2:  # tensor_type
                    tensor = r.sub(tv, te)
                    for ef, ew, ev, ee in tensor.fields():
                        if ef == 1 and ew == 0:
                            dtype = ONNX_DTYPES.get(ev)
                        elif ef == 2 and ew == 2:
                            dims = [
                                _parse_dim(r.sub(dv, de))
                                for df, dw, dv, de in r.sub(ev, ee).fields()
                                if df == 1 and dw == 2
                            ]
                            shape = tuple(dims)
    return TensorSpec(name=name, dtype=dtype, shape=shape)


def _initializer_name(r: _Reader) -> str | None:
    for field, wire, value, end in r.fields():
        if field == 8 and wire == 2:
            return r.text(value, end)
    return None


# Which fields of which message hold (kind of message) that can carry a tensor.
_MODEL, _TRAINING, _FUNCTION, _GRAPH, _NODE, _ATTRIBUTE, _SPARSE, _TENSOR = range(8)
_CHILDREN: dict[int, dict[int, int]] = {
    _MODEL: {7: _GRAPH, 20: _TRAINING, 25: _FUNCTION},
    _TRAINING: {1: _GRAPH, 2: _GRAPH},
    _FUNCTION: {7: _NODE},
    _GRAPH: {1: _NODE, 5: _TENSOR, 15: _SPARSE},
    _NODE: {5: _ATTRIBUTE},
    _ATTRIBUTE: {5: _TENSOR, 6: _GRAPH, 10: _TENSOR, 11: _GRAPH, 22: _SPARSE, 23: _SPARSE},
    _SPARSE: {1: _TENSOR, 2: _TENSOR},
}
_LOCATION = b"location"


def _tensor_locations(r: _Reader, out: list[str]) -> None:
    for field, wire, value, end in r.fields():
        if field != 13 or wire != 2:  # TensorProto.external_data
            continue
        key: str | None = None
        location: str | None = None
        for ef, ew, ev, ee in r.sub(value, end).fields():
            if ew != 2:
                continue
            if ef == 1:
                key = bytes(r.buf[ev:ee]).decode("utf-8", errors="surrogateescape")
            elif ef == 2:
                location = bytes(r.buf[ev:ee]).decode("utf-8", errors="surrogateescape")
        if key == "location":
            out.append(location or "")


def _external_locations(buf: mmap.mmap, start: int, end: int, kind: int) -> list[str]:
    """The external-data locations named anywhere inside the message at ``buf[start:end]``."""
    out: list[str] = []
    stack = [(kind, start, end)]
    while stack:
        kind, start, end = stack.pop()
        r = _Reader(buf, start, end)
        if kind == _TENSOR:
            _tensor_locations(r, out)
            continue
        children = _CHILDREN[kind]
        for field, wire, value, field_end in r.fields():
            child = children.get(field)
            if child is None or wire != 2:
                continue
            if child in (_NODE, _FUNCTION) and buf.find(_LOCATION, value, field_end) < 0:
                continue  # nothing in this node can name a file (cheap: no decoding)
            stack.append((child, value, field_end))
    return out


def read_signature(path: Path) -> GraphSignature:
    """Return the graph's real inputs (initializers excluded), outputs and external-data locations.

    Raises ``OnnxFormatError`` when the file is not a well-formed ONNX model
    and ``OSError`` when it cannot be read.
    """
    with open(path, "rb") as fh:
        size = fh.seek(0, 2)
        if size == 0:
            raise OnnxFormatError("empty file")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            model = _Reader(buf)
            graph: tuple[int, int] | None = None
            for field, wire, value, end in model.fields():
                if field == 7 and wire == 2:
                    graph = (value, end)
            if graph is None:
                raise OnnxFormatError("no graph in the model")
            external = _external_locations(buf, 0, size, _MODEL)
            inputs: list[TensorSpec] = []
            outputs: list[TensorSpec] = []
            initializers: set[str] = set()
            for field, wire, value, end in model.sub(*graph).fields():
                if wire != 2:
                    continue
                if field == 11:
                    inputs.append(_parse_value_info(model.sub(value, end)))
                elif field == 12:
                    outputs.append(_parse_value_info(model.sub(value, end)))
                elif field == 5:
                    name = _initializer_name(model.sub(value, end))
                    if name:
                        initializers.add(name)
    real_inputs = tuple(spec for spec in inputs if spec.name not in initializers)
    return GraphSignature(inputs=real_inputs, outputs=tuple(outputs), external_data=tuple(external))
