"""Length-bucketed batches: every example once, similar lengths together, seeded, clear errors."""

from __future__ import annotations

import pytest
import torch

from dlnotes.data.buckets import bucket_by_length


def test_every_example_appears_once_and_pools_are_sorted_by_length():
    g = torch.Generator().manual_seed(0)
    lengths = torch.randint(1, 50, (103,), generator=g)
    order = torch.randperm(103, generator=g)
    batches = bucket_by_length(order, lengths, batch_size=8, pool_batches=4, generator=g)
    assert sorted(torch.cat(batches).tolist()) == list(range(103))
    assert len(batches) == 4 * 3 + 1  # 3 full pools of 32, one pool of 7
    for pool in order.split(32):  # within a pool, the batches cut the length-sorted pool in order
        chunks = [b for b in batches if set(b.tolist()) <= set(pool.tolist())]
        spans = sorted((int(lengths[b].min()), int(lengths[b].max())) for b in chunks)
        assert all(hi <= lo_next for (_, hi), (lo_next, _) in zip(spans, spans[1:], strict=False))


def test_the_batch_order_is_seeded():
    lengths, order = torch.arange(40) % 7, torch.arange(40)
    def run(seed):
        return [b.tolist() for b in bucket_by_length(order, lengths, 5, 2, torch.Generator().manual_seed(seed))]
    assert run(1) == run(1) and run(1) != run(2)


def test_sizes_must_be_positive():
    with pytest.raises(ValueError, match="must be positive"):
        bucket_by_length(torch.arange(4), torch.ones(4), 0, 2, None)
