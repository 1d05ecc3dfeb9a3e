r"""Attention from scratch (d2l §10.3–10.6): scoring functions, multi-head attention, positional encoding.

Attention pools values $\mathbf v_i$ with weights from a query $\mathbf q$ and keys $\mathbf k_i$:
$f(\mathbf q) = \sum_i \alpha(\mathbf q, \mathbf k_i)\,\mathbf v_i$ with
$\alpha = \mathrm{softmax}_i\big(a(\mathbf q, \mathbf k_i)\big)$ over the keys that are not padding.

Shapes everywhere: queries ``(B, Q, d_q)``, keys ``(B, K, d_k)``, values ``(B, K, d_v)``, output
``(B, Q, d_v)``; ``valid_lens`` ``(B,)`` or ``(B, Q)``; ``keep`` a bool mask broadcastable to
``(B, Q, K)`` (True = may attend), e.g. :func:`causal_mask`. Each module keeps its last weights in
``attention_weights`` (detached) so a page can draw them.

Twins (``tests/test_attention.py``): :class:`DotProductAttention` equals
``F.scaled_dot_product_attention``; :class:`MultiHeadAttention` with ``bias=True`` equals
``nn.MultiheadAttention`` with the same weights (outputs and per-head weights).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .functional import masked_softmax

__all__ = ["AdditiveAttention", "DotProductAttention", "causal_mask", "MultiHeadAttention",
           "sinusoid_table", "PositionalEncoding"]


def _check_qkv(queries: torch.Tensor, keys: torch.Tensor, values: torch.Tensor) -> None:
    if queries.dim() != 3 or keys.dim() != 3 or values.dim() != 3:
        raise ValueError("attention expects queries (B, Q, d), keys (B, K, d) and values (B, K, d_v), got "
                         f"{tuple(queries.shape)}, {tuple(keys.shape)}, {tuple(values.shape)}")
    if keys.shape[:2] != values.shape[:2] or queries.shape[0] != keys.shape[0]:
        raise ValueError(f"keys {tuple(keys.shape)} and values {tuple(values.shape)} must pair up, and "
                         f"queries {tuple(queries.shape)} share their batch size")


# --8<-- [start:additive]
class AdditiveAttention(nn.Module):
    r"""$a(\mathbf q, \mathbf k) = \mathbf w_v^\top \tanh(\mathbf W_q\mathbf q + \mathbf W_k\mathbf k)$
    (Bahdanau et al., 2015): queries and keys may have different sizes."""

    def __init__(self, key_size: int, query_size: int, num_hiddens: int, dropout: float = 0.0):
        super().__init__()
        self.W_k = nn.Linear(key_size, num_hiddens, bias=False)
        self.W_q = nn.Linear(query_size, num_hiddens, bias=False)
        self.w_v = nn.Linear(num_hiddens, 1, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens=None, keep=None):
        _check_qkv(queries, keys, values)
        q, k = self.W_q(queries), self.W_k(keys)  # (B, Q, h), (B, K, h)
        features = torch.tanh(q[:, :, None, :] + k[:, None, :, :])  # (B, Q, K, h): every pair
        scores = self.w_v(features).squeeze(-1)  # (B, Q, K)
        weights = masked_softmax(scores, valid_lens, keep)  # (B, Q, K)
        self.attention_weights = weights.detach()
        return self.dropout(weights) @ values  # (B, Q, d_v)
# --8<-- [end:additive]


# --8<-- [start:dot-product]
class DotProductAttention(nn.Module):
    r"""Scaled dot product $a(\mathbf q, \mathbf k) = \mathbf q^\top\mathbf k/\sqrt d$: queries and
    keys of the same size $d$. Twin: ``F.scaled_dot_product_attention``."""

    def __init__(self, dropout: float = 0.0):
        super().__init__()
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens=None, keep=None):
        _check_qkv(queries, keys, values)
        if queries.shape[-1] != keys.shape[-1]:
            raise ValueError(f"dot-product attention needs queries and keys of one size, got "
                             f"{queries.shape[-1]} and {keys.shape[-1]}")
        d = queries.shape[-1]
        scores = queries @ keys.transpose(1, 2) / math.sqrt(d)  # (B, Q, K)
        weights = masked_softmax(scores, valid_lens, keep)  # (B, Q, K)
        self.attention_weights = weights.detach()
        return self.dropout(weights) @ values  # (B, Q, d_v)
# --8<-- [end:dot-product]


def causal_mask(num_queries: int, num_keys: int | None = None, device=None) -> torch.Tensor:
    """Bool ``(Q, K)``: query ``i`` may attend to key ``j`` iff ``j <= i + (K - Q)``.

    The queries are the *last* ``Q`` of ``K`` positions (``K = Q`` in training; during decoding
    the keys also hold the earlier positions), so no position ever sees a later one.
    """
    num_keys = num_queries if num_keys is None else num_keys
    if num_keys < num_queries:
        raise ValueError(f"{num_queries} queries cannot be the last positions of {num_keys} keys")
    i = torch.arange(num_queries, device=device)[:, None]  # (Q, 1)
    j = torch.arange(num_keys, device=device)[None, :]  # (1, K)
    return j <= i + (num_keys - num_queries)  # (Q, K)


# --8<-- [start:multi-head]
class MultiHeadAttention(nn.Module):
    r"""$h$ heads of scaled dot-product attention on learned projections, concatenated and mixed:
    $\mathbf W_o[\mathbf h_1;\dots;\mathbf h_h]$, $\mathbf h_i = \mathrm{attention}(\mathbf W_q^{(i)}\mathbf q,
    \mathbf W_k^{(i)}\mathbf k, \mathbf W_v^{(i)}\mathbf v)$. The heads' projections are the column blocks
    of one ``(d, d)`` matrix each, so all heads run as one batched matmul. ``bias=False`` is d2l's
    choice; ``bias=True`` matches ``nn.MultiheadAttention``."""

    def __init__(self, num_hiddens: int, num_heads: int, dropout: float = 0.0, bias: bool = False,
                 key_size: int | None = None, query_size: int | None = None, value_size: int | None = None):
        super().__init__()
        if num_hiddens % num_heads:
            raise ValueError(f"num_hiddens {num_hiddens} is not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.attention = DotProductAttention(dropout)
        self.W_q = nn.Linear(query_size or num_hiddens, num_hiddens, bias=bias)
        self.W_k = nn.Linear(key_size or num_hiddens, num_hiddens, bias=bias)
        self.W_v = nn.Linear(value_size or num_hiddens, num_hiddens, bias=bias)
        self.W_o = nn.Linear(num_hiddens, num_hiddens, bias=bias)

    def split_heads(self, X: torch.Tensor) -> torch.Tensor:
        """``(B, T, d)`` -> ``(B·h, T, d/h)``: each head becomes its own batch entry."""
        B, T, d = X.shape
        X = X.reshape(B, T, self.num_heads, d // self.num_heads)  # (B, T, h, d/h)
        X = X.transpose(1, 2)  # (B, h, T, d/h)
        return X.reshape(B * self.num_heads, T, d // self.num_heads)  # (B·h, T, d/h)

    def merge_heads(self, X: torch.Tensor) -> torch.Tensor:
        """``(B·h, T, d/h)`` -> ``(B, T, d)``: the inverse of :meth:`split_heads`."""
        Bh, T, dh = X.shape
        X = X.reshape(Bh // self.num_heads, self.num_heads, T, dh)  # (B, h, T, d/h)
        X = X.transpose(1, 2)  # (B, T, h, d/h)
        return X.reshape(Bh // self.num_heads, T, self.num_heads * dh)  # (B, T, d)

    def forward(self, queries, keys, values, valid_lens=None, keep=None):
        _check_qkv(queries, keys, values)
        q = self.split_heads(self.W_q(queries))  # (B·h, Q, d/h)
        k = self.split_heads(self.W_k(keys))  # (B·h, K, d/h)
        v = self.split_heads(self.W_v(values))  # (B·h, K, d/h)
        if valid_lens is not None:  # every head of example b sees the same keys
            valid_lens = valid_lens.repeat_interleave(self.num_heads, dim=0)  # (B·h,) or (B·h, Q)
        out = self.attention(q, k, v, valid_lens, keep)  # (B·h, Q, d/h)
        B, Q, K = queries.shape[0], q.shape[1], k.shape[1]
        self.attention_weights = self.attention.attention_weights.reshape(B, self.num_heads, Q, K)
        return self.W_o(self.merge_heads(out))  # (B, Q, d)
# --8<-- [end:multi-head]


# --8<-- [start:positional]
def sinusoid_table(max_len: int, num_hiddens: int) -> torch.Tensor:
    r"""$P_{i,2j} = \sin(i/10000^{2j/d})$, $P_{i,2j+1} = \cos(i/10000^{2j/d})$, shape ``(max_len, d)``."""
    if num_hiddens % 2:
        raise ValueError(f"the sinusoid table pairs sin and cos, so d must be even, got {num_hiddens}")
    i = torch.arange(max_len, dtype=torch.float32)[:, None]  # (max_len, 1): positions
    freq = torch.pow(10000.0, -torch.arange(0, num_hiddens, 2, dtype=torch.float32) / num_hiddens)  # (d/2,)
    P = torch.zeros(max_len, num_hiddens)
    P[:, 0::2] = torch.sin(i * freq)  # (max_len, d/2)
    P[:, 1::2] = torch.cos(i * freq)
    return P


class PositionalEncoding(nn.Module):
    """Adds the sinusoid table to ``X`` ``(B, T, d)`` from position ``offset`` on, then dropout."""

    def __init__(self, num_hiddens: int, dropout: float = 0.0, max_len: int = 1000):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("P", sinusoid_table(max_len, num_hiddens), persistent=False)

    def forward(self, X: torch.Tensor, offset: int = 0) -> torch.Tensor:
        T = X.shape[1]
        if offset + T > len(self.P):
            raise ValueError(f"positions {offset}…{offset + T - 1} exceed max_len {len(self.P)}")
        return self.dropout(X + self.P[offset:offset + T])  # (B, T, d)
# --8<-- [end:positional]
