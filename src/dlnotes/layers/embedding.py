"""Helpers for layers that read padded token batches (chapters 14–15): input checks, the length of
each right-padded row, and loading pretrained vectors into an ``nn.Embedding`` (frozen or not).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["check_token_batch", "valid_lengths", "load_embedding"]


def check_token_batch(X: torch.Tensor, vocab_size: int, who: str) -> None:
    """Raise ``ValueError`` unless ``X`` is a ``(B, L)`` integer tensor of indices in ``[0, vocab_size)``."""
    if X.dim() != 2 or X.is_floating_point():
        raise ValueError(f"{who} expects token indices of shape (batch, steps) and an integer dtype, "
                         f"got {tuple(X.shape)} {X.dtype}")
    if X.numel() and (int(X.min()) < 0 or int(X.max()) >= vocab_size):
        raise ValueError(f"{who}: token indices must lie in [0, {vocab_size}), "
                         f"got [{int(X.min())}, {int(X.max())}]")


def valid_lengths(X: torch.Tensor, pad_idx: int) -> torch.Tensor:
    """Length of each row without its trailing padding: ``(B, L)`` → ``(B,)`` int64.

    Raises ``ValueError`` for a row made only of padding (an empty sentence).
    """
    real = X != pad_idx  # (B, L)
    if not bool(real.any(dim=1).all()):
        rows = (~real.any(dim=1)).nonzero().flatten().tolist()
        raise ValueError(f"rows {rows} hold only padding: an empty sentence cannot be classified")
    trailing = real.flip(1).int().argmax(dim=1)  # (B,), padding tokens after the last real one
    return X.shape[1] - trailing


def load_embedding(embedding: nn.Embedding, weights: torch.Tensor, freeze: bool) -> None:
    """Copy pretrained ``weights`` ``(V, d)`` into ``embedding``; ``freeze`` stops its gradient."""
    if tuple(weights.shape) != tuple(embedding.weight.shape):
        raise ValueError(f"pretrained weights {tuple(weights.shape)} do not fit the embedding "
                         f"{tuple(embedding.weight.shape)}")
    with torch.no_grad():
        embedding.weight.copy_(weights)
    embedding.weight.requires_grad_(not freeze)
