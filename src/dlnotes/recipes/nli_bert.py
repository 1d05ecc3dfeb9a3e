r"""Natural language inference with a pretrained BERT encoder as a *bi-encoder* (§15.7).

Each sentence is encoded on its own; a premise $\mathbf u$ and a hypothesis $\mathbf v$ (pooled
sentence vectors, ``(B, d)``) meet only in the pair features of Sentence-BERT
(Reimers & Gurevych, 2019),

$$\mathbf f(\mathbf u, \mathbf v) = [\mathbf u;\ \mathbf v;\ |\mathbf u-\mathbf v|;\ \mathbf u\odot\mathbf v]
\in\mathbb R^{4d},$$

and a small MLP maps $\mathbf f$ to the three labels. Three ways to train it, cheapest first:

1. **frozen**: the whole encoder is fixed; its sentence vectors are computed once
   (:func:`cache_sentences`) and only the head learns (:func:`pair_features` + :func:`nli_head`).
2. **top layer**: the states *below* the top block are fixed, so they are cached once per unique
   sentence (packed, :class:`SentenceCache`); :class:`TopLayerNLI` runs a trainable copy of the top
   block on them, pools, and feeds the head. The block and the head learn.
3. **LoRA**: as 2, but the top block stays frozen apart from low-rank adapters on chosen projections
   (:func:`dlnotes.layers.lora.apply_lora`).

Batches for 2 and 3 are ``(pairs (B, 2), y (B,))``: ``pairs`` holds the premise's and the hypothesis's
row in the cache, so :func:`dlnotes.train.fit` trains them like any classifier.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ..data.buckets import bucket_by_length
from ..seed import data_generator

__all__ = ["SentenceCache", "cache_sentences", "pair_features", "nli_head", "pair_tensors",
           "LengthBatches", "TopLayerNLI", "pair_accuracy", "cross_inputs", "CrossEncoderNLI"]

Pool = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (B, T, d), (B,) -> (B, d)


# --8<-- [start:cache]
@dataclass
class SentenceCache:
    """Token states of ``N`` sentences, packed without padding.

    ``states`` ``(Σ lengths, d)`` holds sentence ``i``'s tokens in rows
    ``offsets[i] : offsets[i] + lengths[i]``; ``index`` maps a sentence's text to its row ``i``.
    """

    states: torch.Tensor  # (total_tokens, d)
    offsets: torch.Tensor  # (N,) long
    lengths: torch.Tensor  # (N,) long
    index: dict[str, int]

    def __len__(self) -> int:
        return len(self.lengths)

    def batch(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The states of sentences ``rows`` ``(B,)``, padded with zeros to the longest of them:
        ``(B, T, d)`` and their valid lengths ``(B,)``."""
        if rows.dim() != 1:
            raise ValueError(f"rows must be (B,) sentence indices, got shape {tuple(rows.shape)}")
        if len(rows) and bool((rows < 0).any() | (rows >= len(self)).any()):
            raise IndexError(f"sentence rows must lie in [0, {len(self)})")
        lens = self.lengths[rows]  # (B,)
        T = int(lens.max())
        steps = torch.arange(T)  # (T,)
        keep = steps < lens[:, None]  # (B, T): real tokens
        where = (self.offsets[rows][:, None] + steps).masked_fill(~keep, 0)  # (B, T) rows of states
        X = self.states[where] * keep[..., None]  # (B, T, d), padding zeroed
        return X, lens
# --8<-- [end:cache]


