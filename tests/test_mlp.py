"""MLP twins agree; the perceptron separates AND but not XOR."""

import pytest
import torch
from torch import nn

from dlnotes.models.mlp import (
    MLP,
    DropoutMLP,
    DropoutMLPConfig,
    DropoutMLPScratch,
    MLPScratch,
    Perceptron,
)
from dlnotes.recipes.perceptron import train_perceptron

X_BOOL = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def test_perceptron_separates_and():
    p = Perceptron(2)
    y = torch.tensor([-1.0, -1.0, -1.0, 1.0])
    mistakes = train_perceptron(p, X_BOOL, y, num_epochs=100)
    assert mistakes[-1] == 0
    assert torch.equal(p.predict(X_BOOL), y)


def test_perceptron_cannot_fit_xor():
    p = Perceptron(2)
    y = torch.tensor([-1.0, 1.0, 1.0, -1.0])
    mistakes = train_perceptron(p, X_BOOL, y, num_epochs=50)
    assert len(mistakes) == 50 and min(mistakes) > 0
    assert (p.predict(X_BOOL) == y).float().mean() < 1


def test_perceptron_rejects_zero_one_labels():
    with pytest.raises(ValueError, match="-1 or 1"):
        train_perceptron(Perceptron(2), X_BOOL, torch.tensor([0.0, 1.0, 1.0, 0.0]))


def _copy_mlp(scratch: MLPScratch, concise: MLP) -> None:
    with torch.no_grad():
        concise.net[1].weight.copy_(scratch.W1.T)
        concise.net[1].bias.copy_(scratch.b1)
        concise.net[3].weight.copy_(scratch.W2.T)
        concise.net[3].bias.copy_(scratch.b2)


def test_mlp_scratch_matches_concise_including_large_inputs():
    torch.manual_seed(0)
    scratch, concise = MLPScratch(sigma=0.5), MLP()
    _copy_mlp(scratch, concise)
    X = torch.randn(5, 1, 28, 28)
    X[0] *= 1e3  # large activations
    X[1] = 0.0  # every pre-activation equals the bias
    # addmm (nn.Linear) and matmul-then-add round differently: a relative tolerance for the big row
    torch.testing.assert_close(scratch(X[1:]), concise(X[1:]), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(scratch(X[:1]), concise(X[:1]), rtol=1e-4, atol=1e-2)


def test_mlp_scratch_gradients_match_concise():
    torch.manual_seed(0)
    scratch, concise = MLPScratch(sigma=0.1), MLP()
    _copy_mlp(scratch, concise)
    X, y = torch.randn(8, 784), torch.randint(0, 10, (8,))
    nn.functional.cross_entropy(scratch(X), y).backward()
    nn.functional.cross_entropy(concise(X), y).backward()
    torch.testing.assert_close(scratch.W1.grad, concise.net[1].weight.grad.T)
    torch.testing.assert_close(scratch.b2.grad, concise.net[3].bias.grad)


def test_mlp_scratch_rejects_wrong_input_size():
    with pytest.raises(ValueError, match="784"):
        MLPScratch()(torch.randn(2, 100))


def _copy_dropout_mlp(scratch: DropoutMLPScratch, concise: DropoutMLP) -> None:
    linears = [m for m in concise.net if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for layer, (W, b) in zip(
            linears, [(scratch.W1, scratch.b1), (scratch.W2, scratch.b2), (scratch.W3, scratch.b3)], strict=True
        ):
            layer.weight.copy_(W.T)
            layer.bias.copy_(b)


def test_dropout_mlp_twins_agree_in_eval_and_in_train_with_same_seed():
    torch.manual_seed(0)
    config = DropoutMLPConfig(sigma=0.1)
    scratch, concise = DropoutMLPScratch(config), DropoutMLP(config)
    _copy_dropout_mlp(scratch, concise)
    X = torch.randn(6, 1, 28, 28)
    scratch.eval()
    concise.eval()
    torch.testing.assert_close(scratch(X), concise(X))
    scratch.train()
    concise.train()
    torch.manual_seed(1)
    out_scratch = scratch(X)
    torch.manual_seed(1)
    out_concise = concise(X)
    torch.testing.assert_close(out_scratch, out_concise)


def test_dropout_mlp_is_deterministic_only_in_eval():
    torch.manual_seed(0)
    net = DropoutMLPScratch(DropoutMLPConfig(sigma=0.1))
    X = torch.randn(4, 784)
    net.train()
    assert not torch.equal(net(X), net(X))
    net.eval()
    assert torch.equal(net(X), net(X))
