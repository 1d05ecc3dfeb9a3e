"""The hand-written SGD takes exactly the step torch.optim.SGD takes."""

import copy

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from dlnotes.optim import SGD


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


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=1.0), lambda ps: torch.optim.SGD(ps, lr=1.0)])
def test_cosine_schedule_anneals_each_epoch_for_both_optimizers(make):
    from dlnotes.optim import cosine_schedule

    model, _, _ = _model_and_batch()
    optimizer = make(model.parameters())
    callback = cosine_schedule(optimizer, 0.5, 4)

    def lr():
        return optimizer.lr if isinstance(optimizer, SGD) else optimizer.param_groups[0]["lr"]

    rates = [lr()]
    for epoch in range(1, 4):
        callback({"epoch": epoch}, model)
        rates.append(lr())
    assert rates == pytest.approx([0.5, 0.5 * (1 + 2**-0.5) / 2, 0.25, 0.5 * (1 - 2**-0.5) / 2])
    callback({"epoch": 4}, model)  # after the last epoch: stays positive, no error
    assert lr() > 0


def test_set_lr_refuses_what_it_cannot_set():
    from dlnotes.optim import set_lr

    with pytest.raises(TypeError, match="neither param_groups nor an lr"):
        set_lr(object(), 0.1)
    with pytest.raises(ValueError, match="positive"):
        set_lr(SGD([torch.zeros(1, requires_grad=True)], lr=1.0), 0.0)