# --8<-- [start:cache-sentences]
@torch.inference_mode()
def cache_sentences(encoder: nn.Module, tokenizer, sentences: Sequence[str], pool: Pool,
                    split_at: int | None = None, batch_size: int = 64,
                    max_len: int = 128) -> tuple[SentenceCache, torch.Tensor]:
    """Run the frozen BERT ``encoder`` once over the unique ``sentences``.

    Returns the packed states after the first ``split_at`` blocks (default: all but the top one) and
    the pooled output of the whole encoder, ``(N, d)``, both in the order of ``sentences``.
    Sentences are sorted by length and batched (dynamic padding: each batch is padded only to its
    own longest sentence), which saves most of the padding work.
    """
    if len(set(sentences)) != len(sentences):
        raise ValueError("cache_sentences takes unique sentences (deduplicate them first)")
    if not sentences:
        raise ValueError("cache_sentences needs at least one sentence")
    encoder.eval()
    blocks = encoder.blocks
    split_at = len(blocks) - 1 if split_at is None else split_at
    if not 0 <= split_at <= len(blocks):
        raise ValueError(f"split_at must lie in 0…{len(blocks)}, got {split_at}")
    encoded = [tokenizer.encode(s, max_len=max_len)[0] for s in sentences]
    order = sorted(range(len(sentences)), key=lambda i: len(encoded[i]))
    lengths = torch.tensor([len(e) for e in encoded])  # (N,)
    offsets = torch.cumsum(lengths, 0) - lengths  # (N,): where each sentence starts
    d = encoder.config.num_hiddens
    states = torch.empty(int(lengths.sum()), d)
    pooled = torch.empty(len(sentences), d)
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        T = len(encoded[rows[-1]])  # the longest of this batch (sorted)
        tokens = torch.full((len(rows), T), tokenizer.pad, dtype=torch.long)  # (B, T)
        for b, i in enumerate(rows):
            tokens[b, :len(encoded[i])] = torch.tensor(encoded[i])
        valid = lengths[rows]  # (B,)
        X = encoder.embed(tokens, torch.zeros_like(tokens))  # (B, T, d)
        for block in blocks[:split_at]:
            X = block(X, valid)
        for b, i in enumerate(rows):
            states[offsets[i]:offsets[i] + lengths[i]] = X[b, :lengths[i]]
        for block in blocks[split_at:]:
            X = block(X, valid)
        pooled[rows] = pool(X, valid)  # (B, d)
    index = {s: i for i, s in enumerate(sentences)}
    return SentenceCache(states, offsets, lengths, index), pooled
# --8<-- [end:cache-sentences]


