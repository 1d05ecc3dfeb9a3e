"""The one pretrained CNN of chapter 13: Magenta's MobileNetV2 trunk as a torch module.

:func:`pretrained_trunk` builds :class:`dlnotes.models.mobilenet_v2.MobileNetV2` up to a layer and
copies in the dequantised weights that :func:`dlnotes.data.mobilenet_style.read_mobilenet_style`
reads from the ONNX file. The trunk was trained (from an ImageNet initialisation) to predict style
embeddings for style transfer, not to classify.

Input ``(N, 3, H, W)`` RGB in ``[0, 1]``, as the original graph takes it (its only input step is
an 8-bit quantisation with scale 1/255; any other scaling is folded into the first convolution).
Output of the default ``upto="expanded_conv_9"``: ``(N, 64, ceil(H/16), ceil(W/16))``.

Port error: the ONNX graph rounds every activation to int8 between layers; the port keeps float32,
so it differs from onnxruntime by that rounding (``tests/test_mobilenet_trunk.py`` states the
tolerance).
"""

from __future__ import annotations

import torch

from ..data.mobilenet_style import read_mobilenet_style
from ..models.mobilenet_v2 import MobileNetV2, MobileNetV2Config, layer_names

__all__ = ["pretrained_trunk", "trunk_state_dict", "TRUNK_LAYERS"]

TRUNK_LAYERS = tuple(layer_names())  # "Conv", "expanded_conv", ..., "expanded_conv_16", "Conv_1"


def _module_key(conv_name: str) -> str:
    """Graph conv name → state-dict prefix: ``"expanded_conv_3/expand"`` → ``"layers.expanded_conv_3.expand.conv"``."""
    if conv_name == "embedding":
        return "embedding"
    block, _, part = conv_name.partition("/")
    return f"layers.{block}.{part}.conv" if part else f"layers.{block}.conv"


def trunk_state_dict() -> dict[str, torch.Tensor]:
    """The whole network's dequantised weights, keyed like :class:`MobileNetV2`'s state dict."""
    graph = read_mobilenet_style()
    state = {}
    for conv in graph.convs:
        key = _module_key(conv.name)
        state[f"{key}.weight"] = conv.weight.clone()
        state[f"{key}.bias"] = conv.bias.clone()
    return state


def pretrained_trunk(upto: str | None = "expanded_conv_9", pretrained: bool = True,
                     seed: int = 0) -> MobileNetV2:
    """MobileNetV2 up to layer ``upto`` (``None``: the whole style predictor, output ``(N, 100)``).

    Args:
        upto: last layer kept, one of :data:`TRUNK_LAYERS` (stride 16 at ``"expanded_conv_9"`` …
            ``"expanded_conv_12"``, 32 after).
        pretrained: load Magenta's weights; ``False`` gives the same architecture with He
            initialisation drawn from ``torch.manual_seed(seed)`` without touching the caller's
            random stream (the "from scratch" and "random weights" controls).
        seed: the seed of the random initialisation.

    The module has ``out_channels`` and ``features(X, taps) -> {name: tensor}``; it raises
    ``ValueError`` on input that is not ``(N, 3, H, W)`` in ``[0, 1]``.
    """
    if upto is not None and upto not in TRUNK_LAYERS:
        raise ValueError(f"unknown layer {upto!r}; choose one of {list(TRUNK_LAYERS)}")
    with torch.random.fork_rng(devices=[]):  # building nn.Conv2d draws numbers: not the caller's
        torch.manual_seed(seed)
        net = MobileNetV2(MobileNetV2Config(upto=upto))
        if not pretrained:
            net.init_weights()
    if pretrained:
        state = trunk_state_dict()
        wanted = net.state_dict()
        net.load_state_dict({k: v for k, v in state.items() if k in wanted}, strict=True)
    return net
