"""The training loop: returns a full history, is deterministic, refuses bad input."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlnotes.data.synthetic import load_array, synthetic_linear_data
from dlnotes.history import History
from dlnotes.layers.functional import cross_entropy, squared_loss
from dlnotes.models.linear import LinearRegressionScratch
from dlnotes.optim.sgd import SGD
from dlnotes.plot import plot_history
from dlnotes.seed import set_seed
from dlnotes.train import evaluate_accuracy, fit


def _toy_classification(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 2, generator=g)
    y = (X[:, 0] + X[:, 1] > 0).long()
    return load_array((X, y), 32), load_array((X, y), 64, shuffle=False)


def _train_linear(seed):
    set_seed(seed)
    X, y = synthetic_linear_data(torch.tensor([2.0, -3.4]), 4.2, 500)
    net = LinearRegressionScratch(2)
    return fit(net, load_array((X, y), 10), squared_loss, SGD(net.parameters(), lr=0.03), 3)


def test_linear_regression_recovers_the_true_parameters():
    set_seed(0)
    X, y = synthetic_linear_data(torch.tensor([2.0, -3.4]), 4.2, 1000)
    net = LinearRegressionScratch(2)
    history = fit(net, load_array((X, y), 10), squared_loss, SGD(net.parameters(), lr=0.03), 3)
    torch.testing.assert_close(net.w.detach().ravel(), torch.tensor([2.0, -3.4]), atol=0.02, rtol=0)
    assert history.final["train_loss"] < 1e-3
    assert "train_acc" not in history.final  # regression: no accuracy


def test_history_records_every_epoch_with_all_metrics():
    train_iter, test_iter = _toy_classification()
    set_seed(0)
    net = nn.Linear(2, 2)
    history = fit(net, train_iter, cross_entropy, torch.optim.SGD(net.parameters(), lr=0.5), 4,
                  test_iter, metrics=["acc"])
    assert len(history) == 4
    assert history.metric("epoch") == [1, 2, 3, 4]
    for key in ("train_loss", "train_acc", "test_loss", "test_acc", "seconds", "examples_per_sec"):
        assert key in history.final
    assert history.final["test_acc"] > 0.9
    assert history.final["test_acc"] == pytest.approx(evaluate_accuracy(net, test_iter))
    assert "test acc" in history.summary()


def test_two_runs_with_the_same_seed_give_identical_metrics():
    first, second = _train_linear(1), _train_linear(1)
    assert first.metric("train_loss") == second.metric("train_loss")


def test_callbacks_see_each_epoch():
    train_iter, _ = _toy_classification()
    seen = []
    net = nn.Linear(2, 2)
    fit(net, train_iter, cross_entropy, torch.optim.SGD(net.parameters(), lr=0.1), 2,
        callbacks=[lambda record, model: seen.append((record["epoch"], model is net))])
    assert seen == [(1, True), (2, True)]


def test_non_scalar_loss_is_refused():
    train_iter, _ = _toy_classification()
    net = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="scalar"):
        fit(net, train_iter, nn.CrossEntropyLoss(reduction="none"),
            torch.optim.SGD(net.parameters(), lr=0.1), 1)


def test_divergence_is_reported():
    X = torch.randn(64, 2)
    y = torch.randn(64, 1) * 1e3
    net = nn.Linear(2, 1)
    with pytest.raises(FloatingPointError, match="learning rate"):
        fit(net, load_array((X, y), 8), squared_loss, torch.optim.SGD(net.parameters(), lr=1e6), 5)


def test_plot_history_returns_a_figure_with_a_line_per_metric():
    history = History([
        {"epoch": 1, "train_loss": 1.0, "train_acc": 0.5, "test_acc": 0.4, "seconds": 1.0,
         "examples_per_sec": 1.0},
        {"epoch": 2, "train_loss": 0.5, "train_acc": 0.7, "test_acc": 0.6, "seconds": 1.0,
         "examples_per_sec": 1.0},
    ])
    fig = plot_history(history)
    assert len(fig.axes[0].lines) == 3
    assert fig._repr_svg_().lstrip().startswith("<?xml")


def test_plot_history_refuses_an_empty_history():
    with pytest.raises(ValueError, match="empty"):
        plot_history(History())


def test_scheduler_steps_after_every_minibatch_and_lr_is_recorded():
    train_iter, _ = _toy_classification()  # 256 examples in batches of 32: 8 steps per epoch
    net = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=16)
    history = fit(net, train_iter, cross_entropy, optimizer, 2, scheduler=scheduler)
    assert scheduler.last_epoch == 16
    lrs = history.metric("lr")
    assert len(lrs) == 2 and lrs[1] < lrs[0] < 0.1


def test_metrics_are_what_the_caller_asks_for_never_guessed_from_shapes():
    train_iter, test_iter = _toy_classification()
    net = nn.Linear(2, 2)
    history = fit(net, train_iter, cross_entropy, torch.optim.SGD(net.parameters(), lr=0.5), 1,
                  test_iter)
    assert "train_acc" not in history.final and "test_acc" not in history.final
    assert "test_loss" in history.final


def test_unknown_metric_and_accuracy_on_regression_outputs_fail_loudly():
    train_iter, _ = _toy_classification()
    net = nn.Linear(2, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="unknown metric.*known: acc, ppl"):
        fit(net, train_iter, cross_entropy, opt, 1, metrics=["accuracy"])
    X, y = synthetic_linear_data(torch.tensor([1.0, 2.0]), 0.0, 40)
    lin = nn.Linear(2, 1)
    with pytest.raises(ValueError, match="metric 'acc' needs logits"):
        fit(lin, load_array((X, y), 10), squared_loss, torch.optim.SGD(lin.parameters(), lr=0.1),
            1, metrics=["acc"])


def test_batches_are_star_inputs_then_y_and_the_model_gets_every_input():
    g = torch.Generator().manual_seed(0)
    A, B = torch.randn(64, 3, generator=g), torch.randn(64, 3, generator=g)
    y = (A * B).sum(dim=1, keepdim=True)  # (64, 1)

    class Bilinear(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(3))

        def forward(self, a, b):
            return (a * b * self.w).sum(dim=1, keepdim=True)

    net = Bilinear()
    history = fit(net, load_array((A, B, y), 16), squared_loss,
                  torch.optim.SGD(net.parameters(), lr=0.2), 30)
    torch.testing.assert_close(net.w.detach(), torch.ones(3), atol=1e-3, rtol=0)
    assert history.final["train_loss"] < 1e-5
    with pytest.raises(ValueError, match=r"\(\*inputs, y\)"):
        fit(net, [torch.zeros(3)], squared_loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)


def test_gradient_clipping_bounds_the_step_and_records_the_norm_before_clipping():
    X = torch.full((8, 1), 100.0)
    y = torch.zeros(8, 1)
    net = nn.Linear(1, 1, bias=False)
    nn.init.constant_(net.weight, 1.0)
    history = fit(net, load_array((X, y), 8, shuffle=False), squared_loss,
                  torch.optim.SGD(net.parameters(), lr=0.1), 1, clip_grad_norm=0.5)
    # squared_loss is (ŷ−y)²/2: dL/dw = 100·100 = 10000 before clipping; the step is lr·0.5 after
    assert history.final["grad_norm"] == pytest.approx(10000.0)
    assert net.weight.item() == pytest.approx(1.0 - 0.1 * 0.5)
    with pytest.raises(ValueError, match="clip_grad_norm must be positive"):
        fit(net, load_array((X, y), 8), squared_loss, torch.optim.SGD(net.parameters(), lr=0.1),
            1, clip_grad_norm=0.0)


def test_a_padded_sequence_loss_weights_each_epoch_by_real_tokens():
    from dlnotes.recipes.seq2seq import PaddedCrossEntropy

    loss = PaddedCrossEntropy(pad_index=0)
    logits = torch.randn(2, 3, 5)
    Y = torch.tensor([[1, 2, 0], [3, 0, 0]])  # 3 real tokens
    assert loss.num_targets(Y) == 3
    expected = nn.functional.cross_entropy(logits[[0, 0, 1], [0, 1, 0]], Y[[0, 0, 1], [0, 1, 0]])
    torch.testing.assert_close(loss(logits, Y), expected)


def test_epoch_scheduler_steps_once_per_epoch_and_records_the_rate_used():
    from dlnotes.optim.schedules import cosine_per_epoch

    train_iter, _ = _toy_classification()
    net = nn.Linear(2, 2)
    opt = SGD(net.parameters(), lr=0.4)
    history = fit(net, train_iter, cross_entropy, opt, 3,
                  epoch_scheduler=cosine_per_epoch(opt, 3))
    assert history.metric("lr") == pytest.approx([0.4, 0.4 * 0.75, 0.4 * 0.25])
