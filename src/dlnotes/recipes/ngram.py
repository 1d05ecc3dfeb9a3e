r"""Count-based $n$-gram language models with add-$k$ smoothing (d2l §8.3), the baseline of §8.5–8.6.

An $n$-gram model predicts token $x_t$ from the $n-1$ tokens before it, by counting:

$$\hat P_k(x_t \mid c) = \frac{\#(c, x_t) + k}{\#(c) + k\,|\mathcal V|},\qquad c = x_{t-n+1},\dots,x_{t-1},$$

where $\#(c, x)$ counts the $n$-grams of the training text and $\#(c)$ how often the context $c$
is followed by any token. $k > 0$ gives every unseen continuation a little probability, so the
perplexity on new text stays finite. $n = 1$ is the unigram model (no context).

Counts are kept sparse (the sorted distinct $n$-gram codes and their counts), so a 2,614-character
vocabulary costs memory only for the $n$-grams that occur.
"""

from __future__ import annotations

import math

import torch

__all__ = ["NGramModel"]


class NGramModel:
    """An add-``k`` smoothed ``n``-gram model over token indices ``0 … vocab_size-1``.

    Args:
        n: the order (1 = unigram, 2 = bigram, …).
        vocab_size: $|\\mathcal V|$, the number of possible tokens.
        k: the pseudo-count added to every $n$-gram (must be positive).

    ``fit(corpus)`` counts; ``log_probs(corpus)`` gives $\\log\\hat P(x_t\\mid c)$ for every
    $t \\ge n-1$; ``perplexity(corpus)`` is the exponential of their negative mean.
    """

    def __init__(self, n: int, vocab_size: int, k: float = 1.0):
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        if vocab_size < 1:
            raise ValueError(f"vocab_size must be positive, got {vocab_size}")
        if not k > 0:
            raise ValueError(f"the smoothing constant k must be positive, got {k}")
        if vocab_size ** n >= 2 ** 62:
            raise ValueError(f"{n}-grams over {vocab_size} tokens cannot be coded in int64")
        self.n, self.vocab_size, self.k = n, vocab_size, float(k)
        self._grams = self._grams_counts = self._ctx = self._ctx_counts = None

    def _codes(self, corpus: torch.Tensor) -> torch.Tensor:
        """One int64 code per window of ``n`` tokens: $\\sum_i x_{t-n+1+i} V^{n-1-i}$."""
        corpus = torch.as_tensor(corpus, dtype=torch.long)
        if corpus.dim() != 1:
            raise ValueError(f"corpus must be 1-D token indices, got shape {tuple(corpus.shape)}")
        if len(corpus) < self.n:
            raise ValueError(f"a corpus of {len(corpus)} tokens has no {self.n}-gram")
        if int(corpus.min()) < 0 or int(corpus.max()) >= self.vocab_size:
            raise ValueError(f"token indices must lie in [0, {self.vocab_size})")
        windows = corpus.unfold(0, self.n, 1)  # (N - n + 1, n)
        powers = self.vocab_size ** torch.arange(self.n - 1, -1, -1)  # (n,)
        return windows @ powers  # (N - n + 1,)

    # --8<-- [start:ngram-count]
    def fit(self, corpus: torch.Tensor) -> NGramModel:
        """Count the ``n``-grams of ``corpus`` (token indices ``(N,)``); returns ``self``."""
        codes = self._codes(corpus)
        self._grams, self._grams_counts = torch.unique(codes, return_counts=True)  # sorted
        self._ctx, self._ctx_counts = torch.unique(codes // self.vocab_size, return_counts=True)
        return self

    @staticmethod
    def _lookup(keys: torch.Tensor, counts: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
        """Counts of ``queries`` in the sorted ``keys`` (0 where absent)."""
        pos = torch.searchsorted(keys, queries).clamp(max=len(keys) - 1)
        return torch.where(keys[pos] == queries, counts[pos], torch.zeros_like(pos)).double()

    def log_probs(self, corpus: torch.Tensor) -> torch.Tensor:
        """$\\log\\hat P(x_t \\mid x_{t-n+1},\\dots,x_{t-1})$ for $t = n-1,\\dots,N-1$ (float64)."""
        if self._grams is None:
            raise RuntimeError("call fit() before scoring text")
        codes = self._codes(corpus)
        joint = self._lookup(self._grams, self._grams_counts, codes)
        context = self._lookup(self._ctx, self._ctx_counts, codes // self.vocab_size)
        return torch.log((joint + self.k) / (context + self.k * self.vocab_size))
    # --8<-- [end:ngram-count]

    def perplexity(self, corpus: torch.Tensor) -> float:
        """$\\exp$ of the mean negative log-probability of ``corpus``'s tokens (from the ``n``-th on)."""
        return math.exp(-float(self.log_probs(corpus).mean()))
