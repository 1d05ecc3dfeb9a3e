"""Every registered model: output shape, no NaN, a gradient for every parameter (timm-style)."""

from __future__ import annotations

import pytest
import torch

from dlnotes.models._registry import MODELS, create_model, load_all
from dlnotes.seed import data_generator

load_all()


def example_input(spec, seed: int = 0) -> torch.Tensor:
    """A random batch of the model's input shape (token indices in [0, 10) for integer dtypes)."""
    generator = data_generator(seed)
    if spec.input_dtype.is_floating_point:
        return torch.randn(spec.input_shape, generator=generator, dtype=spec.input_dtype)
    return torch.randint(0, 10, spec.input_shape, generator=generator, dtype=spec.input_dtype)


def test_registry_is_not_empty():
    assert len(MODELS) >= 4


@pytest.mark.parametrize("name", sorted(MODELS))
def test_registered_model_forward_and_backward(name):
    spec = MODELS[name]
    torch.manual_seed(0)
    model = create_model(name)
    model.train()
    y = model(example_input(spec))
    assert tuple(y.shape) == spec.output_shape
    assert torch.isfinite(y).all()
    y.float().square().mean().backward()
    for param_name, param in model.named_parameters():
        if param.requires_grad:
            assert param.grad is not None, f"{name}: {param_name} got no gradient"
            assert torch.isfinite(param.grad).all(), f"{name}: {param_name} has a non-finite grad"


def test_unknown_model_name_lists_the_registered_ones():
    with pytest.raises(KeyError, match="softmax-regression"):
        create_model("no-such-net")
