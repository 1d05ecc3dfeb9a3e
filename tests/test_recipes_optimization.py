"""The airfoil regression recipe of chapter 11: reproducible, records from epoch 0, reaches d2l's loss."""

from __future__ import annotations

import pytest
import torch

from dlnotes.optim.sgd import SGD
from dlnotes.recipes.optimization import train_airfoil


def test_same_seed_gives_the_same_run_and_records_start_at_epoch_zero():
    a = train_airfoil(lambda p: SGD(p, lr=0.05), batch_size=10, num_epochs=1, seed=3)
    b = train_airfoil(lambda p: SGD(p, lr=0.05), batch_size=10, num_epochs=1, seed=3)
    assert a.losses == b.losses
    assert a.epochs[0] == 0.0 and a.seconds[0] == 0.0
    assert a.epochs[-1] == pytest.approx(1.0)
    assert a.losses[-1] < a.losses[0]


def test_minibatch_sgd_reaches_d2ls_airfoil_loss():
    run = train_airfoil(lambda p: SGD(p, lr=0.05), batch_size=10, num_epochs=2)
    assert run.final_loss < 0.25  # d2l: 0.243–0.25


def test_bad_settings_fail_loudly():
    with pytest.raises(ValueError, match="positive"):
        train_airfoil(lambda p: SGD(p, lr=0.1), batch_size=0)
    with pytest.raises(ValueError, match="exceeds"):
        train_airfoil(lambda p: SGD(p, lr=0.1), batch_size=10, data=(torch.zeros(5, 5), torch.zeros(5)))
