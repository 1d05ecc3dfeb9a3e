r"""The GloVe model (d2l §14.5; Pennington, Socher and Manning, 2014).

Every word $i$ has a centre vector $\mathbf v_i$ and bias $b_i$, and a context vector
$\mathbf u_i$ and bias $c_i$. For a pair $(i, j)$ the model scores

$$s_{ij} = \mathbf u_j^\top \mathbf v_i + b_i + c_j,$$

which training pulls towards $\log x_{ij}$, the log of how often $j$ appears in $i$'s context
window (the weighted squared loss lives in :mod:`dlnotes.recipes.glove_train`). The two vector
sets play symmetric roles, so the word vector used afterwards is their sum
$\mathbf v_i + \mathbf u_i$. Torch twin: ``nn.Embedding`` rows and ``(V * U).sum(-1)``, which is
what :meth:`GloVeModel.forward` is; there is no other torch module to compare with.
"""

from __future__ import annotations

import torch
from torch import nn

from ._registry import register_model

__all__ = ["GloVeModel"]


# --8<-- [start:model]
class GloVeModel(nn.Module):
    """Centre and context embeddings with biases; ``forward(pairs (B, 2)) -> scores (B,)``."""

    def __init__(self, vocab_size: int, embed_size: int):
        super().__init__()
        self.center = nn.Embedding(vocab_size, embed_size)   # v_i
        self.context = nn.Embedding(vocab_size, embed_size)  # u_j
        self.center_bias = nn.Embedding(vocab_size, 1)       # b_i
        self.context_bias = nn.Embedding(vocab_size, 1)      # c_j
        for emb in (self.center, self.context):  # small uniform init, as the reference C code
            nn.init.uniform_(emb.weight, -0.5 / embed_size, 0.5 / embed_size)
        for emb in (self.center_bias, self.context_bias):
            nn.init.zeros_(emb.weight)

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        if pairs.dim() != 2 or pairs.shape[1] != 2 or pairs.is_floating_point():
            raise ValueError(f"GloVeModel takes integer (centre, context) pairs of shape (B, 2), "
                             f"got {tuple(pairs.shape)} {pairs.dtype}")
        i, j = pairs[:, 0], pairs[:, 1]  # (B,), (B,)
        dot = (self.center(i) * self.context(j)).sum(dim=-1)  # (B, d) -> (B,)
        return dot + self.center_bias(i).squeeze(-1) + self.context_bias(j).squeeze(-1)  # (B,)

    def word_vectors(self) -> torch.Tensor:
        """The vectors used after training: $\\mathbf v_i + \\mathbf u_i$, shape ``(V, d)``."""
        return (self.center.weight + self.context.weight).detach()
# --8<-- [end:model]


register_model("glove", input_shape=(3, 2), output_shape=(3,), input_dtype=torch.long)(
    lambda: GloVeModel(vocab_size=10, embed_size=4)
)
