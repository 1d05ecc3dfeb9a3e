"""The hand-written SGD takes exactly the step torch.optim.SGD takes."""

import copy

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from dlnotes.optim.sgd import SGD


def _model_and_batch(seed: int = 0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
    X, y = torch.randn(16, 5), torch.randint(0, 3, (16,))
    return model, X, y


def _train(model, optimizer, X, y, steps: int = 3):
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(X), y).backward()
        optimizer.step()


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_sgd_step_equals_torch_optim_sgd(weight_decay):
    model, X, y = _model_and_batch()
    twin = copy.deepcopy(model)
    _train(model, SGD(model.parameters(), lr=0.3, weight_decay=weight_decay), X, y)
    _train(twin, torch.optim.SGD(twin.parameters(), lr=0.3, weight_decay=weight_decay), X, y)
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        assert_close(p, q)


def test_sgd_step_is_minus_lr_times_grad():
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    (w**2).sum().backward()  # grad = 2w
    SGD([w], lr=0.25).step()
    assert_close(w.detach(), torch.tensor([0.5, -1.0]))


def test_weight_decay_adds_lambda_times_param():
    w = torch.tensor([2.0], requires_grad=True)
    w.sum().backward()  # grad = 1
    SGD([w], lr=0.1, weight_decay=0.5).step()
    assert_close(w.detach(), torch.tensor([2.0 - 0.1 * (1.0 + 0.5 * 2.0)]))


def test_zero_grad_clears_and_step_skips_params_without_grad():
    a = torch.ones(2, requires_grad=True)
    b = torch.ones(2, requires_grad=True)
    a.sum().backward()
    opt = SGD([a, b], lr=1.0)
    opt.step()  # b has no grad: untouched
    assert_close(b.detach(), torch.ones(2))
    opt.zero_grad()
    assert a.grad is None


def test_sgd_rejects_bad_arguments():
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="lr must be positive"):
        SGD([torch.zeros(1, requires_grad=True)], lr=0.0)


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.5), lambda ps: torch.optim.SGD(ps, lr=0.5)])
def test_cosine_per_epoch_anneals_each_epoch_for_both_optimizers(make):
    from dlnotes.optim.schedules import cosine_per_epoch

    model, _, _ = _model_and_batch()
    optimizer = make(model.parameters())
    scheduler = cosine_per_epoch(optimizer, 4)
    rates = [optimizer.param_groups[0]["lr"]]
    for _ in range(3):
        optimizer.step()  # an epoch of training would step first
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    assert rates == pytest.approx([0.5, 0.5 * (1 + 2**-0.5) / 2, 0.25, 0.5 * (1 - 2**-0.5) / 2])
    optimizer.step()
    scheduler.step()  # after the last epoch: stays positive, no error
    assert optimizer.param_groups[0]["lr"] > 0


def test_cosine_per_epoch_equals_torchs_cosine_annealing():
    from dlnotes.optim.schedules import cosine_per_epoch

    ours = SGD([torch.zeros(1, requires_grad=True)], lr=0.3)
    theirs = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3)
    a = cosine_per_epoch(ours, 10)
    b = torch.optim.lr_scheduler.CosineAnnealingLR(theirs, T_max=10)
    for _ in range(9):
        assert ours.param_groups[0]["lr"] == pytest.approx(theirs.param_groups[0]["lr"], abs=1e-12)
        ours.step()
        theirs.step()
        a.step()
        b.step()


def test_scratch_sgd_is_a_torch_optimizer_that_torch_schedulers_drive():
    model, X, y = _model_and_batch()
    optimizer = SGD(model.parameters(), lr=1.0)
    assert isinstance(optimizer, torch.optim.Optimizer)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    _train(model, optimizer, X, y, steps=1)
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == 0.5
    before = [p.detach().clone() for p in model.parameters()]
    optimizer.zero_grad()
    nn.functional.cross_entropy(model(X), y).backward()
    grads = [p.grad.clone() for p in model.parameters()]
    optimizer.step()
    for b, g, p in zip(before, grads, model.parameters(), strict=True):
        torch.testing.assert_close(p.detach(), b - 0.5 * g)
    state = optimizer.state_dict()  # checkpointable like torch's optimizers
    assert state["param_groups"][0]["lr"] == 0.5
