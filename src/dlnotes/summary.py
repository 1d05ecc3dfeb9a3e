"""Look inside a model: its parameter count, per-layer output shapes and parameter counts, and
multiply-adds per image.

Both functions run one forward pass with forward hooks on a zero input of ``input_shape``
(batch first) in eval mode, with gradients off, and then restore the model's mode.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import torch
from torch import nn

__all__ = ["num_params", "layer_summary", "count_flops"]


def _modules_at_depth(model: nn.Module, depth: int) -> Iterator[tuple[str, nn.Module]]:
    """``(name, module)`` pairs ``depth`` levels below ``model``; leaves shallower are included."""

    def walk(prefix: str, module: nn.Module, level: int):
        children = list(module.named_children())
        if level == depth or not children:
            yield prefix, module
            return
        for name, child in children:
            yield from walk(f"{prefix}.{name}" if prefix else name, child, level + 1)

    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    for name, child in model.named_children():
        yield from walk(name, child, 1)


def _run(model: nn.Module, input_shape: tuple[int, ...], hooks: list) -> None:
    was_training = model.training
    model.eval()
    try:
        param = next(model.parameters(), None)
        device = param.device if param is not None else "cpu"
        with torch.no_grad():
            model(torch.zeros(input_shape, device=device))
    finally:
        for handle in hooks:
            handle.remove()
        model.train(was_training)


def layer_summary(model: nn.Module, input_shape: tuple[int, ...], depth: int = 1) -> pd.DataFrame:
    """A table with one row per layer: ``layer``, ``type``, ``output shape``, ``params``.

    Args:
        model: the network.
        input_shape: example input shape, batch first, e.g. ``(1, 1, 28, 28)``.
        depth: 1 lists the model's direct children; larger values open blocks up.

    Layers that the forward pass does not call are left out; a layer called twice gets a row
    per call.
    """
    rows: list[dict] = []
    hooks = []
    for name, module in _modules_at_depth(model, depth):
        def hook(mod, inputs, output, name=name):
            shape = tuple(output.shape) if isinstance(output, torch.Tensor) else "-"
            rows.append({
                "layer": name,
                "type": type(mod).__name__,
                "output shape": str(shape),
                "params": sum(p.numel() for p in mod.parameters()),
            })
        hooks.append(module.register_forward_hook(hook))
    _run(model, input_shape, hooks)
    return pd.DataFrame(rows, columns=["layer", "type", "output shape", "params"])


def count_flops(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Multiply-adds per example of every ``nn.Conv2d`` and ``nn.Linear`` in ``model``.

    A convolution costs ``C_in/groups · k_h · k_w`` multiply-adds per output value, a linear
    layer ``in_features`` per output value. Normalisation, activations and pooling are ignored
    (they are cheap next to these). Returns an int (divide by 1e6 for "M MACs").
    """
    total = 0

    def conv_hook(mod: nn.Conv2d, inputs, output):
        nonlocal total
        per_value = mod.in_channels // mod.groups * mod.kernel_size[0] * mod.kernel_size[1]
        total += output.numel() * per_value

    def linear_hook(mod: nn.Linear, inputs, output):
        nonlocal total
        total += output.numel() * mod.in_features

    hooks = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            hooks.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            hooks.append(module.register_forward_hook(linear_hook))
    _run(model, input_shape, hooks)
    return int(total // input_shape[0])


def num_params(model: nn.Module) -> int:
    """Number of trainable scalars in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
