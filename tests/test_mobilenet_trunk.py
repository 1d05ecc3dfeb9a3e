"""The MobileNetV2 port (models/mobilenet_v2.py + recipes/pretrained.py) against onnxruntime.

Two references, both onnxruntime running Magenta's own graph:

* the graph with its activation quantisation removed (every QuantizeLinear/DequantizeLinear pair on
  an activation dropped, weights still dequantised by onnxruntime): the port must match it to float
  rounding, relative error < 1e-4 (measured ~1e-6) at ``expanded_conv_9``, ``Conv_1`` and the
  100-d output. This checks weights, padding, strides, groups, ReLU6 and residual adds exactly.
* the original int8 graph: it rounds every activation to 8 bits, the float port does not; relative
  error at ``expanded_conv_9`` < 0.10 (measured 0.04 on d2l's rainier photo).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlnotes.data.mobilenet_style import FILE, read_mobilenet_style
from dlnotes.data.store import DatasetUnavailableError, fetch
from dlnotes.models.mobilenet_v2 import same_pad
from dlnotes.recipes.pretrained import pretrained_trunk

try:
    ONNX_PATH = fetch(FILE)
except DatasetUnavailableError:  # pragma: no cover - offline machine without the mirror
    ONNX_PATH = None

needs_file = pytest.mark.skipif(ONNX_PATH is None, reason="arbitrary_predict.onnx not available")

TAPS = {  # our layer -> the graph tensor holding its float value before re-quantisation
    "expanded_conv_9": "MobilenetV2/expanded_conv_9/add_prequant",
    "Conv_1": "Relu6__90:0",
}


def _float_graph_session(outputs):
    """onnxruntime session of the graph with activation Q/DQ removed, returning ``outputs``."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    model = onnx.load(str(ONNX_PATH))
    graph = model.graph
    inits = {t.name for t in graph.initializer}
    alias: dict[str, str] = {}
    kept = []
    for node in graph.node:
        if node.op_type in ("QuantizeLinear", "DequantizeLinear") and node.input[0] not in inits:
            alias[node.output[0]] = alias.get(node.input[0], node.input[0])
            continue
        new = helper.make_node(node.op_type, [alias.get(i, i) for i in node.input],
                               list(node.output), name=node.name)
        new.attribute.extend(node.attribute)
        kept.append(new)
    final = alias.get(graph.output[0].name, graph.output[0].name)
    del graph.node[:]
    graph.node.extend(kept)
    del graph.output[:]
    for name in [final, *outputs]:
        graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    options = ort.SessionOptions()
    options.log_severity_level = 3  # unused quantisation scales are reported as warnings
    return ort.InferenceSession(model.SerializeToString(), options)


def _inputs():
    """Two seeded (1, 3, 256, 256) images in [0, 1], on the 1/255 grid the graph quantises to."""
    from dlnotes.data.images import read_d2l_image

    generator = torch.Generator().manual_seed(0)
    noise = torch.rand(1, 3, 256, 256, generator=generator)
    photo = read_d2l_image("rainier", size=(256, 256))[None]
    return [torch.round(x * 255) / 255 for x in (noise, photo)]


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@needs_file
def test_graph_has_53_convolutions_and_five_strides():
    graph = read_mobilenet_style()
    assert len(graph.convs) == 53
    strided = [c.name for c in graph.convs if c.stride == 2]
    assert strided == ["Conv", "expanded_conv_1/depthwise", "expanded_conv_3/depthwise",
                       "expanded_conv_6/depthwise", "expanded_conv_13/depthwise"]
    assert len(graph.residual) == 10


@needs_file
def test_port_matches_onnxruntime_float_graph():
    session = _float_graph_session(list(TAPS.values()))
    net = pretrained_trunk(upto=None).eval()
    for x in _inputs():
        final, *taps = session.run(None, {"style_image": x.permute(0, 2, 3, 1).numpy()})
        with torch.no_grad():
            ours = net.features(x, list(TAPS))
            out = net(x)
        for name, ref in zip(TAPS, taps, strict=True):
            assert _rel(ours[name].numpy(), ref) < 1e-4, name
        assert _rel(out.numpy(), final.reshape(1, -1)) < 1e-4


@needs_file
def test_port_is_close_to_the_int8_graph():
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(ONNX_PATH))
    quant = "MobilenetV2/expanded_conv_9/add"  # int8 output of the block's QuantizeLinear
    node = next(n for n in model.graph.node if n.output[0] == quant)
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    scale, zero = inits[node.input[1]], inits[node.input[2]]
    model.graph.output.append(helper.make_tensor_value_info(quant, TensorProto.INT8, None))
    session = ort.InferenceSession(model.SerializeToString())
    trunk = pretrained_trunk().eval()  # upto="expanded_conv_9"
    photo = _inputs()[1]
    q = session.run([quant], {"style_image": photo.permute(0, 2, 3, 1).numpy()})[0]
    ref = (q.astype(np.float32) - zero) * scale
    with torch.no_grad():
        ours = trunk(photo).numpy()
    assert ours.shape == ref.shape == (1, 64, 16, 16)
    assert _rel(ours, ref) < 0.10


def test_same_pad_is_tensorflows_rule():
    x = torch.ones(1, 1, 8, 7)
    assert same_pad(x, 3, 2).shape[-2:] == (9, 9)  # 8: pad (0, 1); 7: pad (1, 1)
    padded = same_pad(x, 3, 2)
    assert padded[0, 0, 0].sum() == 7 and padded[0, 0, -1].sum() == 0  # top row kept, bottom padded
    assert same_pad(x, 3, 1).shape[-2:] == (10, 9)


@needs_file
def test_trunk_shapes_taps_and_gradients():
    trunk = pretrained_trunk()
    assert trunk.out_channels == 64
    x = torch.rand(2, 3, 64, 48, requires_grad=True)
    y = trunk(x)
    assert y.shape == (2, 64, 4, 3)  # stride 16
    feats = trunk.features(x, ["Conv", "expanded_conv_2", "expanded_conv_5"])
    assert [tuple(f.shape[1:]) for f in feats.values()] == [(32, 32, 24), (24, 16, 12), (32, 8, 6)]
    (y.square().mean() + feats["Conv"].mean()).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert all(p.grad is not None for p in trunk.parameters())


def test_random_init_is_seeded_and_leaves_the_global_stream_alone():
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    a = pretrained_trunk(pretrained=False)
    after = torch.rand(3)
    b = pretrained_trunk(pretrained=False)
    c = pretrained_trunk(pretrained=False, seed=1)
    assert torch.equal(before, after)
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    assert not torch.equal(a.state_dict()["layers.Conv.conv.weight"],
                           c.state_dict()["layers.Conv.conv.weight"])


def test_bad_input_raises_clearly():
    trunk = pretrained_trunk(pretrained=False)
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        trunk(torch.rand(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        trunk(torch.rand(3, 32, 32))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        trunk(torch.rand(1, 3, 32, 32) * 255)
    with pytest.raises(ValueError, match="unknown taps"):
        trunk.features(torch.rand(1, 3, 32, 32), ["expanded_conv_12"])
    with pytest.raises(ValueError, match="unknown layer"):
        pretrained_trunk(upto="block_9")
