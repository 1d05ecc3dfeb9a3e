r"""Decomposable attention for natural-language inference (Parikh et al. 2016; d2l §15.5).

Premise tokens $\mathbf a_1,\dots,\mathbf a_m$ and hypothesis tokens $\mathbf b_1,\dots,\mathbf b_n$
(embeddings of size $d$) are compared word by word, without any recurrence:

* **attend**: $e_{ij} = f(\mathbf a_i)^\top f(\mathbf b_j)$ with an MLP $f$;
  $\boldsymbol\beta_i = \sum_j \mathrm{softmax}_j(e_{ij})\,\mathbf b_j$ is the part of the hypothesis
  aligned with $\mathbf a_i$, $\boldsymbol\alpha_j = \sum_i \mathrm{softmax}_i(e_{ij})\,\mathbf a_i$
  the part of the premise aligned with $\mathbf b_j$;
* **compare**: $\mathbf v_{A,i} = g([\mathbf a_i, \boldsymbol\beta_i])$,
  $\mathbf v_{B,j} = g([\mathbf b_j, \boldsymbol\alpha_j])$ with an MLP $g$;
* **aggregate**: $\hat{\mathbf y} = h([\sum_i \mathbf v_{A,i}, \sum_j \mathbf v_{B,j}])$ with an MLP
  $h$ followed by a linear layer to the three classes.

Unlike d2l's version, padding is masked: the softmaxes give padded tokens weight exactly 0 (via
:func:`dlnotes.layers.functional.masked_softmax`) and the sums run over real tokens only, so the
prediction for a pair does not depend on how far, or with what, it is padded.
Shapes: premises ``(B, m)``, hypotheses ``(B, n)`` token indices, valid lengths ``(B,)``;
logits ``(B, 3)``.
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers.functional import masked_softmax, sequence_mask
from ._registry import register_model

__all__ = ["DecomposableAttention", "soft_align", "nli_mlp"]


def nli_mlp(num_inputs: int, num_hiddens: int, dropout: float) -> nn.Sequential:
    """Two ReLU layers with dropout in front of each (the $f$, $g$, $h$ of the model)."""
    return nn.Sequential(nn.Dropout(dropout), nn.Linear(num_inputs, num_hiddens), nn.ReLU(),
                         nn.Dropout(dropout), nn.Linear(num_hiddens, num_hiddens), nn.ReLU())


# --8<-- [start:soft-align]
def soft_align(fA: torch.Tensor, fB: torch.Tensor, A: torch.Tensor, B: torch.Tensor,
               A_lens: torch.Tensor, B_lens: torch.Tensor):
    r"""The attend step: scores $e_{ij} = f(\mathbf a_i)^\top f(\mathbf b_j)$ and both alignments.

    ``fA`` ``(B, m, h)``, ``fB`` ``(B, n, h)``: the tokens after $f$; ``A`` ``(B, m, d)``,
    ``B`` ``(B, n, d)``: the embeddings that get mixed; ``A_lens``, ``B_lens`` ``(B,)``.
    Returns ``beta`` ``(B, m, d)``, ``alpha`` ``(B, n, d)`` and the weights ``W_AB`` ``(B, m, n)``
    (row $i$: premise token $i$ over the hypothesis) and ``W_BA`` ``(B, n, m)``.
    """
    E = torch.bmm(fA, fB.transpose(1, 2))  # (B, m, n): e_ij
    W_AB = masked_softmax(E, B_lens)  # (B, m, n): softmax over real hypothesis tokens j
    W_BA = masked_softmax(E.transpose(1, 2), A_lens)  # (B, n, m): softmax over real premise tokens i
    beta = torch.bmm(W_AB, B)  # (B, m, d)
    alpha = torch.bmm(W_BA, A)  # (B, n, d)
    return beta, alpha, W_AB, W_BA
# --8<-- [end:soft-align]


def _check(name: str, X: torch.Tensor, lens: torch.Tensor) -> None:
    if X.dim() != 2 or X.dtype != torch.long:
        raise ValueError(f"{name} must be token indices of shape (B, T) and dtype long, "
                         f"got {tuple(X.shape)} {X.dtype}")
    if lens.shape != X.shape[:1]:
        raise ValueError(f"{name}: valid lengths must have shape ({X.shape[0]},), got {tuple(lens.shape)}")
    if len(lens) and (int(lens.min()) < 1 or int(lens.max()) > X.shape[1]):
        raise ValueError(f"{name}: valid lengths must lie in 1..{X.shape[1]}, got "
                         f"{int(lens.min())}..{int(lens.max())} (an empty sentence has nothing to align)")


# --8<-- [start:model]
class DecomposableAttention(nn.Module):
    """Attend, compare, aggregate. ``forward(premises, premise_lens, hypotheses, hypothesis_lens)``
    returns logits ``(B, num_classes)``; :meth:`alignments` returns the attention weights."""

    def __init__(self, vocab_size: int, embed_size: int = 50, num_hiddens: int = 200,
                 num_classes: int = 3, dropout: float = 0.2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.f = nli_mlp(embed_size, num_hiddens, dropout)  # attend
        self.g = nli_mlp(2 * embed_size, num_hiddens, dropout)  # compare
        self.h = nli_mlp(2 * num_hiddens, num_hiddens, dropout)  # aggregate
        self.output = nn.Linear(num_hiddens, num_classes)

    def _attend(self, premises, premise_lens, hypotheses, hypothesis_lens):
        _check("premises", premises, premise_lens)
        _check("hypotheses", hypotheses, hypothesis_lens)
        if len(premises) != len(hypotheses):
            raise ValueError(f"{len(premises)} premises but {len(hypotheses)} hypotheses")
        A, B = self.embedding(premises), self.embedding(hypotheses)  # (B, m, d), (B, n, d)
        return A, B, soft_align(self.f(A), self.f(B), A, B, premise_lens, hypothesis_lens)

    def forward(self, premises, premise_lens, hypotheses, hypothesis_lens):
        A, B, (beta, alpha, _, _) = self._attend(premises, premise_lens, hypotheses, hypothesis_lens)
        V_A = self.g(torch.cat([A, beta], dim=-1))  # (B, m, h): compare
        V_B = self.g(torch.cat([B, alpha], dim=-1))  # (B, n, h)
        v_A = sequence_mask(V_A, premise_lens).sum(dim=1)  # (B, h): sum over real tokens only
        v_B = sequence_mask(V_B, hypothesis_lens).sum(dim=1)  # (B, h)
        return self.output(self.h(torch.cat([v_A, v_B], dim=-1)))  # (B, num_classes): aggregate
# --8<-- [end:model]

    def alignments(self, premises, premise_lens, hypotheses, hypothesis_lens):
        """The attention weights ``(W_AB (B, m, n), W_BA (B, n, m))`` of the attend step."""
        _, _, (_, _, W_AB, W_BA) = self._attend(premises, premise_lens, hypotheses, hypothesis_lens)
        return W_AB, W_BA


class _Concatenated(nn.Module):
    """Registry adapter: one ``(B, m + n)`` tensor holds an unpadded premise and hypothesis."""

    def __init__(self, model: DecomposableAttention, m: int):
        super().__init__()
        self.model, self.m = model, m

    def forward(self, X):
        P, H = X[:, :self.m], X[:, self.m:]  # (B, m), (B, n)
        return self.model(P, torch.full((len(X),), P.shape[1]), H, torch.full((len(X),), H.shape[1]))


register_model("decomposable-attention", input_shape=(2, 11), output_shape=(2, 3), input_dtype=torch.long)(
    lambda: _Concatenated(DecomposableAttention(10, embed_size=8, num_hiddens=16), m=6)
)
