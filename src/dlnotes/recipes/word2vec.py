r"""word2vec on a corpus of sentences (d2l §14.2–14.4): the data, the loss, training, neighbours.

The pipeline works on token indices (``vocab[sentence]``), index 0 being ``<unk>``:

1. :func:`subsample` drops ``<unk>`` and then each occurrence of word $w$ with probability
   $1 - \min\bigl(1, \sqrt{t / f(w)}\bigr)$, $f(w)$ the share of $w$ among all tokens, $t = 10^{-4}$.
2. :func:`context_windows` picks, for every position $i$ of every sentence, a window size
   $w_i \sim U\{1,\dots,m\}$ and takes the words at positions $j \ne i$, $|j-i| \le w_i$, inside
   the sentence, as the contexts of the centre word at $i$.
3. :class:`NegativeSampler` draws noise words from $P(w) \propto \mathrm{count}(w)^{0.75}$ with
   ``torch.multinomial``; :func:`draw_negatives` draws $K$ of them per context word, redrawing a
   noise word that happens to be one of the row's contexts.
4. :func:`build_examples` (on the output of :func:`subsample`) lays each centre's row out as ``[contexts | negatives | padding]``
   (``contexts_negatives`` ``(N, L)``) once for the whole corpus; :meth:`Word2VecData.batches`
   slices shuffled minibatches ``(centres (B, 1), contexts_negatives (B, L), masks (B, L),
   labels (B, L))`` out of those tensors, so an epoch does no Python work per example.

The loss (:func:`sigmoid_bce`) is binary cross-entropy on the scores $s = \mathbf u_o^\top\mathbf v_c$,
averaged over the valid (mask 1) positions of each row:
$\ell = -\frac{1}{\sum_\ell m_\ell}\sum_\ell m_\ell\,[y_\ell\log\sigma(s_\ell) + (1-y_\ell)\log\sigma(-s_\ell)]$.
:func:`huffman_tree` and :func:`hs_probabilities` are hierarchical softmax (§14.2).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from ..data.buckets import bucket_by_length
from ..data.vocab import Vocab
from ..history import History

__all__ = ["keep_probability", "subsample", "context_windows", "NegativeSampler", "draw_negatives",
           "batchify", "Word2VecData", "build_examples", "sigmoid_bce", "train_word2vec", "evaluate_word2vec",
           "nearest",
           "huffman_tree", "hs_probabilities"]


def _check_corpus(corpus: Sequence[Sequence[int]]) -> None:
    if not corpus or not any(len(line) for line in corpus):
        raise ValueError("the corpus is empty: there are no sentences with tokens in it")


def _flatten(corpus: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """All indices ``(N,)`` and the length of each sentence ``(S,)``."""
    lengths = torch.tensor([len(line) for line in corpus], dtype=torch.long)
    flat = torch.tensor([t for line in corpus for t in line], dtype=torch.long)
    return flat, lengths


# --8<-- [start:subsample]
def keep_probability(counts: torch.Tensor, t: float = 1e-4) -> torch.Tensor:
    r"""$P(\text{keep } w) = \min(1, \sqrt{t / f(w)})$ with $f(w) = $ ``counts[w] / counts.sum()``: ``(V,)``."""
    if t <= 0:
        raise ValueError(f"the threshold t must be positive, got {t}")
    f = counts.double() / counts.sum()
    return torch.sqrt(t / f).clamp(max=1.0).float()  # a word never seen (f = 0) gets 1


def subsample(corpus: Sequence[Sequence[int]], vocab_size: int, generator: torch.Generator,
              t: float = 1e-4) -> tuple[list[list[int]], torch.Tensor]:
    """Drop ``<unk>`` (index 0), then keep each token with :func:`keep_probability` of its word.

    Returns the subsampled sentences and the word counts ``(V,)`` they were drawn from (after
    removing ``<unk>``, before subsampling).
    """
    _check_corpus(corpus)
    flat, lengths = _flatten(corpus)
    if flat.min() < 0 or flat.max() >= vocab_size:
        raise ValueError(f"token indices must lie in [0, {vocab_size}), got [{flat.min()}, {flat.max()}]")
    known = flat != 0
    counts = torch.bincount(flat[known], minlength=vocab_size)  # (V,)
    keep = known & (torch.rand(len(flat), generator=generator) < keep_probability(counts, t)[flat])
    sentence = torch.repeat_interleave(torch.arange(len(lengths)), lengths)  # (N,) sentence of each token
    new_lengths = torch.bincount(sentence[keep], minlength=len(lengths)).tolist()
    tokens, kept, start = flat[keep].tolist(), [], 0
    for n in new_lengths:
        kept.append(tokens[start:start + n])
        start += n
    return kept, counts
# --8<-- [end:subsample]


# --8<-- [start:windows]
def context_windows(corpus: Sequence[Sequence[int]], max_window: int,
                    generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Centre words and their context words, with a random window size per position.

    Returns ``centres (N,)``, ``contexts (N, 2 * max_window)`` (each row's contexts first, in
    sentence order, then padding 0) and ``num_contexts (N,)``. Positions without any context
    (sentences of one word) are left out.
    """
    if max_window < 1:
        raise ValueError(f"max_window must be at least 1, got {max_window}")
    _check_corpus(corpus)
    flat, lengths = _flatten(corpus)
    starts = torch.cumsum(lengths, 0) - lengths                 # (S,) first position of each sentence
    sentence = torch.repeat_interleave(torch.arange(len(lengths)), lengths)  # (N,)
    pos = torch.arange(len(flat)) - starts[sentence]             # (N,) position inside its sentence
    length = lengths[sentence]                                   # (N,)
    window = torch.randint(1, max_window + 1, (len(flat),), generator=generator)  # (N,) w_i
    offsets = torch.cat([torch.arange(-max_window, 0), torch.arange(1, max_window + 1)])  # (2m,)
    target = pos[:, None] + offsets                              # (N, 2m) position of each candidate
    valid = (offsets.abs() <= window[:, None]) & (target >= 0) & (target < length[:, None])
    idx = (torch.arange(len(flat))[:, None] + offsets).clamp(0, len(flat) - 1)
    contexts = torch.where(valid, flat[idx], 0)                  # (N, 2m)
    order = torch.argsort((~valid).to(torch.int8), dim=1, stable=True)  # valid ones first
    contexts = contexts.gather(1, order)
    num_contexts = valid.sum(1)
    has = num_contexts > 0
    return flat[has], contexts[has], num_contexts[has]
