"""The training loop: it trains, measures and returns a :class:`History`; it draws nothing.

Plotting lives in :mod:`dlnotes.plot` and takes the returned history. Per-epoch hooks are plain
callables passed as ``callbacks``; each receives the epoch's record (a dict) and the model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

__all__ = ["History", "fit", "evaluate", "evaluate_accuracy", "num_params"]

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Callback = Callable[[dict, nn.Module], None]


@dataclass
class History:
    """Per-epoch metrics of one training run.

    Each record has ``epoch``, ``train_loss``, ``seconds`` (training time of that epoch),
    ``examples_per_sec``, and when measured ``train_acc``, ``test_loss``, ``test_acc``.
    """

    records: list[dict] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records)

    def metric(self, name: str) -> list[float]:
        """The values of one metric, one per epoch."""
        if not self.records or name not in self.records[0]:
            known = sorted(self.records[0]) if self.records else []
            raise KeyError(f"no metric {name!r} in this history; recorded: {known}")
        return [r[name] for r in self.records]

    @property
    def final(self) -> dict:
        """The last epoch's record."""
        if not self.records:
            raise ValueError("the history is empty: no epoch has finished")
        return self.records[-1]

    @property
    def total_seconds(self) -> float:
        return sum(r["seconds"] for r in self.records)

    def summary(self) -> str:
        """One line with the final numbers, e.g. ``loss 0.447, train acc 0.848, test acc 0.836``."""
        last = self.final
        parts = [f"loss {last['train_loss']:.3f}"]
        if "train_acc" in last:
            parts.append(f"train acc {last['train_acc']:.3f}")
        if "test_loss" in last and "test_acc" not in last:
            parts.append(f"test loss {last['test_loss']:.3f}")
        if "test_acc" in last:
            parts.append(f"test acc {last['test_acc']:.3f}")
        parts.append(f"{last['examples_per_sec']:,.0f} examples/sec")
        parts.append(f"{self.total_seconds:.1f} s in total")
        return ", ".join(parts)


def _is_classification(y_hat: torch.Tensor, y: torch.Tensor) -> bool:
    return y_hat.dim() == 2 and y.dim() == 1 and not y.is_floating_point()



def evaluate(
    model: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    data_iter: Iterable,
    loss: Loss,
    device: torch.device | str | None = None,
) -> dict:
    """Mean loss (and accuracy for classification) of ``model`` over ``data_iter``."""
    if isinstance(model, nn.Module):
        model.eval()
    total_loss, correct, count, classification = 0.0, 0.0, 0, False
    with torch.no_grad():
        for X, y in data_iter:
            if device is not None:
                X, y = X.to(device), y.to(device)
            y_hat = model(X)
            n = len(y)
            total_loss += float(loss(y_hat, y)) * n
            if _is_classification(y_hat, y):
                classification = True
                correct += float((y_hat.argmax(dim=1) == y).sum())
            count += n
    if count == 0:
        raise ValueError("evaluate got an empty data iterator")
    result = {"loss": total_loss / count}
    if classification:
        result["acc"] = correct / count
    return result


def evaluate_accuracy(model, data_iter: Iterable, device=None) -> float:
    """Classification accuracy of ``model`` over ``data_iter``."""
    def zero_loss(y_hat, y):
        return torch.zeros(())

    result = evaluate(model, data_iter, zero_loss, device)
    if "acc" not in result:
        raise ValueError("evaluate_accuracy needs logits (batch, classes) and integer labels (batch,)")
    return result["acc"]


def fit(
    model: nn.Module,
    train_iter: Iterable,
    loss: Loss,
    optimizer,
    num_epochs: int,
    test_iter: Iterable | None = None,
    *,
    device: torch.device | str | None = None,
    callbacks: Sequence[Callback] = (),
    scheduler=None,
) -> History:
    """Train ``model`` for ``num_epochs`` and return the metrics of every epoch.

    Args:
        model: maps a batch ``X`` to predictions ``y_hat``; an ``nn.Module`` (switched to train
            mode for training and eval mode for evaluation) or any callable.
        train_iter: yields ``(X, y)`` minibatches.
        loss: ``loss(y_hat, y)`` returns the *mean* loss of the batch as a scalar tensor.
        optimizer: anything with ``zero_grad()`` and ``step()``: ``torch.optim.SGD`` or the
            hand-written :class:`dlnotes.optim.SGD`.
        num_epochs: passes over ``train_iter``.
        test_iter: if given, test loss (and accuracy) is measured after every epoch.
        device: batches are moved there; the model must already be there.
        callbacks: each is called as ``callback(record, model)`` after every epoch.
        scheduler: if given, its ``step()`` is called after every optimizer step: per-minibatch
            learning-rate schedules such as ``torch.optim.lr_scheduler.OneCycleLR``. (Per-epoch
            schedules go in ``callbacks``.) The epoch's last learning rate is recorded as ``lr``.

    Accuracy is recorded when the predictions are ``(batch, classes)`` logits and the labels are
    integer class indices ``(batch,)``.
    """
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be positive, got {num_epochs}")
    history = History()
    for epoch in range(1, num_epochs + 1):
        if isinstance(model, nn.Module):
            model.train()
        start = time.perf_counter()
        total_loss, correct, count, classification = 0.0, 0.0, 0, False
        for X, y in train_iter:
            if device is not None:
                X, y = X.to(device), y.to(device)
            y_hat = model(X)
            batch_loss = loss(y_hat, y)
            if batch_loss.dim() != 0:
                raise ValueError(
                    f"loss must return a scalar (the batch mean), got shape {tuple(batch_loss.shape)}"
                )
            optimizer.zero_grad()
            batch_loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            n = len(y)
            total_loss += float(batch_loss.detach()) * n
            if _is_classification(y_hat, y):
                classification = True
                correct += float((y_hat.detach().argmax(dim=1) == y).sum())
            count += n
        seconds = time.perf_counter() - start
        if count == 0:
            raise ValueError("train_iter yielded no batches")
        record = {
            "epoch": epoch,
            "train_loss": total_loss / count,
            "seconds": seconds,
            "examples_per_sec": count / seconds,
        }
        if classification:
            record["train_acc"] = correct / count
        if scheduler is not None:
            record["lr"] = float(scheduler.get_last_lr()[0])
        if test_iter is not None:
            result = evaluate(model, test_iter, loss, device)
            record["test_loss"] = result["loss"]
            if "acc" in result:
                record["test_acc"] = result["acc"]
        if record["train_loss"] != record["train_loss"]:  # NaN
            raise FloatingPointError(
                f"training diverged: the loss became NaN in epoch {epoch}; lower the learning rate"
            )
        history.records.append(record)
        for callback in callbacks:
            callback(record, model)
    return history


def num_params(model: nn.Module) -> int:
    """Number of trainable scalars in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
