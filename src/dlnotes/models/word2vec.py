r"""word2vec's skip-gram model (d2l §14.1, §14.4): two embedding tables and a dot product.

Every word $w$ has a **centre** vector $\mathbf v_w$ (row of ``centre``) and a **context** vector
$\mathbf u_w$ (row of ``context``). For a centre word $c$ and a row of candidate words
$o_1,\dots,o_L$ (true context words, then noise words, then padding) the model scores

$$s_{\ell} = \mathbf u_{o_\ell}^\top \mathbf v_c,$$

a logit: $\sigma(s_\ell)$ is the modelled probability that $o_\ell$ really occurs near $c$
(negative sampling, §14.2). Shapes: ``centres (B, 1)``, ``contexts_negatives (B, L)`` →
``(B, 1, L)``. Torch twin of one score: ``(net.context.weight[o] * net.centre.weight[c]).sum()``;
of the lookup: ``F.one_hot(c, V).float() @ net.centre.weight``.
"""

from __future__ import annotations

import torch
from torch import nn

from ._registry import register_model

__all__ = ["SkipGram"]


# --8<-- [start:skip-gram]
class SkipGram(nn.Module):
    """Skip-gram scores $\\mathbf u_o^\\top \\mathbf v_c$ for a batch of centres and candidate rows."""

    def __init__(self, vocab_size: int, embed_size: int):
        super().__init__()
        if vocab_size < 1 or embed_size < 1:
            raise ValueError(f"vocab_size and embed_size must be positive, got {vocab_size}, {embed_size}")
        self.centre = nn.Embedding(vocab_size, embed_size)   # v_w: the vectors we keep afterwards
        self.context = nn.Embedding(vocab_size, embed_size)  # u_w: used only for the scores
        for table in (self.centre, self.context):  # d2l's initialisation (N(0, 1) would give huge scores)
            nn.init.xavier_uniform_(table.weight)

    def forward(self, centres: torch.Tensor, contexts_negatives: torch.Tensor) -> torch.Tensor:
        if centres.dim() != 2 or centres.shape[1] != 1:
            raise ValueError(f"centres must have shape (B, 1), got {tuple(centres.shape)}")
        if contexts_negatives.dim() != 2 or contexts_negatives.shape[0] != centres.shape[0]:
            raise ValueError(f"contexts_negatives must have shape (B, L) with B = {centres.shape[0]}, "
                             f"got {tuple(contexts_negatives.shape)}")
        v = self.centre(centres)              # (B, 1, d)
        u = self.context(contexts_negatives)  # (B, L, d)
        return torch.bmm(u, v.transpose(1, 2)).transpose(1, 2)  # (B, 1, L): s[b, 0, l] = u_{o_l} · v_c
# --8<-- [end:skip-gram]


class _OneTensor(nn.Module):
    """Registry adapter: column 0 of one index tensor is the centre, the rest the candidates."""

    def __init__(self, model: SkipGram):
        super().__init__()
        self.model = model

    def forward(self, X):
        return self.model(X[:, :1], X[:, 1:])  # (B, 1), (B, T - 1) -> (B, 1, T - 1)


register_model("skip-gram", input_shape=(2, 6), output_shape=(2, 1, 5), input_dtype=torch.long)(
    lambda: _OneTensor(SkipGram(10, 8))
)
