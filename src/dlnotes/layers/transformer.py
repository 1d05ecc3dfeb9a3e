r"""The Transformer's encoder block and its parts (d2l §10.7), shared by every Transformer family.

The block is post-norm as in the paper and d2l: ``X = LN(X + Dropout(Sublayer(X)))``, once around
multi-head self-attention and once around the position-wise FFN. Chapter 10 (the translation
Transformer, GPT vs BERT) and chapter 14 (BERT, loading MiniLM's weights) build on the same class,
so it lives here rather than in one model family.

Defaults are d2l's (ReLU, LayerNorm $\epsilon = 10^{-5}$, no bias in the attention projections);
BERT's settings are keyword arguments: ``activation="gelu"`` (the exact, erf-based GELU
$x\,\Phi(x)$), ``eps=1e-12``, ``bias=True``. Twin: ``nn.TransformerEncoderLayer`` (``norm_first=False``)
with the same weights, in evaluation mode. Shapes: ``X`` ``(B, T, d)`` in and out.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .attention import MultiHeadAttention
from .norm import LayerNorm

__all__ = ["ACTIVATIONS", "PositionWiseFFN", "AddNorm", "EncoderBlock"]

ACTIVATIONS = {"relu": torch.relu, "gelu": F.gelu}  # F.gelu: x·Φ(x) with the erf, as BERT


# --8<-- [start:ffn-addnorm]
class PositionWiseFFN(nn.Module):
    r"""$\mathrm{FFN}(\mathbf x) = \mathbf W_2\,\mathrm{ReLU}(\mathbf W_1\mathbf x + \mathbf b_1) + \mathbf b_2$,
    the same MLP at every position (a 1×1 convolution over the sequence). ``activation="gelu"``
    puts BERT's GELU in place of the ReLU."""

    def __init__(self, num_hiddens: int, ffn_hiddens: int, activation: str = "relu"):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.activation = ACTIVATIONS[activation]
        self.dense1 = nn.Linear(num_hiddens, ffn_hiddens)
        self.dense2 = nn.Linear(ffn_hiddens, num_hiddens)

    def forward(self, X):
        return self.dense2(self.activation(self.dense1(X)))  # (B, T, d) -> (B, T, d)


class AddNorm(nn.Module):
    """Residual connection then layer norm: ``LN(X + Dropout(Y))`` (``eps`` of the layer norm)."""

    def __init__(self, num_hiddens: int, dropout: float, eps: float = 1e-5):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.norm = LayerNorm(num_hiddens, eps)

    def forward(self, X, Y):
        return self.norm(X + self.dropout(Y))  # (B, T, d)
# --8<-- [end:ffn-addnorm]


# --8<-- [start:encoder-block]
class EncoderBlock(nn.Module):
    """Self-attention and FFN, each wrapped in :class:`AddNorm`; ``keep`` (e.g. a causal mask)
    and ``valid_lens`` (padding) restrict which positions a position may attend to."""

    def __init__(self, num_hiddens: int, ffn_hiddens: int, num_heads: int, dropout: float,
                 bias: bool = False, *, activation: str = "relu", eps: float = 1e-5):
        super().__init__()
        self.attention = MultiHeadAttention(num_hiddens, num_heads, dropout, bias)
        self.addnorm1 = AddNorm(num_hiddens, dropout, eps)
        self.ffn = PositionWiseFFN(num_hiddens, ffn_hiddens, activation)
        self.addnorm2 = AddNorm(num_hiddens, dropout, eps)

    def forward(self, X, valid_lens=None, keep=None):
        Y = self.addnorm1(X, self.attention(X, X, X, valid_lens, keep))  # (B, T, d)
        return self.addnorm2(Y, self.ffn(Y))  # (B, T, d)
# --8<-- [end:encoder-block]
