"""The chapter 7 training recipe: Adam + one-cycle + NHWC on cpu, d2l's plain SGD on full."""

import pytest
import torch
from torch import nn

from dlnotes.recipes.cnn import cnn_training


def _net():
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))


def test_cpu_profile_uses_adam_one_cycle_and_channels_last(monkeypatch):
    monkeypatch.setenv("DLNOTES_PROFILE", "cpu")

    def training_recipe(lr):
        return cnn_training(_net(), lr, 2, 5).recipe

    net, optimizer, scheduler, device = cnn_training(_net(), 0.01, 2, 5)
    assert isinstance(optimizer, torch.optim.Adam)
    assert isinstance(scheduler, torch.optim.lr_scheduler.OneCycleLR)
    assert scheduler.total_steps == 10 and optimizer.param_groups[0]["lr"] < 0.01  # warming up
    assert training_recipe(0.01) == "He 初始化，Adam + 单周期学习率（峰值 0.01）"
    weight = net[0].weight
    assert weight.is_contiguous(memory_format=torch.channels_last) and weight.device == device


def test_full_profile_is_d2ls_fixed_rate_sgd(monkeypatch):
    monkeypatch.setenv("DLNOTES_PROFILE", "full")
    _, optimizer, scheduler, _ = cnn_training(_net(), 0.05, 10, 100)
    assert isinstance(optimizer, torch.optim.SGD) and scheduler is None
    assert optimizer.param_groups[0]["lr"] == 0.05
    assert cnn_training(_net(), 0.05, 10, 100).recipe == "SGD, lr 0.05"


def test_refuses_an_empty_run_and_one_too_short_for_its_schedule(monkeypatch):
    monkeypatch.setenv("DLNOTES_PROFILE", "cpu")
    with pytest.raises(ValueError, match="must be positive"):
        cnn_training(_net(), 0.01, 2, 0)
    with pytest.raises(ValueError, match="at least 8 steps"):
        cnn_training(_net(), 0.01, 1, 4)


def test_weights_start_from_he_init_on_cpu_and_d2ls_xavier_on_full(monkeypatch):
    monkeypatch.setenv("DLNOTES_PROFILE", "cpu")
    torch.manual_seed(0)
    weights = torch.cat([cnn_training(nn.Sequential(nn.Linear(400, 400)), 0.01, 2, 5).net[0].weight
                         .flatten() for _ in range(4)])
    assert abs(weights.std().item() - (2 / 400) ** 0.5) < 0.002  # He: N(0, 2/fan_in)
    monkeypatch.setenv("DLNOTES_PROFILE", "full")
    linear = cnn_training(_net(), 0.01, 2, 5).net[2].weight  # (10, 144); PyTorch's bound 0.083
    bound = (6 / (144 + 10)) ** 0.5  # Xavier: 0.197
    assert linear.abs().max() <= bound and linear.abs().max() > 0.9 * bound


def test_train_cnn_loads_the_share_trains_and_names_its_recipe(monkeypatch):
    from conftest import data_dir_or_skip

    from dlnotes.recipes.cnn import train_cnn

    data_dir_or_skip()
    monkeypatch.setenv("DLNOTES_PROFILE", "cpu")
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 26 * 26, 10))
    run = train_cnn(net, lr=0.01, num_epochs=1, batch_size=64, num_train=512)
    assert len(run.history) == 1 and run.training.net is net
    assert 0.0 <= run.history.final["test_acc"] <= 1.0
    assert len(run.train_iter.dataset) == 512 and len(run.test_iter.dataset) == 10_000
    assert run.recipe == "He 初始化，Adam + 单周期学习率（峰值 0.01） · 512 张训练图"
