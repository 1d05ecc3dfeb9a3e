r"""Training GloVe (d2l §14.5): co-occurrence counts, the weighting function and the loss.

**Counts.** $x_{ij}$ sums, over every time word $j$ appears within ``window`` positions of word
$i$ in the same sentence, the weight $1/d$ where $d$ is their distance (so a neighbour counts
1, a word five positions away 1/5). The matrix is symmetric.

**Loss.** Over the non-zero entries only,

$$J = \sum_{i,j:\,x_{ij}>0} h(x_{ij})\,\bigl(\mathbf u_j^\top\mathbf v_i + b_i + c_j - \log x_{ij}\bigr)^2,
\qquad h(x) = \begin{cases}(x/x_{\max})^{\alpha} & x < x_{\max}\\ 1 & x \ge x_{\max}\end{cases}$$

with $x_{\max}=100$, $\alpha=0.75$. :class:`GloVeLoss` returns the mean over a minibatch of pairs.
"""

from __future__ import annotations

from itertools import repeat

import torch

from dlnotes.data.ptb import ptb_sentences
from dlnotes.data.vocab import Vocab

__all__ = ["glove_weight", "GloVeLoss", "cooccurrence", "conditional_probs", "ptb_cooccurrence"]


# --8<-- [start:loss]
def glove_weight(x: torch.Tensor, x_max: float = 100.0, alpha: float = 0.75) -> torch.Tensor:
    """$h(x) = \\min(1, (x/x_{\\max})^\\alpha)$, elementwise; ``x`` must be positive."""
    return (x / x_max).pow(alpha).clamp(max=1.0)


class GloVeLoss:
    """Mean of $h(x)(s - \\log x)^2$ over a batch: ``loss(scores (B,), counts (B,)) -> ()``."""

    def __init__(self, x_max: float = 100.0, alpha: float = 0.75):
        self.x_max, self.alpha = x_max, alpha

    def __call__(self, scores: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
        if scores.shape != counts.shape:
            raise ValueError(f"scores {tuple(scores.shape)} and counts {tuple(counts.shape)} differ in shape")
        if (counts <= 0).any():
            raise ValueError("GloVe's loss runs over positive co-occurrence counts only (log 0 is undefined)")
        h = glove_weight(counts, self.x_max, self.alpha)  # (B,)
        return (h * (scores - counts.log()).square()).mean()
# --8<-- [end:loss]


# --8<-- [start:cooccurrence]
def cooccurrence(sentences: list[list[int]], vocab_size: int, window: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    """Non-zero entries of the co-occurrence matrix: ``pairs (N, 2)`` long and ``counts (N,)`` float64.

    Vectorised: the sentences are laid end to end with a sentence id per position; for each
    distance $d = 1..$``window`` the positions $t$ and $t+d$ that lie in the same sentence give the
    pairs $(w_t, w_{t+d})$ and $(w_{t+d}, w_t)$, each with weight $1/d$. Summing equal pairs is a
    ``bincount`` over the flat index $iV + j$ of the distinct pairs.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    tokens = torch.tensor([w for s in sentences for w in s], dtype=torch.long)  # (T,)
    if len(tokens) and (tokens.min() < 0 or tokens.max() >= vocab_size):
        raise ValueError(f"token indices must lie in [0, {vocab_size})")
    sent_id = torch.repeat_interleave(torch.arange(len(sentences)),
                                      torch.tensor([len(s) for s in sentences], dtype=torch.long))  # (T,)
    keys, weights = [], []
    for d in range(1, window + 1):
        same = sent_id[:-d] == sent_id[d:]  # (T-d,) both ends in one sentence
        left, right = tokens[:-d][same], tokens[d:][same]
        keys += [left * vocab_size + right, right * vocab_size + left]  # both directions
        weights.append(torch.full((2 * len(left),), 1.0 / d, dtype=torch.float64))
    keys, weights = torch.cat(keys), torch.cat(weights)  # (P,)
    distinct, inverse = torch.unique(keys, return_inverse=True)  # (N,), (P,)
    counts = torch.bincount(inverse, weights=weights, minlength=len(distinct))  # (N,)
    pairs = torch.stack([distinct // vocab_size, distinct % vocab_size], dim=1)  # (N, 2)
    return pairs, counts
# --8<-- [end:cooccurrence]


def conditional_probs(pairs: torch.Tensor, counts: torch.Tensor, vocab_size: int,
                      rows: list[int], cols: list[int]) -> torch.Tensor:
    r"""$P(k \mid i) = x_{ik} / x_i$ with $x_i = \sum_k x_{ik}$, for ``i`` in ``rows`` and ``k`` in
    ``cols``: ``(len(rows), len(cols))`` float64, read from the sparse entries of :func:`cooccurrence`
    (no dense $V \times V$ matrix: for PTB's 6,719 words it would take 360 MB)."""
    keys = pairs[:, 0] * vocab_size + pairs[:, 1]  # (N,) sorted: torch.unique returned them sorted
    if len(keys) > 1 and not bool((keys[1:] > keys[:-1]).all()):
        raise ValueError("pairs must be sorted and distinct, as cooccurrence returns them")
    totals = torch.zeros(vocab_size, dtype=counts.dtype).index_add_(0, pairs[:, 0], counts)  # (V,) x_i
    r = torch.tensor(rows, dtype=torch.long)[:, None]  # (R, 1)
    c = torch.tensor(cols, dtype=torch.long)[None, :]  # (1, C)
    want = (r * vocab_size + c).flatten()  # (R*C,)
    pos = torch.searchsorted(keys, want).clamp(max=len(keys) - 1)
    found = keys[pos] == want
    x = torch.where(found, counts[pos], torch.zeros((), dtype=counts.dtype)).reshape(len(rows), len(cols))
    return x / totals[r]


def ptb_cooccurrence(min_freq: int = 10, window: int = 5, split: str = "train"):
    """PTB's co-occurrences: ``(pairs, counts, vocab, sentences)``.

    The vocabulary keeps words seen at least ``min_freq`` times; words outside it (and PTB's own
    ``<unk>``) are dropped from the sentences before counting, as d2l does for word2vec (§14.3).
    """
    raw = ptb_sentences(split)
    vocab = Vocab(raw, min_freq=min_freq)
    get, unk = vocab.token_to_idx.get, vocab.unk
    sentences = [[i for i in map(get, s, repeat(unk)) if i != unk] for s in raw]  # one dict lookup a token
    pairs, counts = cooccurrence(sentences, len(vocab), window)
    return pairs, counts, vocab, sentences
