"""Length-bucketed minibatches: examples of similar length side by side, so a batch carries little padding.

Used by every text page that pads (14.4 word2vec rows, 15.1–15.3 sentences, 15.4/15.5 and 15.7
sentence pairs). The draws are the same everywhere: the caller's shuffled ``order`` is cut into
pools of ``pool_batches`` batches, each pool is sorted by length (stably) and cut into batches, and
the batches are returned in a random order drawn from ``generator``. Every example appears once.
"""

from __future__ import annotations

import torch

__all__ = ["bucket_by_length"]


# --8<-- [start:bucket-by-length]
def bucket_by_length(order: torch.Tensor, lengths: torch.Tensor, batch_size: int, pool_batches: int,
                     generator: torch.Generator | None) -> list[torch.Tensor]:
    """Index batches ``(b,)`` of ``order`` (a permutation of example indices) grouped by ``lengths`` ``(N,)``."""
    if batch_size < 1 or pool_batches < 1:
        raise ValueError(f"batch_size and pool_batches must be positive, got {batch_size} and {pool_batches}")
    batches = []
    for pool in order.split(batch_size * pool_batches):
        pool = pool[torch.argsort(lengths[pool], stable=True)]  # short to long within the pool
        batches.extend(pool.split(batch_size))
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]
# --8<-- [end:bucket-by-length]