# --8<-- [start:head]
def pair_features(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    r"""$[\mathbf u;\ \mathbf v;\ |\mathbf u-\mathbf v|;\ \mathbf u\odot\mathbf v]$: ``(B, d)`` twice -> ``(B, 4d)``."""
    if u.shape != v.shape or u.dim() != 2:
        raise ValueError(f"u and v must both be (B, d), got {tuple(u.shape)} and {tuple(v.shape)}")
    return torch.cat([u, v, (u - v).abs(), u * v], dim=1)  # (B, 4d)


def nli_head(num_hiddens: int, hidden: int = 256, num_classes: int = 3, dropout: float = 0.1) -> nn.Sequential:
    """The classifier on :func:`pair_features`: ``(B, 4d)`` -> linear -> ReLU -> dropout -> ``(B, classes)``."""
    return nn.Sequential(nn.Linear(4 * num_hiddens, hidden), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(hidden, num_classes))
# --8<-- [end:head]


def pair_tensors(pairs: Sequence[tuple[str, str, int]], index: dict[str, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(premise, hypothesis, label)`` triples -> cache rows ``(N, 2)`` and labels ``(N,)``.
    A sentence missing from ``index`` raises, naming it."""
    missing = [s for p, h, _ in pairs for s in (p, h) if s not in index]
    if missing:
        raise KeyError(f"{len(missing)} sentences are not in the cache, e.g. {missing[0]!r}")
    rows = torch.tensor([[index[p], index[h]] for p, h, _ in pairs], dtype=torch.long)  # (N, 2)
    labels = torch.tensor([y for *_, y in pairs], dtype=torch.long)  # (N,)
    return rows, labels


class LengthBatches:
    """Minibatches ``(pairs[idx], y[idx])`` of pairs with similar lengths (seeded shuffling).

    Each epoch shuffles the pairs, cuts them into pools of ``pool`` batches, sorts each pool by the
    longer sentence of the pair and deals it into batches, then shuffles the order of the batches.
    A batch is padded to its own longest sentence, so grouping similar lengths saves most of the
    padding that random batches would carry (SICK's sentences have 4–40 tokens).
    """

    def __init__(self, pairs: torch.Tensor, y: torch.Tensor, lengths: torch.Tensor, batch_size: int,
                 pool: int = 20, seed: int = 0):
        if pairs.dim() != 2 or pairs.shape[1] != 2 or len(pairs) != len(y):
            raise ValueError(f"pairs must be (N, 2) with N = len(y) = {len(y)}, got {tuple(pairs.shape)}")
        self.pairs, self.y, self.batch_size, self.pool = pairs, y, batch_size, pool
        self.longest = lengths[pairs].max(dim=1).values  # (N,): the longer sentence of each pair
        self.generator = data_generator(seed)

    def __iter__(self):
        order = torch.randperm(len(self.y), generator=self.generator)
        for idx in bucket_by_length(order, self.longest, self.batch_size, self.pool, self.generator):
            yield self.pairs[idx], self.y[idx]

    def __len__(self) -> int:
        return -(-len(self.y) // self.batch_size)


# --8<-- [start:top-layer]
class TopLayerNLI(nn.Module):
    """A trainable copy of ``block`` (the encoder's top block) on cached lower-layer states, then
    pooling, :func:`pair_features` and ``head``. ``forward(pairs (B, 2))`` -> logits ``(B, classes)``."""

    def __init__(self, block: nn.Module, head: nn.Module, cache: SentenceCache, pool: Pool):
        super().__init__()
        self.block = copy.deepcopy(block)  # the encoder itself stays untouched
        self.block.requires_grad_(True)
        self.head, self.cache, self.pool = head, cache, pool

    def encode(self, rows: torch.Tensor) -> torch.Tensor:
        """Pooled top-block output of cached sentences ``rows`` ``(B,)``: ``(B, d)``."""
        X, valid = self.cache.batch(rows)  # (B, T, d), (B,)
        return self.pool(self.block(X, valid), valid)  # (B, d)

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        if pairs.dim() != 2 or pairs.shape[1] != 2:
            raise ValueError(f"pairs must be (B, 2) cache rows (premise, hypothesis), got {tuple(pairs.shape)}")
        B = pairs.shape[0]
        both = self.encode(pairs.T.reshape(-1))  # premises then hypotheses in one pass: (2B, d)
        return self.head(pair_features(both[:B], both[B:]))  # (B, classes)
# --8<-- [end:top-layer]


@torch.inference_mode()
def pair_accuracy(model: TopLayerNLI, pairs: torch.Tensor, y: torch.Tensor, batch_size: int = 128) -> float:
    """Accuracy of ``model`` on ``(pairs (N, 2), y (N,))``; each unique sentence is encoded once,
    in batches of similar length."""
    model.eval()
    rows = pairs.unique()  # (U,) sorted sentence rows
    rows = rows[torch.argsort(model.cache.lengths[rows], stable=True)]
    vectors = torch.empty(len(model.cache), model.cache.states.shape[1])
    for chunk in rows.split(batch_size):
        vectors[chunk] = model.encode(chunk)  # (b, d)
    logits = model.head(pair_features(vectors[pairs[:, 0]], vectors[pairs[:, 1]]))  # (N, classes)
    return (logits.argmax(1) == y).float().mean().item()


# --8<-- [start:cross-encoder]
def cross_inputs(tokenizer, pairs: Sequence[tuple[str, str, int]], max_len: int = 128) -> tuple[torch.Tensor, torch.Tensor]:
    """``[CLS] premise [SEP] hypothesis [SEP]`` for each pair: ``X`` ``(N, 2, T)`` (token ids and segment
    ids, ``[PAD]``-padded to the longest pair) and labels ``(N,)``."""
    tokens, segments, _ = tokenizer.batch([p for p, _, _ in pairs], [h for _, h, _ in pairs], max_len=max_len)
    labels = torch.tensor([y for *_, y in pairs], dtype=torch.long)  # (N,)
    return torch.stack([tokens, segments], dim=1), labels  # (N, 2, T)


class CrossEncoderNLI(nn.Module):
    """d2l's way: the pair goes through a trainable copy of the whole encoder as one sequence, the
    pooled output through ``nn.Linear(d, classes)``. ``forward(X (B, 2, T))`` -> logits ``(B, classes)``;
    each batch is cut to its longest pair (``pad`` marks the padding)."""

    def __init__(self, encoder: nn.Module, pool: Pool, pad: int, num_classes: int = 3):
        super().__init__()
        self.encoder = copy.deepcopy(encoder).requires_grad_(True)
        self.output = nn.Linear(encoder.config.num_hiddens, num_classes)
        self.pool, self.pad = pool, pad

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if X.dim() != 3 or X.shape[1] != 2:
            raise ValueError(f"X must be (B, 2, T) token and segment ids, got {tuple(X.shape)}")
        valid = (X[:, 0] != self.pad).sum(dim=1)  # (B,)
        X = X[:, :, :int(valid.max())]  # (B, 2, T_b): drop columns that are padding everywhere
        H = self.encoder(X[:, 0], X[:, 1], valid)  # (B, T_b, d)
        return self.output(self.pool(H, valid))  # (B, classes)
# --8<-- [end:cross-encoder]
