"""Minibatches of a token sequence for language models (d2l §8.3): random and sequential.

Both cut a corpus of token indices ``(N,)`` into ``(X, Y)`` pairs of shape ``(batch_size,
num_steps)`` where ``Y`` is ``X`` shifted by one token. *Random* partitioning draws subsequences in
a seeded random order, so neighbouring batches are unrelated (reset the RNN state every batch).
*Sequential* partitioning keeps row ``i`` of batch ``k+1`` right after row ``i`` of batch ``k``,
so a model may carry its hidden state across batches (stateful training, d2l §8.5).
"""

from __future__ import annotations

import torch

from ..seed import data_generator

__all__ = ["LanguageModelBatches"]


class LanguageModelBatches:
    """Iterable of ``(X, Y)`` batches over ``corpus``; a new random offset every epoch.

    Args:
        corpus: token indices, shape ``(N,)``.
        batch_size, num_steps: the batch shape ``(batch_size, num_steps)``.
        sequential: sequential partitioning (else random).
        seed: for :func:`dlnotes.seed.data_generator` (offsets and order).
    """

    def __init__(self, corpus: torch.Tensor, batch_size: int, num_steps: int,
                 sequential: bool = True, seed: int = 0):
        corpus = torch.as_tensor(corpus, dtype=torch.long)
        if corpus.dim() != 1:
            raise ValueError(f"corpus must be a 1-D tensor of token indices, got {tuple(corpus.shape)}")
        if batch_size <= 0 or num_steps <= 0:
            raise ValueError(f"batch_size and num_steps must be positive, got {batch_size}, {num_steps}")
        if len(corpus) < batch_size * num_steps + num_steps:
            raise ValueError(
                f"a corpus of {len(corpus)} tokens is too short for batches of "
                f"{batch_size}×{num_steps} (needs at least {batch_size * num_steps + num_steps})"
            )
        self.corpus, self.batch_size, self.num_steps = corpus, batch_size, num_steps
        self.sequential = sequential
        self.generator = data_generator(seed)

    def __len__(self) -> int:
        if self.sequential:
            per_row = (len(self.corpus) - self.num_steps) // self.batch_size
            return per_row // self.num_steps
        T = self.num_steps
        fewest_starts = -(-(len(self.corpus) - 2 * T + 1) // T)  # with the largest offset, T - 1
        return fewest_starts // self.batch_size

    def __iter__(self):
        T, B = self.num_steps, self.batch_size
        offset = int(torch.randint(0, T, (1,), generator=self.generator))
        if self.sequential:
            n = (len(self.corpus) - offset - 1) // B * B
            Xs = self.corpus[offset:offset + n].reshape(B, -1)  # (B, n/B)
            Ys = self.corpus[offset + 1:offset + 1 + n].reshape(B, -1)  # (B, n/B)
            for k in range(len(self)):
                yield Xs[:, k * T:(k + 1) * T], Ys[:, k * T:(k + 1) * T]  # (B, T), (B, T)
            return
        starts = torch.arange(offset, len(self.corpus) - T, T)  # first token of each subsequence
        starts = starts[torch.randperm(len(starts), generator=self.generator)]
        for k in range(len(self)):
            s = starts[k * B:(k + 1) * B]  # (B,)
            idx = s[:, None] + torch.arange(T)  # (B, T)
            yield self.corpus[idx], self.corpus[idx + 1]
