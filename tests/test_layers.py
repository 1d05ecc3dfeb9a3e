"""Scratch dropout equals F.dropout / nn.Dropout."""

import pytest
import torch
from torch import nn

from dlnotes.layers.dropout import Dropout, dropout_layer


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_layer_matches_torch_dropout_with_same_seed(p):
    X = torch.randn(64, 33)
    torch.manual_seed(0)
    ours = dropout_layer(X, p)
    torch.manual_seed(0)
    theirs = nn.functional.dropout(X, p, training=True)
    torch.testing.assert_close(ours, theirs)


def test_dropout_module_matches_nn_dropout_in_train_and_eval():
    X = torch.randn(8, 16)
    ours, theirs = Dropout(0.3), nn.Dropout(0.3)
    torch.manual_seed(3)
    a = ours(X)
    torch.manual_seed(3)
    torch.testing.assert_close(a, theirs(X))
    ours.eval()
    theirs.eval()
    assert torch.equal(ours(X), X) and torch.equal(theirs(X), X)


def test_dropout_edge_probabilities():
    X = torch.randn(5, 5)
    assert torch.equal(dropout_layer(X, 0.0), X)
    assert torch.equal(dropout_layer(X, 1.0), torch.zeros_like(X))
    assert torch.equal(dropout_layer(X, 0.5, training=False), X)


def test_dropout_keeps_expectation_and_drop_rate():
    torch.manual_seed(0)
    x = torch.ones(200_000)
    out = dropout_layer(x, 0.3)
    assert abs(out.mean().item() - 1.0) < 0.01
    assert abs((out == 0).float().mean().item() - 0.3) < 0.01
    kept = out[out != 0]
    torch.testing.assert_close(kept, torch.full_like(kept, 1 / 0.7))


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_bad_probability(p):
    with pytest.raises(ValueError, match="probability"):
        dropout_layer(torch.ones(2), p)
    with pytest.raises(ValueError, match="probability"):
        Dropout(p)