# --8<-- [end:windows]


# --8<-- [start:negatives]
class NegativeSampler:
    r"""Noise words drawn from $P(w) \propto \mathrm{count}(w)^{p}$ (word2vec: $p = 0.75$).

    ``counts`` is ``(V,)``; index 0 (``<unk>``) and words never seen get probability 0.
    """

    def __init__(self, counts: torch.Tensor, power: float = 0.75):
        counts = torch.as_tensor(counts, dtype=torch.float64)
        weights = counts.clamp(min=0) ** power
        weights[0] = 0.0
        if weights.sum() <= 0:
            raise ValueError("no word has a positive count: nothing to sample negatives from")
        self.probs = (weights / weights.sum()).float()  # (V,)

    def draw(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` independent noise words ``(n,)``."""
        return torch.multinomial(self.probs, n, replacement=True, generator=generator)


def draw_negatives(contexts: torch.Tensor, num_contexts: torch.Tensor, K: int, sampler: NegativeSampler,
                   generator: torch.Generator, chunk: int = 65_536) -> torch.Tensor:
    """``K`` noise words per context word: ``(N, K * C)``, row ``i`` valid in its first ``K * num_contexts[i]``.

    A draw equal to one of the row's context words is redrawn (vectorised, until none is left).
    """
    if K < 1:
        raise ValueError(f"K (noise words per context word) must be at least 1, got {K}")
    N, C = contexts.shape
    valid = torch.arange(K * C) < K * num_contexts[:, None]  # (N, K*C): the draws a row needs
    negatives = torch.zeros(N, K * C, dtype=torch.long)
    negatives[valid] = sampler.draw(int(K * num_contexts.sum()), generator)
    small = contexts.to(torch.int16) if len(sampler.probs) < 2**15 else contexts  # less memory traffic
    clash = torch.zeros(N, K * C, dtype=torch.bool)
    for lo in range(0, N, chunk):  # chunk by chunk, to keep the temporaries small
        neg, ctx = negatives[lo:lo + chunk].to(small.dtype), small[lo:lo + chunk]
        for j in range(C):  # padding 0 in ctx never matches: 0 (<unk>) is never drawn
            clash[lo:lo + chunk] |= neg == ctx[:, j:j + 1]
    rows, cols = (clash & valid).nonzero(as_tuple=True)  # the few draws that hit a context word
    for _ in range(100):
        if len(rows) == 0:
            return negatives
        redraw = sampler.draw(len(rows), generator)
        negatives[rows, cols] = redraw
        still = (redraw[:, None] == contexts[rows]).any(1)  # check only the redrawn ones
        rows, cols = rows[still], cols[still]
    raise RuntimeError("could not draw noise words that differ from the contexts in 100 rounds")
# --8<-- [end:negatives]


# --8<-- [start:batchify]
def batchify(examples: Sequence[tuple[int, Sequence[int], Sequence[int]]]):
    """Pad a list of ``(centre, contexts, negatives)`` into one minibatch.

    Returns ``centres (B, 1)``, ``contexts_negatives (B, L)`` (padding 0), ``masks (B, L)``
    (1 on real words) and ``labels (B, L)`` (1 on context words), ``L`` the longest row.
    """
    if not examples:
        raise ValueError("batchify got no examples")
    L = max(len(c) + len(n) for _, c, n in examples)
    centres, rows, masks, labels = [], [], [], []
    for centre, contexts, negatives in examples:
        n = len(contexts) + len(negatives)
        centres.append([centre])
        rows.append(list(contexts) + list(negatives) + [0] * (L - n))
        masks.append([1] * n + [0] * (L - n))
        labels.append([1] * len(contexts) + [0] * (L - len(contexts)))
    return (torch.tensor(centres), torch.tensor(rows), torch.tensor(masks, dtype=torch.float32),
            torch.tensor(labels, dtype=torch.float32))
# --8<-- [end:batchify]


@dataclass
class Word2VecData:
    """Every training example of an epoch as tensors.

    ``centres (N,)``, ``contexts_negatives (N, L)`` laid out as ``[contexts | negatives | 0…]``,
    ``num_contexts (N,)`` and ``num_valid (N,)`` (contexts plus negatives of each row).
    """

    centres: torch.Tensor
    contexts_negatives: torch.Tensor
    num_contexts: torch.Tensor
    num_valid: torch.Tensor

    def __len__(self) -> int:
        return len(self.centres)

    def example(self, i: int) -> tuple[int, list[int], list[int]]:
        """Row ``i`` as ``(centre, contexts, negatives)`` lists."""
        c, v = int(self.num_contexts[i]), int(self.num_valid[i])
        row = self.contexts_negatives[i].tolist()
        return int(self.centres[i]), row[:c], row[c:v]

    def batch(self, idx: torch.Tensor):
        """The examples ``idx`` as ``(centres (B, 1), contexts_negatives (B, L), masks, labels)``."""
        cols = torch.arange(self.contexts_negatives.shape[1])
        masks = (cols < self.num_valid[idx, None]).float()     # (B, L)
        labels = (cols < self.num_contexts[idx, None]).float()  # (B, L)
        return self.centres[idx, None], self.contexts_negatives[idx].long(), masks, labels

    def batches(self, batch_size: int, generator: torch.Generator | None, shuffle: bool = True,
                bucket: int = 0) -> Iterator:
        """Minibatches of :meth:`batch` in a seeded random order.

        ``bucket > 0``: the shuffled examples are cut into groups of ``bucket`` batches, each group
        is sorted by row length and cut into batches, each batch keeps only the columns its longest
        row needs, and the batches are served in a random order. Every example still appears once
        per epoch; batches hold rows of similar length, so less of each batch is padding.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        order = torch.randperm(len(self), generator=generator) if shuffle else torch.arange(len(self))
        if bucket <= 0:
            for idx in order.split(batch_size):
                yield self.batch(idx)
            return
        for idx in bucket_by_length(order, self.num_valid, batch_size, bucket, generator):
            width = int(self.num_valid[idx].max())
            centres, rows, masks, labels = self.batch(idx)
            yield centres, rows[:, :width], masks[:, :width], labels[:, :width]


# --8<-- [start:build]
def build_examples(kept: Sequence[Sequence[int]], vocab_size: int, max_window: int, K: int,
                   generator: torch.Generator) -> Word2VecData:
    """Cut context windows in the subsampled sentences ``kept``, draw negatives, lay out every row once.

    Noise words follow the unigram distribution of ``kept`` raised to 0.75, as in d2l.
    """
    if K < 1:
        raise ValueError(f"K (noise words per context word) must be at least 1, got {K}")
    centres, contexts, num_contexts = context_windows(kept, max_window, generator)  # (N,), (N, C), (N,)
    counts = torch.bincount(torch.tensor([w for line in kept for w in line]), minlength=vocab_size)
    negatives = draw_negatives(contexts, num_contexts, K, NegativeSampler(counts), generator)  # (N, K*C)
    C = contexts.shape[1]
    rows = torch.zeros(len(centres), (1 + K) * C, dtype=torch.long)  # (N, (1+K)C)
    rows[:, :C] = contexts                       # contexts first (their padding is overwritten next)
    target = num_contexts[:, None] + torch.arange(K * C)  # negatives right after the contexts
    rows.scatter_(1, target, negatives)          # the negatives' own padding 0 lands past them
    num_valid = (1 + K) * num_contexts
    rows = rows[:, :int(num_valid.max())].to(torch.int32)  # no column that is padding everywhere
    return Word2VecData(centres, rows, num_contexts, num_valid)
# --8<-- [end:build]


# --8<-- [start:loss]
def sigmoid_bce(scores: torch.Tensor, labels: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    r"""Per-row masked binary cross-entropy on logits: ``(B, L)`` (or ``(B, 1, L)``) → ``(B,)``.

    $\ell_b = -\frac{1}{\sum_l m_{bl}}\sum_l m_{bl}\,[y_{bl}\log\sigma(s_{bl}) + (1-y_{bl})\log\sigma(-s_{bl})]$.
    Torch twin: ``F.binary_cross_entropy_with_logits(s, y, weight=m, reduction="none").sum(1) / m.sum(1)``.
    """
    scores = scores.reshape(labels.shape)  # (B, 1, L) -> (B, L)
    if labels.shape != masks.shape:
        raise ValueError(f"labels {tuple(labels.shape)} and masks {tuple(masks.shape)} differ in shape")
    log_p = F.logsigmoid((2 * labels - 1) * scores)  # log σ(s) on contexts, log σ(-s) on noise words
    return -(masks * log_p).sum(1) / masks.sum(1)
# --8<-- [end:loss]


# --8<-- [start:train]
def train_word2vec(net: nn.Module, data: Word2VecData, batch_size: int, lr: float, num_epochs: int,
                   generator: torch.Generator, bucket: int = 0,
                   step_losses: list[float] | None = None) -> History:
    """Adam on the sum of the rows' losses (as d2l); records the mean row loss of every epoch.

    ``bucket`` is passed to :meth:`Word2VecData.batches`; ``step_losses``, if given, receives the
    mean row loss of every minibatch.
    """
    if num_epochs < 1:
        raise ValueError(f"num_epochs must be positive, got {num_epochs}")
    optimizer = torch.optim.Adam(net.parameters(), lr=lr, fused=True)  # fused: one kernel per step
    history = History()
    for epoch in range(1, num_epochs + 1):
        start, total, rows = time.perf_counter(), 0.0, 0
        for centres, contexts_negatives, masks, labels in data.batches(batch_size, generator, bucket=bucket):
            loss = sigmoid_bce(net(centres, contexts_negatives), labels, masks)  # (B,)
            optimizer.zero_grad()
            loss.sum().backward()
            optimizer.step()
            total, rows = total + float(loss.detach().sum()), rows + len(loss)
            if step_losses is not None:
                step_losses.append(float(loss.detach().mean()))
        seconds = time.perf_counter() - start
        history.records.append({"epoch": epoch, "train_loss": total / rows, "seconds": seconds,
                                "examples_per_sec": rows / seconds})
    return history


def evaluate_word2vec(net: nn.Module, data: Word2VecData, batch_size: int = 4096) -> float:
    """Mean row loss of ``net`` over every example of ``data``, without gradients."""
    total = 0.0
    with torch.no_grad():
        for centres, contexts_negatives, masks, labels in data.batches(batch_size, None, shuffle=False):
            total += float(sigmoid_bce(net(centres, contexts_negatives), labels, masks).sum())
    return total / len(data)
# --8<-- [end:train]


# --8<-- [start:nearest]
def nearest(weight: torch.Tensor, vocab: Vocab, token: str, k: int = 3) -> list[tuple[str, float]]:
    """The ``k`` words whose rows of ``weight (V, d)`` have the highest cosine with ``token``'s row."""
    vocab.check_known([token], "nearest()")
    W = F.normalize(weight.detach(), dim=1)  # (V, d), unit rows
    cos = W @ W[vocab[token]]                # (V,)
    cos[vocab[token]] = -2.0                 # not the word itself
    cos[vocab.unk] = -2.0                    # nor <unk>
    values, idx = cos.topk(k)
    return [(vocab.to_tokens(int(i)), float(v)) for v, i in zip(values, idx, strict=True)]
# --8<-- [end:nearest]


# --8<-- [start:huffman]
def huffman_tree(counts: Sequence[int]) -> tuple[list[list[int]], list[list[int]]]:
    """Huffman tree over ``V`` words: each word's path of internal nodes and its ±1 turns.

    Internal nodes are numbered ``0 … V-2`` (``V-2`` is the root). ``paths[w]`` lists the
    internal nodes from the root down to leaf ``w``; ``codes[w][j]`` is ``+1`` when the path
    turns left below ``paths[w][j]`` and ``-1`` when it turns right. Frequent words get short paths.
    """
    V = len(counts)
    if V < 2:
        raise ValueError(f"a tree needs at least 2 words, got {V}")
    heap = [(int(c), w, ("leaf", w)) for w, c in enumerate(counts)]
    heapq.heapify(heap)
    children: list[tuple] = []
    while len(heap) > 1:
        c1, t1, left = heapq.heappop(heap)
        c2, t2, right = heapq.heappop(heap)
        children.append((left, right))
        heapq.heappush(heap, (c1 + c2, V + len(children), ("node", len(children) - 1)))
    paths: list[list[int]] = [[] for _ in range(V)]
    codes: list[list[int]] = [[] for _ in range(V)]
    stack = [(("node", len(children) - 1), [], [])]
    while stack:
        (kind, i), path, code = stack.pop()
        if kind == "leaf":
            paths[i], codes[i] = path, code
            continue
        left, right = children[i]
        stack.append((left, path + [i], code + [1]))
        stack.append((right, path + [i], code + [-1]))
    return paths, codes


def hs_probabilities(v: torch.Tensor, node_vectors: torch.Tensor, paths: list[list[int]],
                     codes: list[list[int]]) -> torch.Tensor:
    r"""$P(w \mid c) = \prod_j \sigma(\pm\,\mathbf u_{n(w,j)}^\top \mathbf v_c)$ for every word: ``(V,)``.

    ``v`` is the centre vector ``(d,)``, ``node_vectors`` the internal nodes' ``(V-1, d)``.
    """
    if node_vectors.shape[0] != len(paths) - 1:
        raise ValueError(f"{len(paths)} leaves need {len(paths) - 1} node vectors, got {node_vectors.shape[0]}")
    depth = max(len(p) for p in paths)
    P = torch.tensor([p + [0] * (depth - len(p)) for p in paths])           # (V, D) node ids
    S = torch.tensor([c + [0] * (depth - len(c)) for c in codes], dtype=v.dtype)  # (V, D) ±1, 0 = none
    scores = node_vectors[P] @ v                                             # (V, D) u_n · v_c
    log_p = torch.where(S != 0, F.logsigmoid(S * scores), torch.zeros_like(scores))
    return log_p.sum(1).exp()
# --8<-- [end:huffman]
