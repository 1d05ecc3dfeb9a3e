"""Frozen pretrained features + a small trained head, scored by k-fold cross-validation (§13.14).

The trunk is never trained: every image goes through it once, each tapped feature map is averaged
over its positions (global average pooling) and the pooled vectors are concatenated. Only a small
head learns, on ``k − 1`` folds at a time, and is scored on the fold it did not see with the
Kaggle metric, the multi-class **log-loss** (mean cross-entropy of the predicted probabilities):

$$\\mathrm{logloss} = -\\frac1N\\sum_{i=1}^N \\log \\hat p_{i, y_i},$$

which is $\\ln K$ for the uniform guess over $K$ classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from ..seed import data_generator

__all__ = ["pooled_features", "feature_head", "CVResult", "cross_validate_head"]


# --8<-- [start:pooled-features]
def pooled_features(trunk: nn.Module, X: torch.Tensor, size: int, taps, batch_size: int = 50) -> torch.Tensor:
    """Resize ``X`` ``(N, 3, H, W)`` to ``size × size``, run the frozen ``trunk`` and return the
    global-average-pooled maps of ``taps``, concatenated: ``(N, Σ channels)``."""
    trunk.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            Xb = F.interpolate(X[start:start + batch_size], size=(size, size), mode="bilinear",
                               align_corners=False).clamp(0, 1)  # (B, 3, size, size)
            maps = trunk.features(Xb, taps)  # {tap: (B, C_tap, h, w)}
            out.append(torch.cat([maps[t].mean(dim=(2, 3)) for t in taps], dim=1))  # (B, Σ C)
    return torch.cat(out)
# --8<-- [end:pooled-features]


def feature_head(in_features: int, num_classes: int, hidden: int = 32, dropout: float = 0.5) -> nn.Sequential:
    """dropout → linear → ReLU → dropout → linear (``hidden = 0``: dropout → one linear layer)."""
    if hidden == 0:
        return nn.Sequential(nn.Dropout(dropout), nn.Linear(in_features, num_classes))
    return nn.Sequential(nn.Dropout(dropout), nn.Linear(in_features, hidden), nn.ReLU(),
                         nn.Dropout(dropout), nn.Linear(hidden, num_classes))


@dataclass
class CVResult:
    """Per-fold held-out log-loss and accuracy, and their means."""

    log_loss: list[float]
    accuracy: list[float]
    num_params: int

    @property
    def mean_log_loss(self) -> float:
        return sum(self.log_loss) / len(self.log_loss)

    @property
    def mean_accuracy(self) -> float:
        return sum(self.accuracy) / len(self.accuracy)


# --8<-- [start:cross-validate]
def cross_validate_head(features: torch.Tensor, y: torch.Tensor, num_classes: int, k: int = 5, *,
                        hidden: int = 32, dropout: float = 0.5, lr: float = 1e-3,
                        weight_decay: float = 1.0, steps: int = 100, seed: int = 0) -> CVResult:
    """k-fold cross-validation of a :func:`feature_head` on frozen ``features`` ``(N, D)``.

    The folds are a seeded random split into ``k`` equal parts. For each fold the features are
    standardised with the mean and standard deviation of the **training** folds only, and a fresh
    head is trained full-batch for ``steps`` AdamW steps, then scored on the held-out fold.
    """
    n = len(y)
    if features.dim() != 2 or len(features) != n:
        raise ValueError(f"features must be (N, D) with N = {n} labels, got {tuple(features.shape)}")
    if not 2 <= k <= n or n % k:
        raise ValueError(f"k must divide the {n} examples into equal folds (2 <= k <= N), got k = {k}")
    folds = torch.randperm(n, generator=data_generator(seed)).view(k, n // k)  # (k, N/k)
    losses, accs, size = [], [], 0
    for i in range(k):
        held = folds[i]
        train = torch.cat([folds[j] for j in range(k) if j != i])
        mean, std = features[train].mean(0), features[train].std(0).clamp_min(1e-3)
        A, B = (features[train] - mean) / std, (features[held] - mean) / std
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed * 1000 + i)  # the head's init and dropout: one stream per fold
            head = feature_head(features.shape[1], num_classes, hidden, dropout)
            opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=weight_decay)
            head.train()
            for _ in range(steps):
                opt.zero_grad()
                F.cross_entropy(head(A), y[train]).backward()
                opt.step()
        head.eval()
        with torch.no_grad():
            logits = head(B)  # (N/k, classes)
        losses.append(F.cross_entropy(logits, y[held]).item())
        accs.append((logits.argmax(1) == y[held]).float().mean().item())
        size = sum(p.numel() for p in head.parameters())
    return CVResult(losses, accs, size)
# --8<-- [end:cross-validate]
