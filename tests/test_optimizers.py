"""Chapter 11's hand-written optimizers take exactly torch.optim's steps; EWMA bias correction; bad settings."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from dlnotes.data.airfoil import airfoil_data
from dlnotes.optim.adadelta import Adadelta
from dlnotes.optim.adagrad import Adagrad
from dlnotes.optim.adam import Adam, Yogi
from dlnotes.optim.ewma import ewma
from dlnotes.optim.momentum import Momentum
from dlnotes.optim.rmsprop import RMSProp

# (ours, twin, kwargs for ours, kwargs for torch)
TWINS = {
    "momentum": (Momentum, torch.optim.SGD, dict(lr=0.05, momentum=0.9), dict(lr=0.05, momentum=0.9, dampening=0)),
    "adagrad": (Adagrad, torch.optim.Adagrad, dict(lr=0.1, eps=1e-10), dict(lr=0.1, eps=1e-10)),
    "rmsprop": (RMSProp, torch.optim.RMSprop, dict(lr=0.01, gamma=0.9, eps=1e-8), dict(lr=0.01, alpha=0.9, eps=1e-8)),
    "adadelta": (Adadelta, torch.optim.Adadelta, dict(lr=1.0, rho=0.9, eps=1e-6), dict(lr=1.0, rho=0.9, eps=1e-6)),
    "adam": (Adam, torch.optim.Adam, dict(lr=0.01, betas=(0.9, 0.99)), dict(lr=0.01, betas=(0.9, 0.99))),
    "adamw": (Adam, torch.optim.AdamW, dict(lr=0.01, decoupled=True), dict(lr=0.01)),
}


def _model_and_batch(seed: int = 0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
    X, y = torch.randn(16, 5), torch.randint(0, 3, (16,))
    return model, X, y


def _train(model, optimizer, X, y, steps: int, scheduler=None):
    for k in range(steps):
        optimizer.zero_grad()
        rows = slice(2 * k % 16, 2 * k % 16 + 8)  # a different minibatch each step
        nn.functional.cross_entropy(model(X[rows]), y[rows]).backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()


@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
@pytest.mark.parametrize("name", sorted(TWINS))
def test_scratch_optimizer_takes_torch_optims_steps(name, weight_decay):
    ours_cls, twin_cls, ours_kw, twin_kw = TWINS[name]
    if name == "adamw" and weight_decay == 0:
        twin_kw = {**twin_kw, "weight_decay": 0.0}  # torch's AdamW defaults to 0.01
    model, X, y = _model_and_batch()
    twin = copy.deepcopy(model)
    _train(model, ours_cls(model.parameters(), weight_decay=weight_decay, **ours_kw), X, y, steps=8)
    _train(twin, twin_cls(twin.parameters(), **{"weight_decay": weight_decay, **twin_kw}), X, y, steps=8)
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        assert_close(p, q, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(TWINS))
def test_torch_schedulers_drive_the_scratch_optimizers(name):
    ours_cls, twin_cls, ours_kw, twin_kw = TWINS[name]
    model, X, y = _model_and_batch(1)
    twin = copy.deepcopy(model)
    ours_opt = ours_cls(model.parameters(), **ours_kw)
    twin_opt = twin_cls(twin.parameters(), **({"weight_decay": 0.0} if name == "adamw" else {}), **twin_kw)
    _train(model, ours_opt, X, y, 6, torch.optim.lr_scheduler.StepLR(ours_opt, step_size=2, gamma=0.5))
    _train(twin, twin_opt, X, y, 6, torch.optim.lr_scheduler.StepLR(twin_opt, step_size=2, gamma=0.5))
    assert ours_opt.param_groups[0]["lr"] == pytest.approx(ours_kw["lr"] / 8)
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        assert_close(p, q, rtol=1e-5, atol=1e-6)


def test_yogi_follows_its_formula_for_five_steps():
    g = [torch.tensor([1.0, -2.0, 0.5]), torch.tensor([0.2, 3.0, -0.1]), torch.tensor([-1.0, 0.0, 2.0]),
         torch.tensor([0.3, -0.3, 0.3]), torch.tensor([2.0, 1.0, -4.0])]
    w = torch.zeros(3, requires_grad=True)
    opt = Yogi([w], lr=0.1, betas=(0.9, 0.999), eps=1e-3)
    theta, m, v = torch.zeros(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
    for t, gt in enumerate(g, start=1):
        w.grad = gt.clone()
        opt.step()
        gt = gt.double()
        m = 0.9 * m + 0.1 * gt
        v = v + 0.001 * gt**2 * torch.sign(gt**2 - v)
        theta = theta - 0.1 * (m / (1 - 0.9**t)) / ((v / (1 - 0.999**t)).sqrt() + 1e-3)
        assert_close(w.detach().double(), theta, rtol=1e-5, atol=1e-6)


def test_adam_bias_correction_makes_the_first_step_lr_times_the_gradient_sign():
    w = torch.tensor([0.0, 0.0], requires_grad=True)
    w.grad = torch.tensor([3.0, -0.001])
    Adam([w], lr=0.1, eps=1e-12).step()
    assert_close(w.detach(), torch.tensor([-0.1, 0.1]))  # m̂/√v̂ = g/|g| at t = 1


def test_ewma_with_bias_correction_is_exact_on_a_constant_series_from_step_one():
    xs = torch.full((20,), 3.0)
    for beta in (0.5, 0.9, 0.98):
        assert_close(ewma(xs, beta), xs.double())
        raw = ewma(xs, beta, bias_correction=False)
        assert_close(raw, 3.0 * (1 - beta ** torch.arange(1, 21, dtype=torch.float64)))
        assert raw[0] < 3.0 * (1 - beta) + 1e-12  # the uncorrected average starts low


def test_ewma_weights_fall_to_one_over_e_after_one_over_one_minus_beta_steps():
    beta = 0.95
    impulse = torch.zeros(200)
    impulse[0] = 1.0
    w = ewma(impulse, beta, bias_correction=False)  # the weight x_1 keeps over time
    n = round(1 / (1 - beta))
    assert w[n] / w[0] == pytest.approx(beta ** n)
    assert abs(beta ** n - torch.e ** -1) < 0.02


@pytest.mark.parametrize("make", [
    lambda p: Momentum(p, lr=0), lambda p: Momentum(p, lr=0.1, momentum=1.0),
    lambda p: Adagrad(p, lr=-1), lambda p: RMSProp(p, gamma=1.2), lambda p: RMSProp(p, lr=0),
    lambda p: Adadelta(p, rho=-0.1), lambda p: Adam(p, betas=(0.9, 1.0)), lambda p: Adam(p, lr=0),
    lambda p: Yogi(p, betas=(-0.1, 0.9)), lambda p: Adam(p, weight_decay=-1),
])
def test_invalid_hyper_parameters_raise_a_clear_error(make):
    with pytest.raises(ValueError, match="must be"):
        make([torch.zeros(2, requires_grad=True)])


def test_ewma_rejects_beta_outside_zero_one():
    with pytest.raises(ValueError, match="beta"):
        ewma([1.0, 2.0], 1.0)


def test_airfoil_data_is_standardised_and_shaped():
    X, y = airfoil_data()
    assert X.shape == (1500, 5) and y.shape == (1500,)
    assert X.dtype == torch.float32
    assert abs(float(y.mean())) < 0.1 and 0.8 < float(y.std()) < 1.2
    with pytest.raises(ValueError, match="n must be"):
        airfoil_data(0)
