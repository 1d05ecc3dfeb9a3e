"""LoRA (layers/lora.py): B = 0 leaves the frozen model unchanged, merged equals unmerged after
training, only the adapters learn, and the trainable count is r·(d_in + d_out) per adapted layer."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from dlnotes.layers.lora import (
    LoRALinear,
    apply_lora,
    lora_layers,
    lora_num_params,
    merge_lora,
    num_trainable,
)
from dlnotes.models.transformer import EncoderBlock


class TwoBlocks(nn.Module):
    """Two chapter-10 encoder blocks (attention with W_q/W_k/W_v/W_o), like a tiny BERT body."""

    def __init__(self, d=16, heads=4):
        super().__init__()
        self.blocks = nn.ModuleList(EncoderBlock(d, 32, heads, 0.0, bias=True) for _ in range(2))

    def forward(self, X, valid_lens=None):
        for blk in self.blocks:
            X = blk(X, valid_lens)
        return X


TARGETS = ["blocks.1.attention.W_q", "blocks.1.attention.W_v"]


def _model():
    torch.manual_seed(0)
    return TwoBlocks().eval()


def test_lora_with_zero_B_equals_the_frozen_model_exactly():
    model = _model()
    frozen = copy.deepcopy(model)
    apply_lora(model, TARGETS, rank=4, alpha=8)
    X, valid = torch.randn(3, 5, 16), torch.tensor([5, 3, 1])
    assert all((layer.B == 0).all() for layer in lora_layers(model).values())
    assert torch.equal(model(X, valid), frozen(X, valid))


def test_lora_linear_formula_and_torch_twin():
    torch.manual_seed(1)
    base = nn.Linear(6, 5)
    layer = LoRALinear(base, rank=2, alpha=3.0)
    with torch.no_grad():
        layer.B.normal_()
    x = torch.randn(4, 7, 6)
    expected = x @ base.weight.T + base.bias + (3.0 / 2) * x @ layer.A.T @ layer.B.T
    torch.testing.assert_close(layer(x), expected)
    torch.testing.assert_close(layer.delta_weight(), 1.5 * layer.B @ layer.A)
    assert layer.A.shape == (2, 6) and layer.B.shape == (5, 2)


def _train_step(model, head, X, valid, y, lr=0.05):
    params = [p for p in list(model.parameters()) + list(head.parameters()) if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr)
    opt.zero_grad()
    loss = nn.functional.cross_entropy(head(model(X, valid).mean(1)), y)
    loss.backward()
    opt.step()
    return loss


def test_only_adapters_and_head_get_gradients_and_base_is_unchanged():
    model = _model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    adapters = apply_lora(model, TARGETS, rank=4, alpha=8)
    head = nn.Linear(16, 3)
    X, valid, y = torch.randn(8, 5, 16), torch.tensor([5, 4, 3, 2, 1, 5, 4, 3]), torch.randint(0, 3, (8,))
    _train_step(model, head, X, valid, y)
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trainable == {f"{t}.{ab}" for t in TARGETS for ab in ("A", "B")}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            assert p.grad is None, name
    for adapter in adapters:
        assert adapter.A.grad is not None and adapter.B.grad is not None
        assert adapter.B.abs().sum() > 0  # B moved away from zero
    assert all(p.grad is not None for p in head.parameters())
    # the base weights (now under ".base") are bit-identical after the optimizer step
    after = {k.replace(".base.", "."): v for k, v in model.state_dict().items()
             if not k.endswith((".A", ".B"))}
    assert after.keys() == before.keys()
    for k in before:
        assert torch.equal(after[k], before[k]), k


def test_gradient_of_B_at_zero_matches_autograd_of_the_formula():
    """At B = 0 only B gets a nonzero gradient (A's gradient is B^T(...) = 0): the usual LoRA start."""
    torch.manual_seed(2)
    layer = LoRALinear(nn.Linear(6, 4), rank=3, alpha=6)
    x = torch.randn(10, 6)
    layer(x).pow(2).sum().backward()
    assert torch.count_nonzero(layer.A.grad) == 0
    W, b, A = layer.base.weight, layer.base.bias, layer.A.detach()
    g_out = 2 * (x @ W.T + b)  # d(sum y^2)/dy at B = 0, (10, 4)
    torch.testing.assert_close(layer.B.grad, 2.0 * g_out.T @ (x @ A.T))


def test_merged_equals_unmerged_after_training():
    model = _model()
    apply_lora(model, TARGETS, rank=4, alpha=8)
    head = nn.Linear(16, 3)
    X, valid, y = torch.randn(8, 5, 16), torch.tensor([5, 4, 3, 2, 1, 5, 4, 3]), torch.randint(0, 3, (8,))
    for _ in range(3):
        _train_step(model, head, X, valid, y)
    model.eval()
    with torch.no_grad():
        unmerged = model(X, valid)
        merged_model = merge_lora(copy.deepcopy(model))
        merged = merged_model(X, valid)
    assert not lora_layers(merged_model)
    assert all(type(merged_model.blocks[1].attention.get_submodule(n)) is nn.Linear for n in ("W_q", "W_v"))
    assert (unmerged - _model()(X, valid)).abs().max() > 1e-4  # training changed the function
    torch.testing.assert_close(merged, unmerged, rtol=1e-5, atol=1e-5)
    layer = lora_layers(model)["blocks.1.attention.W_q"]
    lin = layer.merge()
    torch.testing.assert_close(lin.weight, layer.base.weight + layer.scaling * layer.B @ layer.A)
    assert torch.equal(lin.bias, layer.base.bias)


def test_trainable_parameter_count_is_r_times_din_plus_dout():
    model = _model()
    for rank in (1, 2, 8):
        m = copy.deepcopy(model)
        adapters = apply_lora(m, TARGETS, rank=rank)
        assert num_trainable(m) == 2 * rank * (16 + 16)
        assert num_trainable(m) == sum(lora_num_params(a.base, rank) for a in adapters)
    rect = LoRALinear(nn.Linear(10, 3), rank=2)
    assert num_trainable(rect) == 2 * (10 + 3) == lora_num_params(rect.base, 2)


def test_alpha_defaults_to_rank_and_scales():
    layer = LoRALinear(nn.Linear(4, 4), rank=2)
    assert layer.scaling == 1.0
    assert LoRALinear(nn.Linear(4, 4), rank=2, alpha=16).scaling == 8.0


@pytest.mark.parametrize("rank", [0, -1, 1.5, True])
def test_bad_rank_raises(rank):
    with pytest.raises(ValueError, match="rank"):
        LoRALinear(nn.Linear(4, 4), rank=rank)


def test_rank_above_min_dim_and_bad_alpha_raise():
    with pytest.raises(ValueError, match="low-rank"):
        LoRALinear(nn.Linear(8, 3), rank=4)
    with pytest.raises(ValueError, match="alpha"):
        LoRALinear(nn.Linear(4, 4), rank=2, alpha=0)


def test_base_must_be_linear_and_target_must_exist():
    with pytest.raises(TypeError, match="nn.Linear"):
        LoRALinear(nn.Conv1d(4, 4, 1), rank=1)
    model = _model()
    with pytest.raises(TypeError, match="nn.Linear"):
        apply_lora(copy.deepcopy(model), ["blocks.1.attention"], rank=2)
    with pytest.raises(KeyError, match="W_x"):
        apply_lora(model, ["blocks.1.attention.W_x"], rank=2)
    with pytest.raises(ValueError, match="expects inputs"):
        LoRALinear(nn.Linear(4, 4), rank=1)(torch.randn(2, 5))


def test_merge_lora_on_a_single_layer_returns_a_linear():
    layer = LoRALinear(nn.Linear(4, 3), rank=2)
    with torch.no_grad():
        layer.B.normal_()
    lin = merge_lora(layer)
    assert type(lin) is nn.Linear
    x = torch.randn(5, 4)
    torch.testing.assert_close(lin(x), layer(x))
