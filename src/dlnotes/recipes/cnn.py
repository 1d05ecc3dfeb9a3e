"""How the chapter 7 pages train their convolutional networks, per profile, in one place.

``full`` is d2l's ``train_ch6``: Xavier-uniform weights in every convolution and dense layer, plain
SGD with a fixed ``lr``. ``cpu`` has two epochs to work with, so it starts from He (Kaiming) normal
weights, which keep the signal's scale through deep ReLU stacks without batch norm (§4.8), and
trains with Adam and a one-cycle learning rate (25 % warm-up to ``lr``, then cosine down to almost
0, stepped every minibatch by :func:`dlnotes.train.fit`) in the NHWC (``channels_last``) memory
layout. Section 7.1 explains all three. Biases keep PyTorch's default either way, and the network
goes to :func:`dlnotes.device.try_gpu`.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from ..data.fashion_mnist import ImageBatches, load_fashion_mnist
from ..device import try_gpu
from ..history import History
from ..profiles import current_profile
from ..train import fit

__all__ = ["CNNRun", "CNNTraining", "cnn_training", "train_cnn"]


class CNNTraining(NamedTuple):
    net: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler | None  # pass to fit(scheduler=...)
    device: torch.device  # pass to fit(device=...)

    @property
    def recipe(self) -> str:
        """How this run trains, in a few words, for ``report_result(recipe=...)``."""
        name = type(self.optimizer).__name__
        group = self.optimizer.param_groups[0]
        if self.scheduler is None:
            return f"{name}, lr {group['lr']:g}"
        return f"He 初始化，{name} + 单周期学习率（峰值 {group['max_lr']:g}）"


# --8<-- [start:cnn-training]
def cnn_training(net: nn.Module, lr: float, num_epochs: int, steps_per_epoch: int) -> CNNTraining:
    """Initialise ``net`` (He on ``cpu``, Xavier on ``full``), move it to its device and layout,
    build its optimizer and schedule.

    Args:
        net: the network to train (moved in place, and returned).
        lr: the peak learning rate (``cpu``) or the fixed one (``full``).
        num_epochs, steps_per_epoch: the run's length, for the one-cycle schedule
            (``steps_per_epoch = len(train_iter)``).
    """
    if num_epochs <= 0 or steps_per_epoch <= 0:
        raise ValueError(f"num_epochs and steps_per_epoch must be positive, "
                         f"got {num_epochs} and {steps_per_epoch}")
    full = current_profile() == "full"
    if not full and num_epochs * steps_per_epoch < 8:
        raise ValueError(f"a one-cycle schedule needs at least 8 steps, got "
                         f"{num_epochs} epochs × {steps_per_epoch} batches")
    for module in net.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            if full:  # d2l's train_ch6
                nn.init.xavier_uniform_(module.weight)
            else:  # He: keeps the signal's scale through ReLU layers (§4.8)
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
    device = try_gpu()
    net = net.to(device, memory_format=torch.channels_last)
    if full:
        return CNNTraining(net, torch.optim.SGD(net.parameters(), lr=lr), None, device)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=lr, total_steps=num_epochs * steps_per_epoch, pct_start=0.25)
    return CNNTraining(net, optimizer, scheduler, device)
# --8<-- [end:cnn-training]


class CNNRun(NamedTuple):
    history: History
    training: CNNTraining  # .net is the trained network, on .device
    train_iter: ImageBatches
    test_iter: ImageBatches

    @property
    def recipe(self) -> str:
        """The training method and data share, for ``report_result(recipe=...)``."""
        return f"{self.training.recipe} · {len(self.train_iter.dataset):,} 张训练图"


# --8<-- [start:train-cnn]
def train_cnn(net: nn.Module, *, lr: float, num_epochs: int, batch_size: int,
              resize: int | None = None, num_train: int | None = None) -> CNNRun:
    """Train ``net`` on Fashion-MNIST the chapter 7 way (this site's ``d2l.train_ch6``).

    Loads ``num_train`` training images (``None``: all 60,000), resized to ``resize`` if given,
    prepares the run with :func:`cnn_training` and fits with cross-entropy, measuring test
    accuracy on all 10,000 test images after every epoch.
    """
    train_iter, test_iter = load_fashion_mnist(batch_size, resize=resize, num_train=num_train)
    training = cnn_training(net, lr, num_epochs, len(train_iter))
    history = fit(training.net, train_iter, nn.CrossEntropyLoss(), training.optimizer, num_epochs,
                  test_iter, metrics=["acc"], device=training.device, scheduler=training.scheduler)
    return CNNRun(history, training, train_iter, test_iter)
# --8<-- [end:train-cnn]
