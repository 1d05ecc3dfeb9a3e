import pytest
import torch
from torch import nn

from dlnotes.models.lenet import lenet
from dlnotes.models.resnet import RESNET18_CPU, RESNET18_D2L, ResNet
from dlnotes.summary import count_flops, layer_summary


def test_layer_summary_lists_shapes_and_params_of_lenet():
    table = layer_summary(lenet(), (1, 1, 28, 28))
    assert list(table.columns) == ["layer", "type", "output shape", "params"]
    assert table["output shape"].iloc[0] == "(1, 6, 28, 28)"
    assert table["output shape"].iloc[-1] == "(1, 10)"
    assert table["params"].sum() == sum(p.numel() for p in lenet().parameters())


def test_layer_summary_depth_opens_blocks_and_restores_mode():
    net = ResNet(RESNET18_CPU)
    net.train()
    shallow = layer_summary(net, (1, 1, 28, 28))
    deep = layer_summary(net, (1, 1, 28, 28), depth=2)
    assert list(shallow["layer"]) == ["stem", "stages", "head"]
    assert len(deep) > len(shallow)
    assert net.training


def test_count_flops_of_conv_and_linear_by_hand():
    net = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.Flatten(), nn.Linear(4 * 5 * 5, 7))
    expected = 4 * 5 * 5 * (2 * 3 * 3) + 7 * 100
    assert count_flops(net, (3, 2, 5, 5)) == expected  # per example, batch size ignored


def test_count_flops_handles_groups():
    conv = nn.Conv2d(4, 4, 3, groups=4)
    assert count_flops(conv, (1, 4, 5, 5)) == 4 * 3 * 3 * 9


def test_full_profile_resnet_runs_on_one_tiny_batch():
    net = ResNet(RESNET18_D2L)
    with torch.no_grad():
        assert net(torch.zeros(1, 1, 96, 96)).shape == (1, 10)
    assert count_flops(net, (1, 1, 96, 96)) > count_flops(ResNet(RESNET18_CPU), (1, 1, 28, 28))


def test_depth_must_be_positive():
    with pytest.raises(ValueError, match="depth"):
        layer_summary(lenet(), (1, 1, 28, 28), depth=0)
