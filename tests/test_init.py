"""Scratch initialisers equal torch.nn.init under the same seed; statistics helper works."""

import math

import pytest
import torch
from torch import nn

from dlnotes.layers import init


@pytest.mark.parametrize("shape", [(256, 784), (10, 3), (16, 8, 3, 3)])
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (init.xavier_uniform_, nn.init.xavier_uniform_),
        (init.xavier_normal_, nn.init.xavier_normal_),
        (init.kaiming_uniform_, lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu")),
        (init.kaiming_normal_, lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu")),
    ],
)
def test_initialiser_matches_nn_init(shape, ours, theirs):
    a, b = torch.empty(shape), torch.empty(shape)
    torch.manual_seed(0)
    ours(a)
    torch.manual_seed(0)
    theirs(b)
    torch.testing.assert_close(a, b)


def test_fan_in_and_fan_out_of_conv_weight():
    assert init.fan_in_and_fan_out(torch.empty(16, 8, 3, 3)) == (72, 144)


def test_fan_needs_two_dimensions():
    with pytest.raises(ValueError, match="at least 2"):
        init.fan_in_and_fan_out(torch.empty(5))


def test_he_variance_is_two_over_fan_in():
    torch.manual_seed(0)
    w = init.kaiming_normal_(torch.empty(512, 1000))
    assert math.isclose(w.var().item(), 2 / 1000, rel_tol=0.02)


def test_layer_statistics_shapes_and_vanishing_signal():
    torch.manual_seed(0)
    layers = []
    for _ in range(5):
        linear = nn.Linear(32, 32)
        nn.init.normal_(linear.weight, 0, 0.01)
        nn.init.zeros_(linear.bias)
        layers += [linear, nn.Tanh()]
    stats = init.layer_statistics(nn.Sequential(*layers), torch.randn(64, 32))
    assert len(stats["activation_std"]) == 5 and len(stats["grad_std"]) == 5
    assert stats["activation_std"][-1] < stats["activation_std"][0] * 1e-3


def test_layer_statistics_needs_a_linear_layer():
    with pytest.raises(ValueError, match="nn.Linear"):
        init.layer_statistics(nn.Sequential(nn.ReLU()), torch.randn(2, 3))
