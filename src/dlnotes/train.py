"""The training loop of chapters 3–15: it trains, measures and returns a :class:`History`.

Batch convention (d2l's): every batch is a tuple ``(*inputs, y)``; the model is called as
``model(*inputs)`` and the loss as ``loss(y_hat, y)``. A classifier's batch is ``(X, y)``; a
seq2seq batch is ``(X, X_valid_len, Y_in, Y_valid_len, Y)``. The loop measures only what the
caller asks for (``metrics=("acc",)``, ``("ppl",)``): it never guesses the task from shapes.
It draws nothing: plotting lives in :mod:`dlnotes.plot` and takes the returned history.

Stateful training (an RNN whose hidden state runs on from batch to batch) and decoding live in
:mod:`dlnotes.recipes`; they return a :class:`History` too.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from .history import History

__all__ = ["METRICS", "Metric", "fit", "evaluate", "evaluate_accuracy"]

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Callback = Callable[[dict, nn.Module], None]


def _accuracy_counts(y_hat: torch.Tensor, y: torch.Tensor) -> tuple[float, int]:
    """Correct predictions and predictions made: ``y_hat`` ``(..., classes)``, ``y`` ``(...)``."""
    if y_hat.shape[:-1] != y.shape or y.is_floating_point():
        raise ValueError(
            "metric 'acc' needs logits of shape (..., classes) and integer labels of shape (...); "
            f"got y_hat {tuple(y_hat.shape)} and y {tuple(y.shape)} ({y.dtype})"
        )
    return float((y_hat.argmax(dim=-1) == y).sum()), y.numel()


@dataclass(frozen=True)
class Metric:
    """A number the loop can record besides the loss.

    Either ``counts(y_hat, y) -> (total, n)`` summed over batches and divided at the end
    (accuracy), or ``from_loss(mean_loss)`` computed from the epoch's mean loss (perplexity
    $\\exp(\\frac1n\\sum_t -\\log p(x_t))$, valid when the loss is the mean token cross-entropy).
    """

    counts: Callable[[torch.Tensor, torch.Tensor], tuple[float, int]] | None = None
    from_loss: Callable[[float], float] | None = None


METRICS: dict[str, Metric] = {
    "acc": Metric(counts=_accuracy_counts),
    "ppl": Metric(from_loss=math.exp),
}


def _check_metrics(metrics: Sequence[str]) -> list[str]:
    if isinstance(metrics, str):
        metrics = [metrics]
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; known: {', '.join(METRICS)}")
    return list(metrics)


def _num_targets(loss: Loss, y: torch.Tensor) -> int:
    """How many targets the batch's mean loss averages over: ``loss.num_targets(y)`` when the
    loss defines it (a padded-sequence loss counts only real tokens), else ``y.numel()``."""
    counter = getattr(loss, "num_targets", None)
    return int(counter(y)) if counter is not None else y.numel()


def _to(batch, device):
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise ValueError(
            "each batch must be a tuple (*inputs, y) with at least one input, got "
            f"{type(batch).__name__}"
        )
    if device is None:
        return batch
    return [t.to(device) if isinstance(t, torch.Tensor) else t for t in batch]


class _Meter:
    """Sums of loss and metric counts over one pass."""

    def __init__(self, metrics: list[str]):
        self.metrics = metrics
        self.loss, self.targets, self.examples = 0.0, 0, 0
        self.totals = {m: [0.0, 0] for m in metrics if METRICS[m].counts is not None}

    def add(self, batch_loss: float | None, y_hat: torch.Tensor, y: torch.Tensor, n: int) -> None:
        if batch_loss is not None:
            self.loss += batch_loss * n
        self.targets += n
        self.examples += len(y)
        for name, total in self.totals.items():
            correct, count = METRICS[name].counts(y_hat, y)
            total[0] += correct
            total[1] += count

    def result(self, prefix: str, with_loss: bool = True) -> dict:
        out = {}
        if with_loss:
            out[f"{prefix}loss"] = self.loss / self.targets
        for name in self.metrics:
            metric = METRICS[name]
            if metric.counts is not None:
                out[f"{prefix}{name}"] = self.totals[name][0] / self.totals[name][1]
            else:
                out[f"{prefix}{name}"] = metric.from_loss(self.loss / self.targets)
        return out


def evaluate(
    model: nn.Module | Callable[..., torch.Tensor],
    data_iter: Iterable,
    loss: Loss | None,
    *,
    metrics: Sequence[str] = (),
    device: torch.device | str | None = None,
) -> dict:
    """Mean loss and the requested ``metrics`` of ``model`` over ``data_iter``, without gradients.

    Returns ``{"loss": …, "acc": …}`` (``loss`` only when a loss is given).
    """
    metrics = _check_metrics(metrics)
    if loss is None and any(METRICS[m].from_loss for m in metrics):
        raise ValueError("a metric computed from the loss needs a loss")
    if isinstance(model, nn.Module):
        model.eval()
    meter = _Meter(metrics)
    with torch.no_grad():
        for batch in data_iter:
            *inputs, y = _to(batch, device)
            y_hat = model(*inputs)
            n = _num_targets(loss, y)
            meter.add(float(loss(y_hat, y)) if loss is not None else None, y_hat, y, n)
    if meter.examples == 0:
        raise ValueError("evaluate got an empty data iterator")
    return meter.result("", with_loss=loss is not None)


def evaluate_accuracy(model, data_iter: Iterable, device=None) -> float:
    """Classification accuracy of ``model`` over ``data_iter``."""
    return evaluate(model, data_iter, None, metrics=("acc",), device=device)["acc"]


def _parameters(model, optimizer) -> list[torch.Tensor]:
    if isinstance(model, nn.Module):
        return [p for p in model.parameters() if p.requires_grad]
    return [p for group in optimizer.param_groups for p in group["params"]]


def fit(
    model: nn.Module | Callable[..., torch.Tensor],
    train_iter: Iterable,
    loss: Loss,
    optimizer: torch.optim.Optimizer,
    num_epochs: int,
    test_iter: Iterable | None = None,
    *,
    metrics: Sequence[str] = (),
    clip_grad_norm: float | None = None,
    device: torch.device | str | None = None,
    callbacks: Sequence[Callback] = (),
    scheduler=None,
    epoch_scheduler=None,
) -> History:
    r"""Train ``model`` for ``num_epochs`` and return the metrics of every epoch.

    Args:
        model: called as ``model(*inputs)`` on each batch ``(*inputs, y)``; an ``nn.Module``
            (switched to train mode for training and eval mode for evaluation) or any callable.
        train_iter: yields ``(*inputs, y)`` minibatches.
        loss: ``loss(y_hat, y)`` returns the *mean* loss of the batch as a scalar tensor. The
            epoch's loss weights each batch by its number of targets (``y.numel()``, or
            ``loss.num_targets(y)`` when the loss defines it, e.g. to skip padding).
        optimizer: a ``torch.optim.Optimizer``: torch's, or a hand-written one from
            :mod:`dlnotes.optim`.
        num_epochs: passes over ``train_iter``.
        test_iter: if given, test loss and metrics are measured after every epoch.
        metrics: names from :data:`METRICS` to record as ``train_<name>`` (and ``test_<name>``):
            ``"acc"`` (logits ``(..., classes)``, integer labels), ``"ppl"`` (perplexity, the
            exponential of the mean token cross-entropy).
        clip_grad_norm: if given, rescale the gradients so that their joint L2 norm is at most
            this ($\mathbf g \leftarrow \min(1, \theta/\|\mathbf g\|)\,\mathbf g$, as
            ``torch.nn.utils.clip_grad_norm_``) before every step; the epoch's largest norm before
            clipping is recorded as ``grad_norm``.
        device: batches are moved there; the model must already be there.
        callbacks: each is called as ``callback(record, model)`` after every epoch.
        scheduler: if given, its ``step()`` is called after every optimizer step: per-minibatch
            schedules such as ``torch.optim.lr_scheduler.OneCycleLR``. The epoch's last learning
            rate is recorded as ``lr``.
        epoch_scheduler: if given, its ``step()`` is called after every epoch (per-epoch
            schedules such as :func:`dlnotes.optim.schedules.cosine_per_epoch`); the rate the
            epoch trained with is recorded as ``lr``.
    """
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be positive, got {num_epochs}")
    if clip_grad_norm is not None and clip_grad_norm <= 0:
        raise ValueError(f"clip_grad_norm must be positive, got {clip_grad_norm}")
    metrics = _check_metrics(metrics)
    params = _parameters(model, optimizer) if clip_grad_norm is not None else []
    history = History()
    for epoch in range(1, num_epochs + 1):
        if isinstance(model, nn.Module):
            model.train()
        start = time.perf_counter()
        epoch_lr = optimizer.param_groups[0]["lr"]
        meter = _Meter(metrics)
        max_norm = 0.0
        for batch in train_iter:
            *inputs, y = _to(batch, device)
            y_hat = model(*inputs)
            batch_loss = loss(y_hat, y)
            if batch_loss.dim() != 0:
                raise ValueError(
                    f"loss must return a scalar (the batch mean), got shape {tuple(batch_loss.shape)}"
                )
            optimizer.zero_grad()
            batch_loss.backward()
            if clip_grad_norm is not None:
                norm = float(torch.nn.utils.clip_grad_norm_(params, clip_grad_norm))
                max_norm = max(max_norm, norm)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            meter.add(float(batch_loss.detach()), y_hat.detach(), y, _num_targets(loss, y))
        seconds = time.perf_counter() - start
        if meter.examples == 0:
            raise ValueError("train_iter yielded no batches")
        record = {"epoch": epoch, **meter.result("train_"), "seconds": seconds,
                  "examples_per_sec": meter.examples / seconds}
        if clip_grad_norm is not None:
            record["grad_norm"] = max_norm
        if scheduler is not None:
            record["lr"] = float(scheduler.get_last_lr()[0])
        elif epoch_scheduler is not None:
            record["lr"] = float(epoch_lr)
        if test_iter is not None:
            result = evaluate(model, test_iter, loss, metrics=metrics, device=device)
            record.update({f"test_{k}": v for k, v in result.items()})
        if not math.isfinite(record["train_loss"]):
            raise FloatingPointError(
                f"training diverged: the loss became {record['train_loss']} in epoch {epoch}; "
                "lower the learning rate or clip the gradients"
            )
        history.records.append(record)
        if epoch_scheduler is not None:
            epoch_scheduler.step()
        for callback in callbacks:
            callback(record, model)
    return history
